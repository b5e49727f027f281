import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type SiteWorkspace, workspace } from "../../src/base/workspace.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { outboxListCommand } from "../../src/commands/outbox-list.ts";
import { planCommand, renderPlan } from "../../src/commands/plan.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { loadGovernance } from "../../src/governance/loader.ts";
import type { Dataset } from "../../src/governance/types.ts";
import { Outbox, type OutboxEntry } from "../../src/results/outbox.ts";
import { type Plan, type PlanRequest, planSite } from "../../src/site/plan.ts";
import { preparedPaths } from "../../src/site/prepare.ts";
import { BENCHMARK, decide, TEST_MODELS } from "../helpers/fixtures.ts";
import { commitAll } from "../helpers/git.ts";
import {
  hex,
  makeTree,
  TEST_IMAGES,
  testDataset,
  testResult,
  testTreeFiles,
  writeTree,
} from "../helpers/governance-tree.ts";

const SITE = "north-general";
const DATASET = testDataset(SITE);
const b = `benchmarks/${BENCHMARK}`;

/** A dataset prepared in the workspace: its association and its prepared folder. */
async function prepareLocally(site: SiteWorkspace, dataset: Dataset): Promise<void> {
  const p = preparedPaths(site, BENCHMARK, dataset.id);
  await mkdir(p.data, { recursive: true });
  await mkdir(p.labels, { recursive: true });
  await writeFile(p.association, governanceFileText("dataset", { ...dataset, status: "proposed" }));
}

async function setup(edit?: (files: Map<string, string>) => void, opts: { prepared?: Dataset[] } = {}) {
  const root = await makeTree(edit);
  const home = await mkdtemp(join(tmpdir(), "fedeval-plan-"));
  const site = workspace({ FEDEVAL_HOME: home }).site(SITE);
  for (const d of opts.prepared ?? [DATASET]) await prepareLocally(site, d);
  const { index } = await loadGovernance(root);
  const plan = (extra: Partial<PlanRequest> = {}) =>
    planSite({ index, site: SITE, workspace: site, outbox: [], ...extra });
  return { root, site, index, plan };
}

const withoutResults = (files: Map<string, string>) => {
  for (const path of [...files.keys()]) if (path.includes("/results/")) files.delete(path);
};

/** A pending outbox entry of run r1 for `model` on the site's dataset, optionally run with another model image. */
function entry(model: string, image?: string): OutboxEntry {
  const { approval: _a, signature: _s, ...result } = testResult(DATASET, model, false);
  if (image) result.provenance.images.model = image;
  return {
    id: `${BENCHMARK}--${DATASET.id}--${model}--r1`,
    state: "pending",
    site: SITE,
    run_id: "r1",
    created_at: "2026-11-20T01:10:00Z",
    result,
    dropped: [],
  };
}

const summary = (triples: { model: string; dataset: string; reasons: string[] }[]) =>
  triples.map((t) => `${t.model} ${t.dataset}: ${t.reasons.join(", ")}`);

