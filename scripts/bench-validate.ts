/**
 * `npm run bench:validate`: how much `fedeval validate` costs beyond reading and parsing.
 *
 * Generates a synthetic governance repository of ~10,000 entities (sites, benchmarks, container
 * definitions, models, datasets and signed results), then times, in one process and alternating:
 *   baseline: read every YAML file and parse it (yaml's parseDocument + toJS),
 *   validate: the full validator (schemas, cross-file rules, signature verification).
 * Prints both (best of N) and their ratio. Target: ratio <= 1.3.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseDocument } from "yaml";
import {
  DEMO_MODELS,
  DEMO_SITES,
  demoBenchmark,
  demoContainerConfig,
  demoModel,
  demoSite,
  demoSiteKey,
  signDemoTree,
} from "../cli/src/app/demo/demo-governance.ts";
import { toYaml } from "../cli/src/formats/yaml-write.ts";
import type { Dataset, Result } from "../cli/src/governance/types.ts";
import { signResult } from "../cli/src/results/signature.ts";
import { validateRepository } from "../cli/src/validate/validate-repository.ts";

const BENCHMARKS = 10;
const SITES = 100;
const MODELS = 20;
const RESULTS_PER_BENCHMARK = 800;
const ROUNDS = 3;

const hex = (s: string) => createHash("sha256").update(s).digest("hex");

async function generate(root: string): Promise<number> {
  const files = new Map<string, string>();
  const siteIds = Array.from({ length: SITES }, (_, i) => `site-${i}`);
  const keys = new Map(siteIds.map((s) => [s, demoSiteKey(s)]));
  for (const id of siteIds) {
    const site = {
      ...demoSite(DEMO_SITES[0]),
      id,
      name: `Site ${id}`,
      owners: [`${id}-it`],
      runner_labels: ["self-hosted", id],
    };
    site.keys = [
      {
        id: "demo-1",
        algorithm: "ed25519",
        public_key: keys.get(id)?.publicKey as string,
        created_at: "2026-01-01T00:00:00Z",
      },
    ];
    files.set(`sites/${id}.yaml`, toYaml(site));
  }
  for (let b = 0; b < BENCHMARKS; b++) {
    const bid = `bench-${b}`;
    const modelIds = Array.from({ length: MODELS }, (_, i) => `model-${i}`);
    const images = {
      preparation: `sha256:${hex(`${bid} prep`)}`,
      evaluator: `sha256:${hex(`${bid} eval`)}`,
      models: Object.fromEntries(
        [...modelIds, "reference-logistic"].map((m) => [m, `sha256:${hex(`${bid} ${m}`)}`]),
      ),
    };
    const benchmark = { ...demoBenchmark(images), id: bid };
    files.set(`benchmarks/${bid}/benchmark.yaml`, toYaml(benchmark));
    files.set(
      `benchmarks/${bid}/containers/prep.yaml`,
      demoContainerConfig(images.preparation, "preparation"),
    );
    files.set(
      `benchmarks/${bid}/containers/evaluator.yaml`,
      demoContainerConfig(images.evaluator, "evaluator"),
    );
    files.set(
      `benchmarks/${bid}/containers/reference-logistic.yaml`,
      demoContainerConfig(images.models["reference-logistic"] as string, "model"),
    );
    for (const m of modelIds) {
      const model = {
        ...demoModel(DEMO_MODELS[1], images.models[m] as string),
        id: m,
        container: { image: images.models[m] as string, config: `containers/${m}.yaml` },
      };
      files.set(`benchmarks/${bid}/models/${m}.yaml`, toYaml(model));
      files.set(
        `benchmarks/${bid}/containers/${m}.yaml`,
        demoContainerConfig(images.models[m] as string, "model"),
      );
    }
    const datasets: Dataset[] = siteIds.map((s) => ({
      schema: "fedeval/dataset@1",
      id: `${s}-data`,
      site: s,
      prepared_with: images.preparation,
      hash: `fedeval-tree-v1:sha256:${hex(`${bid} ${s}`)}`,
      statistics: { num_cases: 500, label_counts: { effusion: 150, no_effusion: 350 } },
      status: "approved",
    }));
    for (const d of datasets) files.set(`benchmarks/${bid}/datasets/${d.id}.yaml`, toYaml(d));
    for (let i = 0; i < RESULTS_PER_BENCHMARK; i++) {
      const d = datasets[i % SITES] as Dataset;
      const m = modelIds[Math.floor(i / SITES) % MODELS] as string;
      const counts = { tp: 120, fp: 40, tn: 310, fn: 30 };
      const result: Result = {
        schema: "fedeval/result@1",
        benchmark: { id: bid, version: 1 },
        model: m,
        dataset: d.id,
        n: 500,
        metrics: {
          auc: {
            // the histogram's AUC is 0.877 ± 0.013: the value agrees with it (FE226)
            value: 0.87,
            histogram: {
              bins: 20,
              positive: [1, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 11, 13, 15, 17, 18, 19],
              negative: [36, 34, 32, 30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 9, 7, 5, 4, 2, 1],
            },
          },
          sensitivity: { value: 0.8, counts },
          specificity: { value: 0.885714, counts },
          ece: { value: 0.04, se: 0.008 },
        },
        subgroups: [
          { stratum: "sex", cell: "F", n: 260, metrics: { auc: { value: 0.84 } } },
          { stratum: "sex", cell: "M", n: 240, metrics: { auc: { value: 0.86 } } },
        ],
        provenance: {
          governance_commit: "1f3e9c2",
          images: {
            model: images.models[m] as string,
            evaluator: images.evaluator,
            preparation: images.preparation,
          },
          dataset_hash: d.hash,
          tool: "fedeval 0.1.0",
          started_at: "2026-11-20T01:00:00Z",
          finished_at: "2026-11-20T01:07:12Z",
          isolation: "docker-none-ro",
        },
        approval: { by: `${d.site}-it`, at: "2026-11-20T08:15:00Z", policy: "site-policy" },
      };
      files.set(
        `benchmarks/${bid}/results/${d.id}/${m}.yaml`,
        toYaml(signResult(result, "demo-1", keys.get(d.site)?.privateKey as never)),
      );
    }
    signDemoTree(files, bid);
  }
  for (const [path, text] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return files.size;
}

async function listYaml(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(".yaml")) out.push(join(e.parentPath, e.name));
  }
  return out;
}

async function readAndParse(root: string): Promise<number> {
  const files = [...(await listYaml(join(root, "sites"))), ...(await listYaml(join(root, "benchmarks")))];
  let parsed = 0;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const text = await readFile(files[next++] as string, "utf8");
      parseDocument(text, { schema: "core", uniqueKeys: true }).toJS({ maxAliasCount: 100 });
      parsed++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return parsed;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// `--keep DIR` generates into DIR once and reuses it (for profiling); by default a temp dir is used and removed.
const keepAt = process.argv.indexOf("--keep");
const kept = keepAt > 0 ? process.argv[keepAt + 1] : undefined;
const root = kept ?? (await mkdtemp(join(tmpdir(), "fedeval-bench-validate-")));
try {
  if (!kept || !(await readdir(root).catch(() => [])).length) {
    process.stdout.write("generating a synthetic governance repository... ");
    console.log(`${await generate(root)} files`);
  }
  let baseline = Number.POSITIVE_INFINITY;
  let validate = Number.POSITIVE_INFINITY;
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    baseline = Math.min(baseline, await time(() => readAndParse(root)));
    validate = Math.min(
      validate,
      await time(async () => {
        const report = await validateRepository({ root });
        errors = report.errors;
      }),
    );
  }
  if (errors) throw new Error(`the synthetic repository should be valid, but has ${errors} errors`);
  const ratio = validate / baseline;
  console.log(`read + parse YAML (baseline): ${baseline.toFixed(0)} ms`);
  console.log(`fedeval validate:             ${validate.toFixed(0)} ms`);
  console.log(`ratio: ${ratio.toFixed(2)} (target <= 1.3) ${ratio <= 1.3 ? "OK" : "ABOVE TARGET"}`);
} finally {
  if (!kept) await rm(root, { recursive: true, force: true });
}
