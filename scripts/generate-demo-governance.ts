/**
 * Writes this repository's own governance tree (sites/ and benchmarks/pleural-effusion-demo/)
 * from the demo containers: each site's synthetic data is generated and prepared, every model
 * is run on it and evaluated, and the evaluator's output becomes a signed result, all with the
 * containers run as host processes (isolation: none, which the demo benchmark allows).
 *
 * Image pins are content pins: `sha256:` of the fedeval-tree-v1 hash of the files that make
 * the container (the same files the demo images are built from).
 *
 *   node --import tsx scripts/generate-demo-governance.ts [ROOT]
 */
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { hashDatasetTree } from "../cli/src/datasets/tree-hash.ts";
import {
  DEMO_BENCHMARK,
  DEMO_EVALUATOR_PARAMETERS,
  DEMO_MODELS,
  DEMO_SITES,
  type DemoImages,
  demoBenchmark,
  demoGovernanceFiles,
  demoSiteKey,
} from "../cli/src/demo/demo-governance.ts";
import type { Dataset, Result } from "../cli/src/governance/types.ts";
import { pendingResult, readEvaluatorOutput } from "../cli/src/results/build-result.ts";
import { signResult } from "../cli/src/results/signature.ts";
import { FEDEVAL_VERSION } from "../cli/src/version.ts";

const REPO = resolve(import.meta.dirname, "..");
const CONTAINERS = join(REPO, "demo/containers");
const root = resolve(process.argv[2] ?? REPO);
const work = await mkdtemp(join(tmpdir(), "fedeval-demo-gen-"));

/** Lays out a container's files in a folder and pins it by their tree hash. */
async function contentPin(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, "images", name);
  for (const [target, source] of Object.entries(files)) {
    await mkdir(dirname(join(dir, target)), { recursive: true });
    await cp(join(CONTAINERS, source), join(dir, target));
  }
  const { hash } = await hashDatasetTree(dir);
  return `sha256:${hash.split(":").pop()}`;
}

const node = (script: string, ...args: string[]) =>
  execFileSync(process.execPath, [join(CONTAINERS, script), ...args], {
    stdio: ["ignore", "ignore", "inherit"],
  });

try {
  const images: DemoImages = {
    preparation: await contentPin("prep", { "app/lib.mjs": "lib.mjs", "app/prep.mjs": "prep.mjs" }),
    evaluator: await contentPin("evaluator", {
      "app/lib.mjs": "lib.mjs",
      "app/evaluate.mjs": "evaluate.mjs",
    }),
    models: {},
  };
  for (const m of DEMO_MODELS) {
    images.models[m.id] = await contentPin(m.id, {
      "app/lib.mjs": "lib.mjs",
      "app/model.mjs": "model.mjs",
      "app/weights.json": `weights/${m.id}.json`,
    });
  }
  const benchmark = demoBenchmark(images);
  const datasets: Dataset[] = [];
  const results: Result[] = [];
  const empty = join(work, "empty-parameters.yaml");
  await writeFile(empty, "{}\n");
  const evalParams = join(work, "evaluator-parameters.yaml");
  await writeFile(evalParams, DEMO_EVALUATOR_PARAMETERS);
  for (const site of DEMO_SITES) {
    const w = join(work, site.id);
    node("synthetic-site.mjs", `--site=${site.id}`, `--data_path=${w}/raw`, `--labels_path=${w}/raw-labels`);
    const prepared = join(w, "prepared");
    node(
      "prep.mjs",
      "prepare",
      `--data_path=${w}/raw`,
      `--labels_path=${w}/raw-labels`,
      `--parameters_file=${empty}`,
      `--output_path=${prepared}/data`,
      `--output_labels_path=${prepared}/labels`,
    );
    node(
      "prep.mjs",
      "sanity_check",
      `--data_path=${prepared}/data`,
      `--labels_path=${prepared}/labels`,
      `--parameters_file=${empty}`,
    );
    node(
      "prep.mjs",
      "statistics",
      `--data_path=${prepared}/data`,
      `--labels_path=${prepared}/labels`,
      `--parameters_file=${empty}`,
      `--output_path=${w}/statistics.yaml`,
    );
    const statistics = parse(await readFile(join(w, "statistics.yaml"), "utf8")) as Record<
      string,
      number | Record<string, number>
    >;
    const tree = await hashDatasetTree(prepared);
    const dataset: Dataset = {
      schema: "fedeval/dataset@1",
      id: `${site.id}-2026q4`,
      site: site.id,
      prepared_with: images.preparation,
      hash: tree.hash,
      medperf_uid: tree.medperfUid,
      statistics: Object.fromEntries(
        Object.entries(statistics).filter(([k]) => benchmark.statistics_published?.includes(k)),
      ),
      status: "approved",
      requested_by: site.owners[0],
      approved_by: ["demo-committee"],
      prepared_at: "2026-11-02T10:00:00Z",
    };
    for (const m of DEMO_MODELS) {
      const started = new Date(Date.UTC(2026, 10, 20, 1, 0, 0));
      const predictions = join(w, `predictions-${m.id}`);
      const t0 = performance.now();
      execFileSync(
        process.execPath,
        [
          join(CONTAINERS, "model.mjs"),
          "infer",
          `--data_path=${prepared}/data`,
          `--parameters_file=${empty}`,
          `--output_path=${predictions}`,
        ],
        {
          env: { ...process.env, FEDEVAL_DEMO_WEIGHTS: join(CONTAINERS, `weights/${m.id}.json`) },
        },
      );
      const inferMs = performance.now() - t0;
      node(
        "evaluate.mjs",
        "evaluate",
        `--predictions=${predictions}`,
        `--labels=${prepared}/labels`,
        `--parameters_file=${evalParams}`,
        `--output_path=${w}/results-${m.id}.yaml`,
      );
      const output = readEvaluatorOutput(
        benchmark,
        parse(await readFile(join(w, `results-${m.id}.yaml`), "utf8")),
        statistics.num_cases as number,
      );
      if (output.dropped.length)
        throw new Error(
          `the demo evaluator wrote undeclared output: ${output.dropped.map((d) => d.path).join(", ")}`,
        );
      if (m.id === "reference-logistic")
        dataset.reference_result = Object.fromEntries(
          Object.entries(output.metrics).map(([k, v]) => [k, v.value]),
        );
      const pending = pendingResult(benchmark, { model: m.id, dataset: dataset.id }, output, {
        governance_commit: "0000000",
        images: {
          model: images.models[m.id] as string,
          evaluator: images.evaluator,
          preparation: images.preparation,
        },
        dataset_hash: dataset.hash,
        tool: `fedeval ${FEDEVAL_VERSION}`,
        started_at: started.toISOString().replace(".000", ""),
        finished_at: new Date(started.getTime() + 60_000).toISOString().replace(".000", ""),
        isolation: "none",
        latency_ms_per_case: Math.round((inferMs / output.n) * 1000) / 1000,
      });
      const approved: Result = {
        ...pending,
        approval: { by: site.owners[0], at: "2026-11-20T08:00:00Z", policy: "site-policy" },
      };
      results.push(signResult(approved, "demo-1", demoSiteKey(site.id).privateKey));
    }
    datasets.push(dataset);
  }
  await rm(join(root, "benchmarks", DEMO_BENCHMARK), { recursive: true, force: true });
  for (const [path, text] of demoGovernanceFiles({ images, datasets, results })) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  console.log(
    `wrote ${DEMO_SITES.length} sites, ${datasets.length} datasets and ${results.length} signed results under ${root}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