describe("plan", () => {
  test("approved models × the site's approved datasets without a result, by declared priority", async () => {
    const { plan } = await setup(withoutResults);
    const p = await plan();
    // priorities: effusion-net-v2 10, shortcut-cnn 5, reference-logistic 0 (higher first)
    assert.deepEqual(summary(p.triples), [
      "effusion-net-v2 north-general-2026q4: no result",
      "shortcut-cnn north-general-2026q4: no result",
      "reference-logistic north-general-2026q4: no result",
    ]);
    assert.deepEqual(p.triples[0]?.inputs, {
      benchmark_version: 1,
      images: {
        model: TEST_IMAGES.models["effusion-net-v2"],
        evaluator: TEST_IMAGES.evaluator,
        preparation: TEST_IMAGES.preparation,
      },
      dataset_hash: DATASET.hash,
    });
    assert.equal(p.current, 0);
    assert.deepEqual(p.blocked, []);
  });

  test("current results are not planned; each kind of change makes a result stale, with its reason", async () => {
    const { plan } = await setup();
    const current = await plan();
    assert.equal(current.triples.length, 0);
    assert.equal(current.current, 3);

    const newImage = `sha256:${hex("effusion-net-v3")}`;
    const changed = await setup((files) => {
      const benchmark = files.get(`${b}/benchmark.yaml`) as string;
      files.set(
        `${b}/benchmark.yaml`,
        benchmark
          .replace("version: 1", "version: 2")
          .replace(TEST_IMAGES.evaluator, `sha256:${hex("evaluator-2")}`),
      );
      const model = `${b}/models/effusion-net-v2.yaml`;
      files.set(
        model,
        (files.get(model) as string).replace(TEST_IMAGES.models["effusion-net-v2"] as string, newImage),
      );
    });
    assert.deepEqual(summary((await changed.plan()).triples), [
      "effusion-net-v2 north-general-2026q4: benchmark version changed (1 → 2), model image changed, evaluator image changed",
      "shortcut-cnn north-general-2026q4: benchmark version changed (1 → 2), evaluator image changed",
      "reference-logistic north-general-2026q4: benchmark version changed (1 → 2), evaluator image changed",
    ]);

    // the site prepared its data again (new preparation image and hash) and registered it
    const again: Dataset = {
      ...DATASET,
      prepared_with: `sha256:${hex("prep-2")}`,
      hash: `fedeval-tree-v1:sha256:${hex("data again")}`,
    };
    const reprepared = await setup(
      (files) => {
        const benchmark = files.get(`${b}/benchmark.yaml`) as string;
        files.set(`${b}/benchmark.yaml`, benchmark.replace(TEST_IMAGES.preparation, again.prepared_with));
        files.set(`${b}/datasets/${DATASET.id}.yaml`, toYaml(again));
      },
      { prepared: [again] },
    );
    const p = await reprepared.plan();
    assert.equal(p.triples.length, 3);
    assert.deepEqual(p.triples[0]?.reasons, ["preparation image changed", "dataset hash changed"]);
  });

  test("datasets not prepared here, prepared with an old image, or changed are blocked with what to do", async () => {
    const other = testDataset("east-valley");
    const notPrepared = await setup(withoutResults, { prepared: [] });
    const p = await notPrepared.plan();
    assert.equal(p.triples.length, 0);
    assert.equal(p.blocked.length, 1);
    assert.equal(p.blocked[0]?.models, 3);
    assert.match(
      p.blocked[0]?.reason as string,
      /not prepared in this workspace: run `fedeval dataset prepare --benchmark pleural-effusion-demo --site north-general --name north-general-2026q4/,
    );
    assert.ok(
      !p.blocked.some((x) => x.dataset === other.id),
      "another site's dataset is not this site's business",
    );

    const oldImage = await setup((files) => {
      withoutResults(files);
      const benchmark = files.get(`${b}/benchmark.yaml`) as string;
      files.set(`${b}/benchmark.yaml`, benchmark.replace(TEST_IMAGES.preparation, `sha256:${hex("prep-2")}`));
    });
    assert.match(
      (await oldImage.plan()).blocked[0]?.reason as string,
      /another preparation image .*prepare the data again/,
    );

    const changedHere = await setup(withoutResults, {
      prepared: [{ ...DATASET, hash: `fedeval-tree-v1:sha256:${hex("other data")}` }],
    });
    assert.match((await changedHere.plan()).blocked[0]?.reason as string, /is not the registered dataset/);
  });

  test("only approved models and the site's approved datasets; --benchmark and --model filter", async () => {
    const { plan } = await setup((files) => {
      withoutResults(files);
      const model = `${b}/models/shortcut-cnn.yaml`;
      files.set(model, (files.get(model) as string).replace("status: approved", "status: suspended"));
    });
    assert.deepEqual(
      (await plan()).triples.map((t) => t.model),
      ["effusion-net-v2", "reference-logistic"],
    );
    assert.deepEqual(
      (await plan({ model: "reference-logistic" })).triples.map((t) => t.model),
      ["reference-logistic"],
    );
    await assert.rejects(plan({ benchmark: "nope" }), /no benchmark "nope"/);
    await assert.rejects(plan({ site: "nowhere" }), /site "nowhere" is not in the governance repository/);
  });

  test("says why something is not in the plan: a proposed or suspended model, the site's proposed dataset, a dataset prepared here but never registered", async () => {
    const later: Dataset = { ...DATASET, id: "north-general-2027q1" };
    const unregistered: Dataset = { ...DATASET, id: "north-general-2027q2" };
    const { plan } = await setup(
      (files) => {
        withoutResults(files);
        const suspend = `${b}/models/shortcut-cnn.yaml`;
        decide(files, suspend, { decision: "suspend", setStatus: true });
        const propose = `${b}/models/reference-logistic.yaml`;
        files.set(propose, (files.get(propose) as string).replace("status: approved", "status: proposed"));
        const { approvals: _a, ...proposed } = { ...later, status: "proposed" as const };
        files.set(`${b}/datasets/${later.id}.yaml`, governanceFileText("dataset", proposed));
      },
      { prepared: [DATASET, later, unregistered] },
    );
    const p = await plan();
    assert.deepEqual(
      p.pending.map((x) => `${x.kind} ${x.id} ${x.status}`),
      [
        "model reference-logistic proposed",
        "model shortcut-cnn suspended",
        "dataset north-general-2027q1 proposed",
        "dataset north-general-2027q2 unregistered",
      ],
    );
    assert.deepEqual(summary(p.triples), ["effusion-net-v2 north-general-2026q4: no result"]);
    const text = renderPlan(p);
    assert.match(
      text,
      /^not approved yet, so not in the plan \(4\):\n {2}pleural-effusion-demo {2}model reference-logistic: waits for the committee's approval/m,
    );
    assert.match(
      text,
      /dataset north-general-2027q2: prepared here but not in the governance repository: propose it with `fedeval dataset register --benchmark pleural-effusion-demo --site north-general --name north-general-2027q2`/,
    );
    // --model filters what is pending too
    assert.deepEqual(
      (await plan({ model: "effusion-net-v2" })).pending.map((x) => x.id),
      ["north-general-2027q1", "north-general-2027q2"],
    );
  });

  test("a triple with an outbox entry for the same inputs waits there; an entry for old inputs does not count", async () => {
    const { plan } = await setup(withoutResults);
    const p = await plan({
      outbox: [entry("effusion-net-v2"), entry("shortcut-cnn", `sha256:${hex("old shortcut")}`)],
    });
    assert.deepEqual(
      p.triples.map((t) => t.model),
      ["shortcut-cnn", "reference-logistic"],
    );
    assert.deepEqual(p.waiting, [
      {
        benchmark: BENCHMARK,
        model: "effusion-net-v2",
        dataset: DATASET.id,
        entry: `${BENCHMARK}--${DATASET.id}--effusion-net-v2--r1`,
        state: "pending",
      },
    ]);
  });

  test("a result sent as a pull request that is not merged yet is not run again (nothing is submitted twice)", async () => {
    const { root, site } = await setup(withoutResults);
    const outbox = new Outbox(site.outbox);
    const { id } = entry("shortcut-cnn");
    await outbox.add({
      ...entry("shortcut-cnn"),
      state: "submitted",
      submission: { branch: "fedeval/north-general/results-r1", pr_url: "https://forge.example/gov/pull/7" },
    });
    await outbox.archive(id, "sent");
    assert.deepEqual(await outbox.list(), [], "the entry left the outbox");

    const io = bufferIO();
    const env = { FEDEVAL_HOME: join(site.root, "..", "..") };
    assert.equal(await planCommand({ site: SITE, root, cwd: root, env, json: true }, io), 0);
    const p = JSON.parse(io.out.join("")) as Plan;
    assert.deepEqual(
      p.triples.map((t) => t.model),
      ["effusion-net-v2", "reference-logistic"],
    );
    assert.deepEqual(p.waiting, [
      {
        benchmark: BENCHMARK,
        model: "shortcut-cnn",
        dataset: DATASET.id,
        entry: id,
        state: "submitted",
        pullRequest: "https://forge.example/gov/pull/7",
      },
    ]);

    // `outbox ls` shows what waits here; `--sent`, what left
    const waiting = bufferIO();
    await outboxListCommand({ site: SITE, cwd: root, env }, waiting);
    assert.equal(waiting.out.join(""), "the outbox of site north-general is empty\n");
    const sent = bufferIO();
    await outboxListCommand({ site: SITE, sent: true, cwd: root, env }, sent);
    assert.match(
      sent.out.join(""),
      new RegExp(`^submitted .* ${id} {2}\\(https://forge\\.example/gov/pull/7\\)\n1 entry`),
    );
  });

  test("fifo order follows the commits that added each model; without git history, id order with a note", async () => {
    const files = testTreeFiles();
    withoutResults(files);
    files.set(
      `${b}/benchmark.yaml`,
      (files.get(`${b}/benchmark.yaml`) as string).replace(
        "model_priority: declared",
        "model_priority: fifo",
      ),
    );
    const models = [...files.keys()].filter((p) => p.includes("/models/"));
    const later = new Map(models.map((p) => [p, files.get(p) as string]));
    for (const p of models) files.delete(p);
    const root = await writeTree(files);
    commitAll(root, "benchmark");
    // added in this order, one commit each (commit times one second apart)
    const order = ["shortcut-cnn", "reference-logistic", "effusion-net-v2"];
    for (const [i, id] of order.entries()) {
      await writeTree(
        new Map([[`${b}/models/${id}.yaml`, later.get(`${b}/models/${id}.yaml`) as string]]),
        root,
      );
      process.env.GIT_COMMITTER_DATE = `2026-11-0${i + 1}T10:00:00Z`;
      commitAll(root, `add ${id}`);
    }
    delete process.env.GIT_COMMITTER_DATE;
    const home = await mkdtemp(join(tmpdir(), "fedeval-plan-"));
    const site = workspace({ FEDEVAL_HOME: home }).site(SITE);
    await prepareLocally(site, DATASET);
    const { index } = await loadGovernance(root);
    const p = await planSite({ index, site: SITE, workspace: site, outbox: [] });
    assert.deepEqual(
      p.triples.map((t) => t.model),
      order,
    );
    assert.deepEqual(p.notes, []);

    const noGit = await planSite({
      index,
      site: SITE,
      workspace: site,
      outbox: [],
      modelsAddedAt: async () => undefined,
    });
    assert.deepEqual(
      noGit.triples.map((t) => t.model),
      TEST_MODELS.map((m) => m.id).sort(),
    );
    assert.match(noGit.notes[0] as string, /first come, first served.*no git history/);
  });
});
