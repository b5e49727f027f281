/**
 * A site's world for tests, all real: a governance repository (a git clone with commits) holding
 * the demo benchmark with the given images, a FEDEVAL_HOME, and a hospital's raw export generated
 * by demo/containers/synthetic-site.mjs.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type Docker from "dockerode";
import {
  DEMO_BENCHMARK,
  DEMO_MODELS,
  type DemoImages,
  demoContainerConfig,
  demoGovernanceFiles,
  demoModel,
} from "../../src/app/demo/demo-governance.ts";
import { silentLogger } from "../../src/base/logger.ts";
import { type SiteWorkspace, workspace } from "../../src/base/workspace.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { loadGovernance } from "../../src/governance/loader.ts";
import type { Dataset } from "../../src/governance/types.ts";
import { prepareDataset } from "../../src/site/prepare.ts";
import { createRunner, siteLimits } from "../../src/site/runners.ts";
import { writeTree } from "../helpers/governance-tree.ts";

export const SITE = "north-general";
export const DATASET = "north-2026";
const b = `benchmarks/${DEMO_BENCHMARK}`;

export const DEMO_CONTAINERS = resolve(import.meta.dirname, "../../../demo/containers");

export function git(root: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=fedeval test", "-c", "user.email=test@example.org", ...args], {
    cwd: root,
    encoding: "utf8",
  });
}

/** Stages and commits everything (initializing the repository the first time). */
export function commitAll(root: string, message: string): string {
  if (!existsSync(join(root, ".git"))) git(root, "init", "-q", "-b", "main");
  git(root, "add", "-A");
  git(root, "commit", "-q", "--allow-empty", "-m", message);
  return git(root, "rev-parse", "HEAD").trim();
}

/** The demo governance repository with `images`, committed; `edit` may change files first. */
export async function demoRepository(
  images: DemoImages,
  edit?: (files: Map<string, string>) => void,
): Promise<string> {
  const files = demoGovernanceFiles({ images, datasets: [], results: [] });
  edit?.(files);
  const root = await writeTree(files);
  commitAll(root, "demo benchmark");
  return root;
}

/** Registers (approves) a prepared dataset's association in the repository, committed. */
export async function registerDataset(root: string, association: Dataset): Promise<void> {
  const approved: Dataset = { ...association, status: "approved", approved_by: ["demo-committee"] };
  const dir = join(root, "benchmarks", DEMO_BENCHMARK, "datasets");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${association.id}.yaml`), governanceFileText("dataset", approved));
  commitAll(root, `register ${association.id}`);
}

/** A demo hospital's raw export (cases.csv, labels.csv). */
export async function rawExport(site: string): Promise<{ data: string; labels: string }> {
  const dir = await mkdtemp(join(tmpdir(), "fedeval-raw-"));
  const data = join(dir, "data");
  const labels = join(dir, "labels");
  execFileSync(process.execPath, [
    join(DEMO_CONTAINERS, "synthetic-site.mjs"),
    `--site=${site}`,
    `--data_path=${data}`,
    `--labels_path=${labels}`,
  ]);
  return { data, labels };
}

/** A fresh FEDEVAL_HOME holding a copy of an already prepared dataset of `from` (a site workspace root). */
export async function homeWithDataset(fromHome: string, site: string, dataset: string): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const rel = join("sites", site, "datasets", DEMO_BENCHMARK, dataset);
  await cp(join(fromHome, rel), join(home, rel), { recursive: true, preserveTimestamps: true });
  return home;
}

export interface PreparedDataset {
  /** The FEDEVAL_HOME it was prepared in. */
  home: string;
  association: Dataset;
}

/** north-general's export prepared as DATASET with the demo containers in Docker (about 3 s). */
export async function prepareDemoDataset(images: DemoImages, docker: Docker): Promise<PreparedDataset> {
  const root = await demoRepository(images);
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const { index } = await loadGovernance(root);
  const outcome = await prepareDataset({
    index,
    benchmark: DEMO_BENCHMARK,
    site: SITE,
    dataset: DATASET,
    ...(await rawExport(SITE)),
    runner: await createRunner("docker", { home, cwd: root, env: {}, docker }),
    limits: siteLimits({}),
    workspace: workspace({ FEDEVAL_HOME: home }).site(SITE),
    logger: silentLogger,
  });
  if (!outcome.ok) throw new Error(`preparing the test dataset failed: ${outcome.message}`);
  return { home, association: outcome.association };
}

export interface SiteWorld {
  root: string;
  home: string;
  env: NodeJS.ProcessEnv;
  site: SiteWorkspace;
}

/** A governance clone with the dataset registered, and a fresh workspace holding it prepared. */
export async function siteWorld(
  images: DemoImages,
  prepared: PreparedDataset,
  edit?: (files: Map<string, string>) => void,
): Promise<SiteWorld> {
  const root = await demoRepository(images, edit);
  await registerDataset(root, prepared.association);
  const home = await homeWithDataset(prepared.home, SITE, DATASET);
  const env = { FEDEVAL_HOME: home, PATH: process.env.PATH };
  return { root, home, env, site: workspace(env).site(SITE) };
}

/** Removes every demo model but `keep`. */
export const onlyModels = (keep: string[]) => (files: Map<string, string>) => {
  for (const m of DEMO_MODELS) {
    if (keep.includes(m.id)) continue;
    files.delete(`${b}/models/${m.id}.yaml`);
    files.delete(`${b}/containers/${m.id}.yaml`);
  }
};

/** Adds an approved model running `node /app/model.mjs infer ...` in `image`. */
export function addModel(files: Map<string, string>, id: string, image: string, priority: number): void {
  files.set(`${b}/containers/${id}.yaml`, demoContainerConfig(image, "model"));
  const model = {
    ...demoModel(DEMO_MODELS[1], image),
    id,
    title: id,
    priority,
    container: { image, config: `containers/${id}.yaml` },
  };
  files.set(`${b}/models/${id}.yaml`, governanceFileText("model", model));
}

/** A one-file model whose infer task never ends (until killed). */
export const SLOW_MODEL = "setTimeout(() => {}, 120000);";

/** Removes images a test built (their layers stay while other images share them). */
export async function removeImages(docker: Docker, refs: string[]): Promise<void> {
  for (const ref of refs)
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
}

export const demoImageRefs = (images: DemoImages) => [
  images.preparation,
  images.evaluator,
  ...Object.values(images.models),
];
