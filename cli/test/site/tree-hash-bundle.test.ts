/**
 * The worker must also be found from the esbuild bundle, where the hashing code sits in a shared
 * chunk (dist/chunk-*.js) and the worker is dist/hash-worker.js. This bundles the worker and an
 * entry that lazily imports tree-hash.ts (as main.ts imports commands) with the options of
 * scripts/build.mjs, then runs the bundle with plain node (no tsx).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { build } from "esbuild";
import { cliBuildOptions } from "../../../scripts/build-options.ts";
import { hashDatasetTree } from "../../src/site/tree-hash.ts";

const src = resolve(import.meta.dirname, "../../src");

describe("dataset hash from the esbuild bundle", () => {
  it("finds dist/hash-worker.js from a chunk and hashes like the sources", async () => {
    const work = await mkdtemp(join(tmpdir(), "fedeval-bundle-"));
    const entry = join(work, "entry.ts");
    await writeFile(
      entry,
      `const { hashDatasetTree } = await import(${JSON.stringify(join(src, "site/tree-hash.ts"))});
process.stdout.write(JSON.stringify(await hashDatasetTree(process.argv[2], { workers: 2 })));\n`,
    );
    const dist = join(work, "dist");
    await build(
      cliBuildOptions({
        outdir: dist,
        entryPoints: { cli: entry, "hash-worker": join(src, "site/hash-worker.ts") },
      }),
    );
    const chunks = (await readdir(dist)).filter((f) => f.startsWith("chunk-"));
    const withHashing = [];
    for (const c of chunks)
      if ((await readFile(join(dist, c), "utf8")).includes("fedeval-tree-v1")) withHashing.push(c);
    assert.equal(withHashing.length, 1, `the hashing code should be in one shared chunk: ${chunks}`);

    const dataset = join(work, "dataset");
    for (let i = 0; i < 40; i++) {
      await mkdir(join(dataset, `case-${i % 7}`), { recursive: true });
      await writeFile(join(dataset, `case-${i % 7}`, `image-${i}.raw`), Buffer.alloc(1000 * i + 1, i));
    }
    const run = spawnSync(process.execPath, [join(dist, "cli.js"), dataset], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), await hashDatasetTree(dataset, { workers: 0 }));
  });
});
