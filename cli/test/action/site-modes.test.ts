/**
 * The action's `run` and `submit` commands, run from the bundled entry as a site's self-hosted
 * runner runs them: a governance clone of main as the workspace, the site's FEDEVAL_HOME with a
 * prepared dataset and its signing key, the process runner, a bare git remote. The job log and
 * summary of a public repository are public: no metric value may appear in them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { build } from "esbuild";
import { demoProcessImages } from "../../src/app/demo/demo-images.ts";
import { workspace } from "../../src/base/workspace.ts";
import { datasetPrepareCommand } from "../../src/commands/dataset-prepare.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import type { OutboxEntry } from "../../src/results/outbox.ts";
import { readLocalDataset } from "../../src/site/prepare.ts";
import { saveProcessEntrypoints } from "../../src/site/runners.ts";
import { hashDatasetTree } from "../../src/site/tree-hash.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { git, remoteBranches, remoteFile, testEnv } from "../helpers/git.ts";
import { installSiteKey, OWNER } from "../helpers/site-workspace.ts";
import { DATASET, demoRepository, rawExport, registerDataset, SITE } from "../site/site-fixture.ts";
import { REPO, runAction } from "./action-runner.ts";

/** What the runner's environment holds on a site's machine (FEDEVAL_HOME, a git identity). */
type RunnerEnv = Record<string, string>;

interface SiteMachine {
  root: string;
  remote: string;
  env: RunnerEnv;
  outbox: string;
}

/** A clone of the governance main (pushed to a bare remote) with the site's dataset registered and prepared. */
async function siteMachine(): Promise<SiteMachine> {
  const env = (await testEnv()) as RunnerEnv;
  const home = env.FEDEVAL_HOME as string;
  const { images, entrypoints } = await demoProcessImages(join(home, "process-images"));
  await saveProcessEntrypoints(home, entrypoints);
  const root = await demoRepository(images);
  const io = bufferIO();
  const prepared = await datasetPrepareCommand(
    {
      benchmark: BENCHMARK,
      site: SITE,
      ...(await rawExport(SITE)),
      name: DATASET,
      root,
      runner: "process",
      cwd: root,
      env,
    },
    io,
  );
  assert.equal(prepared, 0, io.err.join(""));
  const site = workspace(env).site(SITE);
  const local = await readLocalDataset(site, BENCHMARK, DATASET);
  assert.ok(local);
  await registerDataset(root, local.association);
  await installSiteKey(env);
  await writeFile(
    site.policy,
    toYaml({
      schema: "fedeval/site-policy@1",
      approver: OWNER,
      auto_approve: { benchmarks: [BENCHMARK], min_n: 20, subgroups: "allowed" },
    }),
  );
  const remote = await mkdtemp(join(tmpdir(), "fedeval-remote-"));
  git(remote, ["init", "--quiet", "--bare", "-b", "main"], env);
  git(root, ["remote", "add", "origin", remote], env);
  git(root, ["push", "--quiet", "origin", "main"], env);
  return { root, remote, env, outbox: site.outbox };
}

async function outboxEntries(outbox: string): Promise<OutboxEntry[]> {
  const names = (await readdir(outbox)).filter((n) => n.endsWith(".json")).sort();
  return Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(outbox, n), "utf8")) as OutboxEntry),
  );
}

/** Every way a metric value of `entries` could be printed (integers are left out: "1" is everywhere). */
function printedValues(entries: OutboxEntry[]): string[] {
  const values = new Set<string>();
  for (const e of entries) {
    const metrics = [e.result.metrics, ...(e.result.subgroups ?? []).map((c) => c.metrics ?? {})];
    for (const m of metrics)
      for (const { value } of Object.values(m) as { value: number | null }[]) {
        if (typeof value !== "number" || Number.isInteger(value)) continue;
        values.add(String(value));
        values.add(value.toFixed(3));
      }
  }
  return [...values];
}

