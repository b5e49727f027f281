/**
 * `node --import tsx scripts/bench-leaderboard.ts [models] [sites]`: what `fedeval leaderboard
 * build` costs beyond reading the results.
 *
 * Generates one benchmark with 100 models × 1,000 sites = 100,000 results (default), each signed
 * with its site's key (ed25519, like real results: the build verifies every signature, so the
 * bench does not take the `--allow-unsigned` shortcut). Then, in one process:
 *   baseline: read every governance file and parse its YAML (the loader's safe parser);
 *   load:     loadGovernance (baseline + schema checks), for reference;
 *   build:    the whole `leaderboard build` — load, git, signature checks, pooling, rank
 *             bootstrap, rendering and writing every page, CSV and JSON.
 * Prints the times, build ÷ baseline (target ≤ 2), and the benchmark page's weight (target ≤ 300 KB).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  DEMO_SITES,
  demoBenchmark,
  demoContainerConfig,
  demoSite,
  demoSiteKey,
  signDemoTree,
} from "../cli/src/app/demo/demo-governance.ts";
import { silentLogger } from "../cli/src/base/logger.ts";
import { parseYaml } from "../cli/src/formats/yaml-source.ts";
import { toYaml } from "../cli/src/formats/yaml-write.ts";
import { loadGovernance } from "../cli/src/governance/loader.ts";
import type { Dataset, Model, Result } from "../cli/src/governance/types.ts";
import { buildLeaderboard } from "../cli/src/leaderboard/build.ts";
import { signResult } from "../cli/src/results/signature.ts";
import { histogramAuc } from "../cli/src/stats/histogram.ts";
import { mulberry32 } from "../cli/src/stats/random.ts";

const MODELS = Number(process.argv[2] ?? 100);
const SITES = Number(process.argv[3] ?? 1000);
const BENCHMARK = "bench-leaderboard";

const hex64 = (i: number, salt: string) => `${salt}${i.toString(16)}`.padEnd(64, "0").slice(0, 64);

async function generate(root: string): Promise<number> {
  const files = new Map<string, string>();
  const modelIds = Array.from({ length: MODELS }, (_, i) => `model-${i}`);
  const images = {
    preparation: `sha256:${hex64(1, "a")}`,
    evaluator: `sha256:${hex64(2, "b")}`,
    models: Object.fromEntries(
      [...modelIds, "reference-logistic"].map((m, i) => [m, `sha256:${hex64(i, "c")}`]),
    ),
  };
  const b = `benchmarks/${BENCHMARK}`;
  files.set(`${b}/benchmark.yaml`, toYaml({ ...demoBenchmark(images), id: BENCHMARK }));
  files.set(`${b}/containers/prep.yaml`, demoContainerConfig(images.preparation, "preparation"));
  files.set(`${b}/containers/evaluator.yaml`, demoContainerConfig(images.evaluator, "evaluator"));
  for (const m of [...modelIds, "reference-logistic"]) {
    files.set(`${b}/containers/${m}.yaml`, demoContainerConfig(images.models[m] as string, "model"));
  }
  for (const m of modelIds) {
    const model: Model = {
      schema: "fedeval/model@1",
      id: m,
      title: `Model ${m}`,
      owner: ["vendor"],
      container: { image: images.models[m] as string, config: `containers/${m}.yaml` },
      status: "approved",
      requested_by: "vendor",
    };
    files.set(`${b}/models/${m}.yaml`, toYaml(model));
  }
  signDemoTree(files, BENCHMARK);
  await writeAll(root, files);
  files.clear();
  let written = 0;
  for (let s = 0; s < SITES; s++) {
    const site = `site-${s}`;
    const key = demoSiteKey(site);
    const siteFile = {
      ...demoSite(DEMO_SITES[0]),
      id: site,
      name: `Hospital ${s}`,
      owners: [`${site}-it`],
      runner_labels: ["self-hosted", site],
    };
    siteFile.keys = [
      { id: key.id, algorithm: "ed25519", public_key: key.publicKey, created_at: "2026-01-01T00:00:00Z" },
    ];
    files.set(`sites/${site}.yaml`, toYaml(siteFile));
    const dataset: Dataset = {
      schema: "fedeval/dataset@1",
      id: `${site}-2026q4`,
      site,
      prepared_with: images.preparation,
      hash: `fedeval-tree-v1:sha256:${hex64(s, "d")}`,
      statistics: { num_cases: 400 },
      status: "approved",
      requested_by: `${site}-it`,
    };
    files.set(`${b}/datasets/${dataset.id}.yaml`, toYaml(dataset));
    const random = mulberry32(s + 1);
    modelIds.forEach((m, i) => {
      const shift = Math.min(15, Math.floor((i % 10) / 2 + random() * 6));
      const positive = Array.from({ length: 20 }, (_, bin): number => (bin >= shift ? 6 : 0));
      positive[19] = (positive[19] as number) + 120 - positive.reduce((x, y) => x + y, 0);
      const histogram = { bins: 20, positive, negative: new Array<number>(20).fill(14) };
      const auc = histogramAuc(histogram);
      const tp = positive.slice(10).reduce((x, y) => x + y, 0);
      const counts = { tp, fn: 120 - tp, tn: 140, fp: 140 };
      const result: Result = {
        schema: "fedeval/result@1",
        benchmark: { id: BENCHMARK, version: 1 },
        model: m,
        dataset: dataset.id,
        n: 400,
        metrics: {
          auc: { value: auc.ok ? auc.estimate : null, histogram },
          sensitivity: { value: tp / 120, counts },
          specificity: { value: 0.5, counts },
          ece: { value: 0.03 + random() * 0.04, se: 0.004 + random() * 0.004 },
        },
        subgroups: [
          { stratum: "sex", cell: "F", n: 210, metrics: { auc: { value: 0.7 + random() * 0.2 } } },
          { stratum: "sex", cell: "M", n: 190, metrics: { auc: { value: 0.7 + random() * 0.2 } } },
          { stratum: "scanner_vendor", cell: "vendor-b", suppressed: true },
        ],
        provenance: {
          governance_commit: "1f3e9c2",
          images: {
            model: images.models[m] as string,
            evaluator: images.evaluator,
            preparation: images.preparation,
          },
          dataset_hash: dataset.hash,
          tool: "fedeval 0.1.0",
          started_at: "2026-11-20T01:00:00Z",
          finished_at: "2026-11-20T01:07:12Z",
          hardware: { cpu: "16 x Xeon", gpu: s % 3 === 0 ? "NVIDIA L4" : "NVIDIA T4" },
          isolation: "docker-none-ro",
          latency_ms_per_case: 20 + i + random() * 10,
        },
        approval: { by: `${site}-it`, at: "2026-11-20T08:15:00Z", policy: "manual" },
      };
      files.set(`${b}/results/${dataset.id}/${m}.yaml`, toYaml(signResult(result, key.id, key.privateKey)));
    });
    if (files.size > 5000 || s === SITES - 1) {
      signDemoTree(files, BENCHMARK);
      written += await writeAll(root, files);
      files.clear();
    }
  }
  return written;
}

async function writeAll(root: string, files: Map<string, string>): Promise<number> {
  const dirs = new Set([...files.keys()].map((p) => dirname(join(root, p))));
  for (const d of dirs) await mkdir(d, { recursive: true });
  const entries = [...files];
  for (let i = 0; i < entries.length; i += 64) {
    await Promise.all(entries.slice(i, i + 64).map(([p, t]) => writeFile(join(root, p), t)));
  }
  return entries.length;
}

async function walk(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else out.push(p);
  }
  return out;
}

async function governanceFiles(root: string): Promise<string[]> {
  return [...(await walk(join(root, "sites"))), ...(await walk(join(root, "benchmarks")))];
}

/** Read and parse every governance file, as the loader does before its checks. */
async function baseline(files: readonly string[]): Promise<number> {
  let parsed = 0;
  for (let i = 0; i < files.length; i += 64) {
    const texts = await Promise.all(files.slice(i, i + 64).map((f) => readFile(f, "utf8")));
    for (const [j, text] of texts.entries()) if (parseYaml(text, files[i + j] as string).source) parsed++;
  }
  return parsed;
}

