/**
 * A valid governance tree for tests: the test benchmark (fixtures.ts) with fake but well-formed image
 * pins, datasets and results, results signed with the test site keys. Tests then break one thing.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import type { Dataset, Result } from "../../src/governance/types.ts";
import { signResult } from "../../src/results/signature.ts";
import {
  BENCHMARK,
  decide,
  governanceFiles,
  SITE_KEY_ID,
  siteKey,
  siteOwner,
  TEST_MODELS,
  TEST_SITES,
  type TestImages,
} from "./fixtures.ts";

export const hex = (s: string) => createHash("sha256").update(s).digest("hex");

export const TEST_IMAGES: TestImages = {
  preparation: `sha256:${hex("prep")}`,
  evaluator: `sha256:${hex("evaluator")}`,
  models: Object.fromEntries(TEST_MODELS.map((m) => [m.id, `sha256:${hex(m.id)}`])),
};

export function testDataset(site: string): Dataset {
  return {
    schema: "fedeval/dataset@1",
    id: `${site}-2026q4`,
    site,
    prepared_with: TEST_IMAGES.preparation,
    hash: `fedeval-tree-v1:sha256:${hex(`data ${site}`)}`,
    statistics: { num_cases: 400, label_counts: { effusion: 120, no_effusion: 280 } },
    reference_result: { auc: 0.81 },
    status: "approved",
    requested_by: siteOwner(site),
  };
}

export function testResult(dataset: Dataset, model: string, sign = true): Result {
  const counts = { tp: 90, fp: 30, tn: 250, fn: 30 };
  const result: Result = {
    schema: "fedeval/result@1",
    benchmark: { id: BENCHMARK, version: 1 },
    model,
    dataset: dataset.id,
    n: 400,
    metrics: {
      auc: {
        value: 0.86,
        // the histogram's AUC is 0.866 ± 0.014 (tied pairs): the value agrees with it (FE226)
        histogram: {
          bins: 20,
          positive: [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 6, 6, 7, 9, 10, 12, 13, 14, 15],
          negative: [28, 27, 26, 25, 23, 21, 19, 17, 15, 14, 12, 11, 10, 9, 7, 6, 4, 3, 2, 1],
        },
      },
      sensitivity: { value: 0.75, counts },
      specificity: { value: 0.8929, counts },
      ece: { value: 0.05, se: 0.01 },
    },
    subgroups: [
      { stratum: "sex", cell: "F", n: 210, metrics: { auc: { value: 0.84 } } },
      { stratum: "sex", cell: "M", n: 190, metrics: { auc: { value: 0.88 } } },
      { stratum: "scanner_vendor", cell: "vendor-b", suppressed: true },
    ],
    provenance: {
      governance_commit: "1f3e9c2",
      images: {
        model: TEST_IMAGES.models[model] as string,
        evaluator: TEST_IMAGES.evaluator,
        preparation: TEST_IMAGES.preparation,
      },
      dataset_hash: dataset.hash,
      tool: "fedeval 0.1.0",
      started_at: "2026-11-20T01:00:00Z",
      finished_at: "2026-11-20T01:07:12Z",
      isolation: "docker-none-ro",
    },
    approval: {
      by: siteOwner(dataset.site) as string,
      at: "2026-11-20T08:15:00Z",
      policy: "manual",
    },
  };
  return sign ? signResult(result, SITE_KEY_ID, siteKey(dataset.site).privateKey) : result;
}

export function testTreeFiles(): Map<string, string> {
  const datasets = TEST_SITES.map((s) => testDataset(s.id));
  const results = datasets.flatMap((d) => TEST_MODELS.map((m) => testResult(d, m.id)));
  return governanceFiles({ images: TEST_IMAGES, datasets, results });
}

export async function writeTree(files: Map<string, string>, root?: string): Promise<string> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), "fedeval-gov-")));
  for (const [path, text] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** A fresh valid tree on disk; `edit` may change, add or delete files first. */
export async function makeTree(edit?: (files: Map<string, string>) => void): Promise<string> {
  const files = testTreeFiles();
  edit?.(files);
  return writeTree(files);
}

/** `decide` (fixtures.ts) on a tree on disk: signs a decision on the file at `path` as the files under `root` say now. */
export async function decideIn(root: string, path: string, opts: Parameters<typeof decide>[2] = {}) {
  const b = path.split("/").slice(0, 2).join("/");
  const files = new Map<string, string>();
  for (const entry of await readdir(join(root, b), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".yaml")) continue;
    const file = join(entry.parentPath, entry.name);
    files.set(relative(root, file), await readFile(file, "utf8"));
  }
  const record = decide(files, path, opts);
  await writeFile(join(root, path), files.get(path) as string);
  return record;
}
