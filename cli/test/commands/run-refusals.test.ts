/**
 * `fedeval run` and `dataset prepare` refuse a runner or executor fedeval does not have, in one
 * line naming those it has (through the built CLI, as a user runs it; nothing runs, no lock is taken).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";

const BIN = resolve(import.meta.dirname, "../../../bin/fedeval.js");

async function fedeval(args: string[], env: NodeJS.ProcessEnv = {}) {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: home,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FEDEVAL_HOME: home, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SUPPORTED_RUNNERS =
  /supported: docker \(isolated containers on a Docker Engine, or on Podman [^)]*\), process \(host processes, no isolation: development only\)/;

test("--runner apptainer / singularity / anything else: exit 2, one line naming the runners there are", async () => {
  for (const [args, hint] of [
    [
      ["run", "--site", "north-general", "--runner", "apptainer"],
      /Apptainer\/Singularity is not supported yet: docs\/site-scale.md/,
    ],
    [
      ["run", "--site", "north-general", "--runner", "Singularity"],
      /Apptainer\/Singularity is not supported yet/,
    ],
    [["run", "--site", "north-general", "--runner", "kubernetes"], /; see docs\/site-scale.md$/],
    [
      [
        "dataset",
        "prepare",
        "--benchmark",
        "b",
        "--site",
        "s",
        "--data",
        ".",
        "--labels",
        ".",
        "--name",
        "d",
        "--runner",
        "apptainer",
      ],
      /Apptainer\/Singularity is not supported yet/,
    ],
  ] as const) {
    const r = await fedeval([...args]);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, new RegExp(`^fedeval: --runner ${args.at(-1)}: not available; `));
    assert.match(lines[0] as string, SUPPORTED_RUNNERS);
    assert.match(lines[0] as string, hint);
    assert.equal(r.stdout, "");
  }
});

test("--executor that is not available: exit 2, one line naming the executors there are", async () => {
  const r = await fedeval(["run", "--site", "north-general", "--executor", "apptainer"]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(
    r.stderr,
    /^fedeval: --executor apptainer: not available; supported: local \(this machine[^)]*\)/,
  );
  assert.match(r.stderr, /Apptainer\/Singularity is not supported yet/);
});

test("--executor slurm where sbatch is not installed: exit 2, one line saying so", async () => {
  const r = await fedeval(["run", "--site", "north-general", "--executor", "slurm"], {
    PATH: "/nonexistent",
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    "fedeval: --executor slurm: sbatch is not available on this machine (run fedeval on a Slurm login node, or use --executor local); see docs/site-scale.md\n",
  );
});