/** The loader alone; only counts leave this function, so its index is garbage before the build. */
async function load(root: string): Promise<number> {
  const { index } = await loadGovernance(root);
  return [...index.benchmarks.values()].reduce((n, f) => n + f.results.size, 0);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const root = await mkdtemp(join(tmpdir(), "fedeval-bench-lb-"));
const out = join(await mkdtemp(join(tmpdir(), "fedeval-bench-lb-out-")), "site");
try {
  console.log(
    `generating ${MODELS} models × ${SITES} sites = ${(MODELS * SITES).toLocaleString("en-US")} signed results in ${root}`,
  );
  let t = performance.now();
  const files = await generate(root);
  console.log(`  generated ${files.toLocaleString("en-US")} files in ${seconds(performance.now() - t)}`);

  const all = await governanceFiles(root);
  await baseline(all.slice(0, 2000)); // warm up the YAML parser, so the baseline is not charged for it
  t = performance.now();
  const parsed = await baseline(all);
  const baselineMs = performance.now() - t;
  console.log(`baseline (read + parse ${parsed.toLocaleString("en-US")} files): ${seconds(baselineMs)}`);

  t = performance.now();
  const results = await load(root);
  const loadMs = performance.now() - t;
  console.log(`load (loadGovernance, ${results.toLocaleString("en-US")} results): ${seconds(loadMs)}`);

  t = performance.now();
  const summary = await buildLeaderboard({ root, out, allowUnsigned: false, logger: silentLogger });
  const buildMs = performance.now() - t;
  const b = summary.leaderboard.benchmarks[0];
  const page = summary.bytes.get(`benchmarks/${BENCHMARK}/index.html`) ?? 0;
  const total = [...summary.bytes.values()].reduce((x, y) => x + y, 0);
  console.log(
    `build (leaderboard build: ${b?.results.included.toLocaleString("en-US")} results verified and on the board, ${summary.files.toLocaleString("en-US")} files, ${(total / 1e6).toFixed(0)} MB): ${seconds(buildMs)}`,
  );
  console.log(`ratio build / baseline: ${(buildMs / baselineMs).toFixed(2)} (target <= 2)`);
  console.log(
    `ratio build / load:     ${(buildMs / loadMs).toFixed(2)} (the loader alone: ${(loadMs / baselineMs).toFixed(2)} x baseline)`,
  );
  console.log(`benchmark page: ${(page / 1024).toFixed(1)} KB (target <= 300 KB)`);
  const model = summary.bytes.get(`benchmarks/${BENCHMARK}/models/model-0.html`) ?? 0;
  const json = summary.bytes.get("leaderboard.json") ?? 0;
  console.log(`model page: ${(model / 1024).toFixed(1)} KB; leaderboard.json: ${(json / 1e6).toFixed(1)} MB`);
} finally {
  await rm(root, { recursive: true, force: true });
  await rm(dirname(out), { recursive: true, force: true });
}
