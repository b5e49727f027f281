/**
 * Hostile governance files through the built CLI (`fedeval validate`, as a PR check runs it):
 * every case refused or read correctly in one line each, exit 1 for bad input and 2 for what the
 * machine cannot read, never 70 (a bug). Generated cases are sampled (a fresh seed each run, named
 * on failure; FEDEVAL_HOSTILE_SEED replays one); the fixed cases below are the ones found by hand.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { printable } from "../../src/base/printable.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { makeTree, testTreeFiles, writeTree } from "../helpers/governance-tree.ts";
import { DIAGNOSTIC_LINE, hostileCases } from "../helpers/hostile-governance.ts";

const BIN = resolve(import.meta.dirname, "../../../bin/fedeval.js");
const B = `benchmarks/${BENCHMARK}`;

/** The CLI, optionally without root's power to read anything (as an unprivileged user would run it). */
function fedeval(args: string[], opts: { unprivileged?: boolean } = {}) {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] =
    opts.unprivileged && asRoot
      ? // root reads mode-000 files: drop the capabilities that let it, keeping the owner's uid
        ["setpriv", ["--bounding-set=-dac_override,-dac_read_search", process.execPath, BIN, ...args]]
      : [process.execPath, [BIN, ...args]];
  const r = spawnSync(cmd, argv, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every line of text output is one diagnostic; the summary on stderr is one line. */
function assertOneLineEach(r: ReturnType<typeof fedeval>, context: string): void {
  assert.notEqual(r.code, 70, `${context}: internal error\n${r.stderr}`);
  for (const line of r.stdout.split("\n").slice(0, -1)) {
    assert.match(line, DIAGNOSTIC_LINE, `${context}: a line that is not one diagnostic`);
  }
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `${context}: a stack trace`);
}

describe("validate: generated hostile governance files", () => {
  const seed = Number(process.env.FEDEVAL_HOSTILE_SEED) || Math.floor(Math.random() * 2 ** 31);
  const context = `seed ${seed} (replay with FEDEVAL_HOSTILE_SEED=${seed})`;

  it("40 sampled cases in one tree: each file that is certainly invalid is named, in one line each, in every format", async () => {
    const valid = testTreeFiles();
    const cases = hostileCases(valid, seed, 40);
    const root = await writeTree(valid);
    for (const c of cases) {
      await mkdir(dirname(join(root, c.path)), { recursive: true });
      await writeFile(join(root, c.path), c.bytes);
    }
    const text = fedeval(["validate", root]);
    assert.equal(text.code, 1, `${context}\n${text.stderr}`);
    assertOneLineEach(text, context);
    for (const c of cases.filter((x) => x.mustReport)) {
      const named = `${printable(c.path)}:`;
      assert.ok(
        text.stdout.split("\n").some((l) => l.startsWith(named)),
        `${context}: ${c.kind} in ${printable(c.path)} is not reported`,
      );
    }

    const json = fedeval(["validate", root, "--json"]);
    assert.equal(json.code, 1, context);
    const report = JSON.parse(json.stdout) as { diagnostics: { file: string }[] };
    for (const c of cases.filter((x) => x.mustReport)) {
      assert.ok(
        report.diagnostics.some((d) => d.file === c.path),
        `${context}: ${c.kind} in ${printable(c.path)} is not in --json`,
      );
    }
    assert.doesNotMatch(json.stdout, /[\u007f-\u009f\u2028\u2029\u202a-\u202e]/, `${context}: raw in JSON`);

    const github = fedeval(["validate", root, "--format", "github"]);
    assert.equal(github.code, 1, context);
    for (const line of github.stdout.split("\n").slice(0, -1)) {
      assert.match(line, /^::(error|warning) file=[^\s]*,line=\d+,/, `${context}: ${printable(line)}`);
      assert.equal(printable(line), line, `${context}: an unprintable character in an annotation`);
    }
  });
});

