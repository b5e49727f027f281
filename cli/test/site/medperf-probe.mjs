// A MedPerf-style container that first reports what it sees, as one line `PROBE <json>`, then
// does its task's job (as the chest X-ray tutorial's containers do, in JavaScript).
// Its command line: [image-entrypoint] <task> --<mount name>=<mount path> ...
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  cpSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from "node:fs";

const args = process.argv.slice(2);
const via = args[0] === "image-entrypoint" ? "image" : "definition";
if (via === "image") args.shift();
const task = args[0];
const mounts = Object.fromEntries(
  args
    .filter((a) => a.startsWith("--"))
    .map((a) => [a.slice(2, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]),
);

/** What the container sees at a mount path: its type, whether it can write there, what is in it. */
function look(path) {
  let s;
  try {
    s = statSync(path);
  } catch {
    return { exists: false };
  }
  const seen = { type: s.isDirectory() ? "directory" : "file", writable: true };
  try {
    if (s.isDirectory()) {
      writeFileSync(`${path}/.probe`, "");
      rmSync(`${path}/.probe`);
    } else appendFileSync(path, "");
  } catch (err) {
    seen.writable = err.code;
  }
  if (s.isDirectory()) seen.entries = readdirSync(path).sort();
  else seen.content = readFileSync(path, "utf8");
  return seen;
}

/** Tries `what`: "ok" or the error code. */
function attempt(what) {
  try {
    what();
    return "ok";
  } catch (err) {
    return err.code ?? String(err.status ?? err);
  }
}

const shm = statfsSync("/dev/shm");
const report = {
  task,
  via,
  uid: process.getuid(),
  gid: process.getgid(),
  cwd: process.cwd(),
  env: { HOME: process.env.HOME, GREETING: process.env.GREETING, MODE: process.env.MODE },
  shmBytes: shm.bsize * shm.blocks,
  mounts: Object.fromEntries(Object.entries(mounts).map(([name, path]) => [name, look(path)])),
  writeWorkdir: attempt(() => writeFileSync("scratch.txt", "in the working directory")),
  // a program written to /tmp and run from there (a Python venv or a compiled helper would be)
  execTmp: attempt(() => {
    writeFileSync("/tmp/helper.mjs", `#!${process.execPath}\nconsole.log("helper ran");\n`);
    chmodSync("/tmp/helper.mjs", 0o755);
    execFileSync("/tmp/helper.mjs", { stdio: "ignore" });
  }),
};
console.log(`PROBE ${JSON.stringify(report)}`);

const count = (dir) => readdirSync(dir).length;
switch (task) {
  case "prepare":
    cpSync(mounts.data_path, mounts.output_path, { recursive: true });
    cpSync(mounts.labels_path, mounts.output_labels_path, { recursive: true });
    writeFileSync(`${mounts.metadata_path}/metadata.json`, "{}");
    writeFileSync(mounts.report_file, "status: done\n");
    break;
  case "sanity_check":
    readFileSync(`${mounts.metadata_path}/metadata.json`);
    break;
  case "statistics":
    writeFileSync(mounts.output_path, `num_cases: ${count(mounts.data_path)}\n`);
    break;
  case "infer":
    // the chest X-ray tutorial's model loads its weights from additional_files
    readFileSync(`${mounts.additional_files}/cnn_weights.pth`);
    writeFileSync(`${mounts.output_path}/predictions.json`, "{}");
    break;
  case "evaluate":
    writeFileSync(`${mounts.local_outputs_path}/per-case.csv`, "case,score\n");
    writeFileSync(mounts.output_path, "AUC: 0.75\nAccuracy: 0.8\n");
    break;
  default:
    throw new Error(`unknown task ${task}`);
}
