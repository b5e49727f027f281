// Runs every *.test.ts under cli/ and action/ with node:test through tsx.
// Node 20's test runner finds no .ts file by itself (it would run 0 tests and exit 0),
// so the files are listed here, and an empty list is an error.
//
// The run gets a temporary folder of its own as TMPDIR: every temporary file or folder the tests
// (and the git, Docker and browser processes they start) make lands there, and the folder is
// removed at the end, once the containers that mount anything from it are gone, even when tests
// fail or the run is interrupted. Nothing is printed after the test runner's summary unless the
// folder could not be removed.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === "node_modules" || e.name === "dist") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

/** Removes the containers, running or not, that bind-mount a path under `dir`. */
async function removeContainersMounting(dir) {
  try {
    const docker = new (await import("dockerode")).default({ timeout: 30_000 });
    const containers = await docker.listContainers({ all: true });
    const mounting = containers.filter((c) => c.Mounts?.some((m) => m.Source?.startsWith(`${dir}/`)));
    await Promise.all(
      mounting.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {}),
      ),
    );
  } catch {
    // no Docker Engine: the tests started no container
  }
}

let child;
/** Runs `node args` with stdio inherited; resolves to its exit code. */
function node(args, env) {
  return new Promise((done) => {
    child = spawn(process.execPath, args, { stdio: "inherit", env });
    child.on("error", () => done(1));
    child.on("exit", (code, signal) => done(code ?? (signal === "SIGINT" ? 130 : 1)));
  });
}

/** Runs the build and the tests with TMPDIR = `runTmp`; resolves to the exit code. */
async function run(runTmp) {
  const env = { ...process.env, TMPDIR: runTmp };
  // The CLI tests run the built bundle (bin/fedeval.js → dist/), so build it first.
  const build = await node(["scripts/build.mjs"], env);
  if (build !== 0) return build;

  const filter = process.argv.slice(2);
  let files = [...find("cli"), ...find("action")].sort();
  if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
  if (files.length === 0) {
    console.error("no test files found");
    return 1;
  }
  return node(["--import", "tsx", "--test", "--test-concurrency=2", ...files], env);
}

// Stopped, this process stops the build or the test runner and then cleans up. Ctrl-C has already
// reached them (the terminal signals the whole process group).
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child?.kill(signal));

// its real path: the one Docker reports as the source of a bind mount
const runTmp = realpathSync(mkdtempSync(join(tmpdir(), "fedeval-test-")));
const status = await run(runTmp);
await removeContainersMounting(runTmp);
try {
  rmSync(runTmp, { recursive: true, force: true, maxRetries: 5 });
} catch (err) {
  console.error(`could not remove the tests' temporary folder ${runTmp}: ${err.message}`);
}
process.exit(status);