describe("action: command run on a site's runner", () => {
  let machine: SiteMachine;
  before(async () => {
    machine = await siteMachine();
  });

  it("refuses any ref but main, before running anything", async () => {
    const r = await runAction({
      workspace: machine.root,
      inputs: { command: "run", site: SITE, runner: "process" },
      env: { ...machine.env, GITHUB_REF: "refs/pull/7/merge" },
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^::error::command run runs only on refs\/heads\/main.*refs\/pull\/7\/merge/m);
    assert.deepEqual(r.outputs, {});
    assert.deepEqual(await readdir(machine.outbox).catch(() => []), []);
  });

  it("runs the plan, approves by the site policy, and logs counts only; submit pushes the results", async () => {
    const r = await runAction({
      workspace: machine.root,
      inputs: { command: "run", site: SITE, runner: "process", "approve-by-policy": "true" },
      env: { ...machine.env, GITHUB_REF: "refs/heads/main" },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.outputs, {
      results: "3",
      "site-path": workspace(machine.env).site(SITE).root,
    });
    assert.match(r.stdout, /3 triples: 3 ok, 0 partial, 0 failed/);
    assert.match(r.stdout, /3 approved by the site policy, 0 held/);
    assert.match(r.summary, /3 new results in the outbox \(3 approved by the site policy, 0 pending\)/);

    const entries = await outboxEntries(machine.outbox);
    assert.equal(entries.length, 3);
    assert.ok(entries.every((e) => e.state === "approved"));
    const values = printedValues(entries);
    assert.ok(values.length >= 6, `metric values to look for: ${values}`);
    for (const v of values) {
      assert.ok(!r.stdout.includes(v), `metric value ${v} in the job log`);
      assert.ok(!r.stderr.includes(v), `metric value ${v} on stderr`);
      assert.ok(!r.summary.includes(v), `metric value ${v} in the job summary`);
    }

    const again = await runAction({
      workspace: machine.root,
      inputs: { command: "run", site: SITE, runner: "process" },
      env: { ...machine.env, GITHUB_REF: "refs/heads/main" },
    });
    assert.equal(again.code, 0, again.stdout);
    assert.equal(again.outputs.results, "0");

    const submit = await runAction({
      workspace: machine.root,
      inputs: { command: "submit", site: SITE, forge: "git" },
      env: { ...machine.env, GITHUB_REF: "refs/heads/main" },
    });
    assert.equal(submit.code, 0, submit.stdout + submit.stderr);
    assert.deepEqual(submit.outputs, { submitted: "3", held: "0", "pull-requests": "" });
    assert.match(submit.summary, /3 results submitted in 1 branch, 0 held in the outbox/);
    const branch = `fedeval/${SITE}/results-${entries[0]?.run_id}`;
    assert.deepEqual(remoteBranches(machine.remote, machine.env).sort(), [branch, "main"].sort());
    for (const e of entries) {
      const file = `benchmarks/${BENCHMARK}/results/${DATASET}/${e.result.model}.yaml`;
      assert.match(remoteFile(machine.remote, branch, file, machine.env) ?? "", /signature:/, file);
    }
    assert.deepEqual(await outboxEntries(machine.outbox), [], "the outbox is empty: all went to sent/");
  });
});

describe("action bundle: dataset hashing", () => {
  it("hashes on the calling thread when the single-file bundle has no hash-worker.js", async () => {
    const work = await mkdtemp(join(tmpdir(), "fedeval-action-bundle-"));
    const entry = join(work, "entry.ts");
    await writeFile(
      entry,
      `import { hashDatasetTree } from ${JSON.stringify(join(REPO, "cli/src/site/tree-hash.ts"))};
process.stdout.write(JSON.stringify(await hashDatasetTree(process.argv[2], { workers: 2 })));\n`,
    );
    const outfile = join(work, "dist", "index.js");
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "warning",
    });
    const dataset = join(work, "dataset");
    await mkdir(dataset);
    for (let i = 0; i < 12; i++)
      await writeFile(join(dataset, `case-${i}.raw`), Buffer.alloc(1000 * i + 1, i));
    const run = spawnSync(process.execPath, [outfile, dataset], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), await hashDatasetTree(dataset, { workers: 0 }));
  });
});