describe("validate: hostile governance files found by hand, one line each", () => {
  it("a file name and a YAML key that try to forge a line are printed escaped", async () => {
    const root = await makeTree();
    await writeFile(join(root, "sites/ok.yaml:1:1: error FE000 all good [none]\nx.yaml"), "x: 1\n");
    await writeFile(
      join(root, "sites/north-general.yaml"),
      `${await readFile(join(root, "sites/north-general.yaml"), "utf8")}"a\\nsites/ok.yaml:1:1: error FE000 all good [x]\\e[2K": 1\n`,
    );
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 1);
    assertOneLineEach(r, "forged");
    assert.match(
      r.stdout,
      /^sites\/ok\.yaml:1:1: error FE000 all good \[none\]\\nx\.yaml:1:1: error FE001 /m,
    );
    assert.match(
      r.stdout,
      /unknown field "a\\nsites\/ok\.yaml:1:1: error FE000 all good \[x\]\\u\{1b\}\[2K"/,
    );
    const lines = r.stdout.split("\n");
    assert.ok(
      !lines.some((l) => /^sites\/ok\.yaml:1:1: error FE000 all good \[(none|x)\]$/.test(l)),
      "a forged line",
    );
  });

  it("CR-only line ends (site, benchmark, result, one starting with a comment) are read as lines", async () => {
    const root = await makeTree();
    const files = [
      "sites/north-general.yaml",
      `${B}/benchmark.yaml`,
      `${B}/results/north-general-2026q4/effusion-net-v2.yaml`,
    ];
    for (const [i, f] of files.entries()) {
      const text = (await readFile(join(root, f), "utf8")).replace(/\n/g, "\r");
      await writeFile(join(root, f), i === 2 ? `# a comment first\r${text}` : text);
    }
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // and a problem in such a file is found at the line an editor shows
    const site = join(root, files[0] as string);
    await writeFile(site, (await readFile(site, "utf8")).replace("name: ", "nmae: "));
    const bad = fedeval(["validate", root]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^sites\/north-general\.yaml:5:1: error FE100 unknown field "nmae"/m);
  });

  it("a Unicode line separator is refused at its line and column", async () => {
    const root = await makeTree();
    await writeFile(join(root, "sites/x.yaml"), "# a comment\nschema: fedeval/site@1\u2028id: x\n");
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 1);
    assertOneLineEach(r, "U+2028");
    assert.match(r.stdout, /^sites\/x\.yaml:2:23: error FE009 U\+2028 is a control character/m);
  });

  it("sites being a file and benchmarks a FIFO are one line each, at the path", async () => {
    const root = await makeTree();
    await rm(join(root, "sites"), { recursive: true });
    await writeFile(join(root, "sites"), "hello\n");
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 1);
    assertOneLineEach(r, "sites file");
    assert.equal(
      r.stdout,
      "sites:1:1: error FE001 sites is a file; a governance repository has a sites/ folder [unknown-file]\n",
    );

    await rm(join(root, "benchmarks"), { recursive: true });
    assert.equal(spawnSync("mkfifo", [join(root, "benchmarks")]).status, 0);
    const fifo = fedeval(["validate", root]);
    assert.equal(fifo.code, 1);
    assert.match(fifo.stdout, /^benchmarks:1:1: error FE001 benchmarks is a file;/m);
  });

  it("an empty entity file is reported at the file, and only there", async () => {
    const root = await makeTree();
    await writeFile(join(root, `${B}/models/effusion-net-v2.yaml`), "");
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${B}/models/effusion-net-v2.yaml:1:1: error FE002 file is empty [empty-file]\n`);
  });

  it("an unreadable file or folder (mode 000, read without root's powers) exits 2 naming it, in one line", async () => {
    const root = await makeTree();
    await chmod(join(root, "sites/north-general.yaml"), 0o000);
    const file = fedeval(["validate", root], { unprivileged: true });
    assert.equal(file.code, 2, file.stderr);
    assert.equal(file.stdout, "");
    assert.match(
      file.stderr,
      /^fedeval: sites\/north-general\.yaml: cannot read it \(permission denied\)\n {2}what to do: /,
    );
    await chmod(join(root, "sites/north-general.yaml"), 0o644);

    await chmod(join(root, `${B}/models`), 0o000);
    const folder = fedeval(["validate", root], { unprivileged: true });
    await chmod(join(root, `${B}/models`), 0o755);
    assert.equal(folder.code, 2, folder.stderr);
    assert.match(
      folder.stderr,
      new RegExp(`^fedeval: ${B}/models: cannot read it \\(permission denied\\)\\n`),
    );
  });

  it("20,000 and 60,000 keys, block or flow, are refused at the file (bounded keys per mapping, or the time budget)", async () => {
    const root = await makeTree();
    const block = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`).join("\n");
    const flow = `{${Array.from({ length: 60_000 }, (_, i) => `k${i}: ${i}`).join(", ")}}`;
    await writeFile(join(root, "sites/block.yaml"), `# many keys\n${block}\n`);
    await writeFile(join(root, "sites/flow.yaml"), `${flow}\n`);
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 1);
    assertOneLineEach(r, "many keys");
    // on a machine too busy to read 600 kB of YAML in 5 s, the time budget refuses it first
    const budget =
      "1:1: error FE010 reading this file took longer than 5 s; governance files are small: split or simplify it [too-complex]";
    const lines = r.stdout.split("\n");
    assert.equal(lines.length, 3, r.stdout);
    assert.ok(
      [
        "sites/block.yaml:2:1: error FE011 a mapping with 20000 keys; at most 2000 are allowed [too-many-keys]",
        `sites/block.yaml:${budget}`,
      ].includes(lines[0] as string),
      lines[0],
    );
    assert.ok(
      [
        "sites/flow.yaml:1:1: error FE011 a mapping with 60000 keys; at most 2000 are allowed [too-many-keys]",
        `sites/flow.yaml:${budget}`,
      ].includes(lines[1] as string),
      lines[1],
    );
  });
});
