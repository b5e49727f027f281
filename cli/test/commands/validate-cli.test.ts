/**
 * `fedeval validate` through the built CLI (bin/fedeval.js → dist/), as a user runs it.
 * scripts/test.mjs builds the bundle before the tests run.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { decideIn, makeTree, TEST_IMAGES } from "../helpers/governance-tree.ts";

const BIN = resolve(import.meta.dirname, "../../../bin/fedeval.js");
const B = `benchmarks/${BENCHMARK}`;
const RESULT = `${B}/results/north-general-2026q4/effusion-net-v2.yaml`;
const MODEL = `${B}/models/effusion-net-v2.yaml`;

function fedeval(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    "git",
    ["-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=main", ...args],
    { cwd, encoding: "utf8" },
  );
}

async function replaceIn(root: string, file: string, from: string, to: string): Promise<void> {
  const text = await readFile(join(root, file), "utf8");
  assert.ok(text.includes(from), `${file} has ${from}`);
  await writeFile(join(root, file), text.replace(from, to));
}

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/, "no stack trace");

describe("fedeval validate (CLI)", () => {
  it("exits 0 on a valid repository", async () => {
    const root = await makeTree();
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^valid: 25 files\n$/);
  });

  it("exits 1 with path:line:col: error FEnnn lines on an invalid one", async () => {
    const root = await makeTree();
    await replaceIn(root, MODEL, "priority: 10", "priority: high");
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${MODEL}:9:11: error FE100 priority must be integer, not string [schema]\n`);
    assert.match(r.stderr, /invalid: 1 error in 25 files/);
    noStack(r.stdout + r.stderr);
  });

  it("--json prints a machine-readable report", async () => {
    const root = await makeTree();
    await replaceIn(root, MODEL, "status: approved", "status: proposed");
    const r = fedeval(["validate", root, "--json"]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.valid, false);
    assert.equal(report.files, 25);
    assert.ok(report.diagnostics.length >= 3, "each result of the model is reported");
    for (const d of report.diagnostics) {
      assert.deepEqual(
        Object.keys(d).sort(),
        ["col", "endCol", "endLine", "file", "line", "message", "name", "rule", "severity"].sort(),
      );
      assert.equal(d.rule, "FE205");
    }
  });

  it("--format github prints workflow annotations", async () => {
    const root = await makeTree();
    await replaceIn(root, MODEL, "priority: 10", "priority: high");
    const r = fedeval(["validate", root, "--format", "github"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      `::error file=${MODEL},line=9,col=11,endLine=9,endColumn=15,title=FE100 schema::priority must be integer, not string\n`,
    );
  });

  it("usage and I/O errors exit 2 with one line and no stack trace", async () => {
    const missing = fedeval(["validate", "/no/such/governance"]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, "fedeval: /no/such/governance: no such directory\n");
    const empty = fedeval(["validate", resolve(import.meta.dirname)]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /not a governance repository/);
    const flag = fedeval(["validate", "--bogus"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--bogus'/);
    noStack(missing.stderr + empty.stderr + flag.stderr);
  });

  it("never crashes on hostile YAML", async () => {
    const root = await makeTree();
    await writeFile(join(root, MODEL), "a: &a [*a]\n? [1, 2]\n: !!binary x\n\t- ]]]\n");
    const r = fedeval(["validate", root]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^${MODEL}:\\d+:\\d+: error FE00\\d `));
    noStack(r.stdout + r.stderr);
  });
});

describe("fedeval validate --changed-since / --author", () => {
  async function repo() {
    const root = await makeTree();
    git(root, "init", "-q");
    git(root, "add", "-A");
    git(root, "commit", "-qm", "base");
    return root;
  }

  it("reports only problems in changed files, untracked files included", async () => {
    const root = await repo();
    await replaceIn(root, `${B}/models/shortcut-cnn.yaml`, "priority: 5", "priority: five");
    git(root, "commit", "-qam", "old problem");
    const base = git(root, "rev-parse", "HEAD").trim();
    await replaceIn(root, MODEL, "priority: 10", "priority: high");
    await writeFile(join(root, `${B}/models/new-model.yaml`), "schema: fedeval/model@1\nid: new-model\n");
    const r = fedeval(["validate", root, "--changed-since", base, "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const files = [...new Set(JSON.parse(r.stdout).diagnostics.map((d: { file: string }) => d.file))].sort();
    assert.deepEqual(files, [MODEL, `${B}/models/new-model.yaml`]);
    const all = fedeval(["validate", root, "--json"]);
    assert.ok(
      JSON.parse(all.stdout).diagnostics.some(
        (d: { file: string }) => d.file === `${B}/models/shortcut-cnn.yaml`,
      ),
    );
  });

  it("history rules are errors in changed files and warnings elsewhere", async () => {
    const root = await repo();
    const base = git(root, "rev-parse", "HEAD").trim();
    await decideIn(root, `${B}/models/shortcut-cnn.yaml`, { decision: "suspend", setStatus: true });
    const full = JSON.parse(fedeval(["validate", root, "--json"]).stdout);
    assert.equal(full.valid, true, "suspending a model keeps main valid");
    assert.equal(full.warnings, 3);
    const r = fedeval(["validate", root, "--changed-since", base, "--json"]);
    assert.equal(JSON.parse(r.stdout).valid, true, "the suspension itself is valid");
    await replaceIn(root, `${B}/results/east-valley-2026q4/shortcut-cnn.yaml`, "n: 400", "n: 400\n");
    const touched = JSON.parse(fedeval(["validate", root, "--changed-since", base, "--json"]).stdout);
    assert.equal(touched.errors, 1, "a touched result of a suspended model is an error");
  });

  it("a change to a benchmark's evaluator or metrics must bump its version", async () => {
    const root = await repo();
    const base = git(root, "rev-parse", "HEAD").trim();
    const file = `${B}/benchmark.yaml`;
    await replaceIn(root, file, "Sensitivity at 0.5", "Sensitivity at a 0.5 threshold");
    const unsigned = fedeval(["validate", root, "--changed-since", base]);
    assert.match(
      unsigned.stdout,
      /error FE609 this change to benchmark pleural-effusion-demo needs 1 signed approval by committee members listed before it \(committee-chair\)/,
    );
    await decideIn(root, file);
    assert.equal(fedeval(["validate", root, "--changed-since", base]).code, 0, "a title changes no result");
    // asking for the DL estimator changes every pooled ece
    await replaceIn(root, file, "    pooling: meta\n", "    pooling: meta\n    estimator: DL\n");
    assert.match(
      fedeval(["validate", root, "--changed-since", base]).stdout,
      /error FE228 the definition of ece changed, but version stays 1/,
    );
    await replaceIn(root, file, "    pooling: meta\n    estimator: DL\n", "    pooling: mean\n");
    await replaceIn(root, file, `image: ${TEST_IMAGES.evaluator}`, `image: sha256:${"e".repeat(64)}`);
    const r = fedeval(["validate", root, "--changed-since", base]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `${file}:4:\\d+: error FE228 the evaluator image changed; the definition of ece changed, but version stays 1: bump it \\(and list 1 in comparable_with if earlier results stay comparable\\)`,
      ),
    );
    await replaceIn(root, file, "version: 1", "version: 2");
    const bumped = JSON.parse(fedeval(["validate", root, "--changed-since", base, "--json"]).stdout);
    assert.deepEqual(
      bumped.diagnostics.filter((d: { rule: string }) => d.rule === "FE228"),
      [],
      "bumped: the rule is met",
    );
  });

  it("an unknown revision is a usage error", async () => {
    const root = await repo();
    const r = fedeval(["validate", root, "--changed-since", "no-such-rev"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /does not know revision "no-such-rev"/);
  });

  it("--author: a site may change its own results, not another site's", async () => {
    const root = await repo();
    const base = git(root, "rev-parse", "HEAD").trim();
    await replaceIn(root, RESULT, "n: 400", "n: 400\n");
    assert.equal(fedeval(["validate", root, "--changed-since", base, "--author", "north-it"]).code, 0);
    const r = fedeval(["validate", root, "--changed-since", base, "--author", "east-valley-radiology"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /error FE401 east-valley-radiology may not change this file: results of dataset north-general-2026q4 belong to the owners of site north-general/,
    );
  });

  it("--author: a model owner may propose, not approve, and nobody joins a committee by editing it", async () => {
    const root = await repo();
    const base = git(root, "rev-parse", "HEAD").trim();
    await replaceIn(root, MODEL, "priority: 10", "priority: 11");
    const owner = fedeval(["validate", root, "--changed-since", base, "--author", "acme-imaging"]);
    assert.equal(owner.code, 1);
    assert.match(owner.stdout, /FE402 acme-imaging owns this model and may only propose it/);
    // the committee too: what is approved changed, so the approval no longer stands until a member signs again
    const committee = fedeval(["validate", root, "--changed-since", base, "--author", "demo-committee"]);
    assert.match(committee.stdout, /error FE605 status: approved needs 1 committee member's signed approve/);
    assert.doesNotMatch(committee.stdout, /FE40\d/);
    await decideIn(root, MODEL);
    // signed by a member, whoever authored the commits
    for (const author of ["demo-committee", "acme-imaging"])
      assert.equal(fedeval(["validate", root, "--changed-since", base, "--author", author]).code, 0, author);
    await replaceIn(
      root,
      `${B}/benchmark.yaml`,
      "committee: [demo-committee]",
      "committee: [demo-committee, mallory]",
    );
    const mallory = fedeval(["validate", root, "--changed-since", base, "--author", "mallory"]);
    assert.match(
      mallory.stdout,
      new RegExp(`${B}/benchmark.yaml:1:1: error FE401 mallory may not change this file: only the committee`),
    );
  });

  it("--author: a model owner grants and revokes access to the approved model without a new approval", async () => {
    const root = await repo();
    const base = git(root, "rev-parse", "HEAD").trim();
    const grant = `key_grants:\n  - {site: north-general, key: demo-key, sealed_key: ${"A".repeat(124)}}`;
    await replaceIn(root, MODEL, "priority: 10", `priority: 10\n${grant}`);
    const granted = fedeval(["validate", root, "--changed-since", base, "--author", "acme-imaging"]);
    assert.equal(granted.code, 0, granted.stdout);
    await replaceIn(root, MODEL, "priority: 10", "priority: 11");
    const more = fedeval(["validate", root, "--changed-since", base, "--author", "acme-imaging"]);
    assert.match(more.stdout, /FE402 acme-imaging owns this model and may only propose it/);
  });

  it("--author: a site's approved dataset needs the committee unless the benchmark's policy auto-approves the site", async () => {
    // the demo benchmark: auto_approve: {datasets: ALLOWLIST, allowlist: [north-general]}
    const root = await repo();
    const base = git(root, "rev-parse", "HEAD").trim();
    for (const site of ["north-general", "east-valley"])
      await replaceIn(root, `${B}/datasets/${site}-2026q4.yaml`, "auc: 0.81", "auc: 0.82");
    const r = fedeval(["validate", root, "--changed-since", base, "--author", "north-it", "--json"]);
    assert.deepEqual(
      JSON.parse(r.stdout).diagnostics.map((d: { file: string; rule: string }) => `${d.file} ${d.rule}`),
      [`${B}/datasets/east-valley-2026q4.yaml FE401`, `${B}/datasets/east-valley-2026q4.yaml FE605`],
      "north-general is on the allowlist; east-valley is not north-it's site, and its approval no longer covers it",
    );
    const east = fedeval(["validate", root, "--changed-since", base, "--author", "east-valley-radiology"]);
    assert.match(
      east.stdout,
      /east-valley-2026q4\.yaml:\d+:\d+: error FE402 east-valley-radiology owns this dataset's site and may only propose it/,
    );
    assert.doesNotMatch(east.stdout, /north-general-2026q4\.yaml:\d+:\d+: error FE402/);
  });

  it("--author without --changed-since is a usage error", async () => {
    const root = await repo();
    const r = fedeval(["validate", root, "--author", "x"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--author needs --changed-since/);
  });
});

describe("fedeval validate --changed-since on a branch behind its base", () => {
  it("measures the change from the merge base, as a pull request does", async () => {
    const root = await makeTree();
    git(root, "init", "-q");
    git(root, "add", "-A");
    git(root, "commit", "-qm", "base");
    git(root, "checkout", "-qb", "north");
    await replaceIn(root, RESULT, "n: 400", "n: 400\n");
    git(root, "commit", "-qam", "north's change");
    git(root, "checkout", "-q", "main");
    await replaceIn(
      root,
      "sites/east-valley.yaml",
      "name: East Valley Clinic (demo)",
      "name: East Valley Clinic",
    );
    git(root, "commit", "-qam", "merged meanwhile");
    git(root, "checkout", "-q", "north");
    const r = fedeval(["validate", root, "--changed-since", "main", "--author", "north-it", "--json"]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stderr, /^$/);
  });
});

describe("fedeval validate --author: container definitions", () => {
  it("a model owner may change their model's container definition, not the benchmark's", async () => {
    const root = await makeTree();
    git(root, "init", "-q");
    git(root, "add", "-A");
    git(root, "commit", "-qm", "base");
    const base = git(root, "rev-parse", "HEAD").trim();
    await replaceIn(
      root,
      `${B}/containers/effusion-net-v2.yaml`,
      "container_type: DockerImage",
      "container_type: DockerImage\n",
    );
    assert.equal(fedeval(["validate", root, "--changed-since", base, "--author", "acme-imaging"]).code, 0);
    assert.equal(fedeval(["validate", root, "--changed-since", base, "--author", "fastlane-ai"]).code, 1);
    await replaceIn(
      root,
      `${B}/containers/evaluator.yaml`,
      "container_type: DockerImage",
      "container_type: DockerImage\n",
    );
    const r = fedeval(["validate", root, "--changed-since", base, "--author", "acme-imaging"]);
    assert.match(
      r.stdout,
      /containers\/evaluator\.yaml:1:1: error FE401 acme-imaging may not change this file/,
    );
  });
});
