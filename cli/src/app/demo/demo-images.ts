/**
 * The demo benchmark's containers (demo/containers/*.mjs), as images for either runner:
 *
 * - Docker: `buildDemoImages` builds one local image per container with `buildNodeImage` (FROM
 *   scratch + the Node binary, no registry): the preparation image holds /app/lib.mjs and
 *   /app/prep.mjs, the evaluator /app/lib.mjs and /app/evaluate.mjs, and each model /app/lib.mjs,
 *   /app/model.mjs and its weights as /app/weights.json. Images have no ENTRYPOINT: the demo
 *   container configs run `node /app/<file>.mjs <task> ...`. Each is pinned by its image id.
 *
 * - Process runner: `demoProcessImages` lays the same files out on the host, one folder per
 *   container (`<dir>/<name>/app/...`), and gives each a host command standing in for the image.
 *   Process-runner pins are content hashes of the container's files: `sha256:` + the hex of the
 *   folder's `fedeval-tree-v1` hash (schemas/dataset-hash.md), so the pin changes exactly when a
 *   file of the container changes. The process runner does not verify them; results it produces
 *   say `isolation: none` anyway.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type Docker from "dockerode";
import { packageRoot } from "../../base/package-root.ts";
import { buildNodeImage } from "../../containers/node-image.ts";
import type { ImageRef } from "../../containers/runner.ts";
import { hashDatasetTree } from "../../site/tree-hash.ts";
import { DEMO_MODELS, type DemoImages } from "./demo-governance.ts";

/** Path in the image → file under demo/containers/, per container. */
export function demoContainerFiles(): {
  name: string;
  role: "preparation" | "evaluator" | "model";
  model?: string;
  files: Record<string, string>;
}[] {
  const src = join(packageRoot(), "demo", "containers");
  const lib = { "/app/lib.mjs": join(src, "lib.mjs") };
  return [
    { name: "prep", role: "preparation", files: { ...lib, "/app/prep.mjs": join(src, "prep.mjs") } },
    {
      name: "evaluator",
      role: "evaluator",
      files: { ...lib, "/app/evaluate.mjs": join(src, "evaluate.mjs") },
    },
    ...DEMO_MODELS.map((m) => ({
      name: m.id,
      role: "model" as const,
      model: m.id,
      files: {
        ...lib,
        "/app/model.mjs": join(src, "model.mjs"),
        "/app/weights.json": join(src, "weights", `${m.id}.json`),
      },
    })),
  ];
}

function collect(refs: { role: string; model?: string; ref: ImageRef }[]): DemoImages {
  const images: DemoImages = { preparation: "", evaluator: "", models: {} };
  for (const r of refs) {
    if (r.role === "preparation") images.preparation = r.ref;
    else if (r.role === "evaluator") images.evaluator = r.ref;
    else images.models[r.model as string] = r.ref;
  }
  return images;
}

/** Builds the demo images in the Docker Engine (about a second each) and returns their ids. */
export async function buildDemoImages(docker: Docker, tagPrefix = "fedeval-demo"): Promise<DemoImages> {
  const refs = [];
  for (const c of demoContainerFiles()) {
    const files = Object.fromEntries(Object.entries(c.files).map(([at, hostPath]) => [at, { hostPath }]));
    const ref = await buildNodeImage(docker, { tag: `${tagPrefix}/${c.name}:dev`, files, entrypoint: [] });
    refs.push({ role: c.role, model: c.model, ref });
  }
  return collect(refs);
}

/**
 * Runs `node /app/<file> <args>` (the demo configs' command) as `<node> <folder>/app/<file> <args>`:
 * the argv after `-e CODE --` is `<folder> node /app/<file> <args>`.
 */
const LAUNCHER = `const [root, cmd, script, ...rest] = process.argv.slice(1);
if (cmd !== "node" || !script || !script.startsWith("/app/")) {
  process.stderr.write("fedeval demo launcher: expected node /app/<file>, got " + cmd + " " + script + "\\n");
  process.exit(2);
}
const file = require("node:path").join(root, script);
process.argv = [process.execPath, file, ...rest];
import(require("node:url").pathToFileURL(file).href).catch((e) => { console.error(e); process.exit(1); });`;

export interface DemoProcessImages {
  images: DemoImages;
  /** Host command per image ref, for ProcessRunner `entrypoints` (or process-images.json). */
  entrypoints: Record<ImageRef, string[]>;
}

/** Lays the demo containers out under `dir` for the process runner. */
export async function demoProcessImages(dir: string): Promise<DemoProcessImages> {
  const refs = [];
  const entrypoints: Record<ImageRef, string[]> = {};
  for (const c of demoContainerFiles()) {
    const folder = join(dir, c.name);
    for (const [at, hostPath] of Object.entries(c.files)) {
      await mkdir(dirname(join(folder, at)), { recursive: true });
      await copyFile(hostPath, join(folder, at));
    }
    const ref = `sha256:${(await hashDatasetTree(folder)).hash.split(":").pop()}`;
    entrypoints[ref] = [process.execPath, "-e", LAUNCHER, "--", folder];
    refs.push({ role: c.role, model: c.model, ref });
  }
  return { images: collect(refs), entrypoints };
}
