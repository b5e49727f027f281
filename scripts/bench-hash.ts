/**
 * Benchmark of the dataset hash (issue 3, performance (a)):
 *   node --import tsx scripts/bench-hash.ts
 *
 * On a generated tree of ~800 MB in 400 files (cached in the temp directory between runs), times
 * - MedPerf's algorithm as MedPerf runs it: one thread, SHA-256 per file with synchronous 64 KiB
 *   reads (`get_file_hash`), then SHA-256 of the sorted hex digests (`get_folders_hash`);
 * - fedeval's hash as shipped: tree-hash.ts and hash-worker.ts bundled by esbuild like
 *   scripts/build.mjs does, run by plain node;
 * - fedeval's hash from the sources, for information: there each worker first loads tsx, which
 *   costs ~0.2 s of start-up that the bundle does not pay.
 * The runs are interleaved and the best of ROUNDS is kept for each. The page cache is warm for all
 * (a warm-up pass reads the tree first), so this measures hashing, not the disk.
 * Target: fedeval ≥ 1.8× faster than MedPerf's algorithm on 2 cores.
 */
import { createCipheriv, createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import * as fromSources from "../cli/src/site/tree-hash.ts";
import { cliBuildOptions } from "./build-options.ts";

const FILES = 400;
const ROUNDS = 7;
const tree = join(tmpdir(), "fedeval-bench-hash-v1");

/** 400 files of 1.0–3.0 MB (~800 MB) in 20 case folders; AES-CTR keystream: pseudo-random, deterministic, fast. */
function generateTree(): void {
  const done = `${tree}.complete`;
  if (existsSync(done)) return;
  const zeros = Buffer.alloc(3_000_000);
  for (let i = 0; i < FILES; i++) {
    const size = 1_000_000 + ((i * 2_654_435_761) % 2_000_000);
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(i, 12);
    const folder = join(tree, `case-${String(i % 20).padStart(3, "0")}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, `image-${i}.raw`),
      createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), iv).update(zeros.subarray(0, size)),
    );
  }
  writeFileSync(done, "");
}

/** MedPerf's get_folders_hash([dir]) (cli/medperf/utils.py), single-threaded like Python's. */
function medperfFoldersHash(dir: string): string {
  const digests: string[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const sha = createHash("sha256");
        const fd = openSync(path, "r");
        for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) sha.update(buffer.subarray(0, n));
        closeSync(fd);
        digests.push(sha.digest("hex"));
      }
    }
  };
  walk(dir);
  const sha = createHash("sha256");
  for (const d of digests.sort()) sha.update(d);
  return sha.digest("hex");
}

/** tree-hash.ts as the CLI ships it: bundled with the worker, as scripts/build.mjs does. */
async function bundled(): Promise<typeof fromSources> {
  const out = await mkdtemp(join(tmpdir(), "fedeval-bench-bundle-"));
  const src = resolve(import.meta.dirname, "../cli/src/site");
  await build(
    cliBuildOptions({
      outdir: out,
      entryPoints: { "tree-hash": join(src, "tree-hash.ts"), "hash-worker": join(src, "hash-worker.ts") },
    }),
  );
  return import(join(out, "tree-hash.js"));
}

async function time(run: () => unknown): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

generateTree();
const shipped = await bundled();
const warm = await shipped.hashDatasetTree(tree);
const medperfUid = medperfFoldersHash(tree);
if (warm.medperfUid !== medperfUid)
  throw new Error(`medperf_uid differs: ${warm.medperfUid} vs ${medperfUid}`);

const best = { medperf: Infinity, bundle: Infinity, sources: Infinity };
for (let round = 0; round < ROUNDS; round++) {
  best.medperf = Math.min(best.medperf, await time(() => medperfFoldersHash(tree)));
  best.bundle = Math.min(best.bundle, await time(() => shipped.hashDatasetTree(tree)));
  best.sources = Math.min(best.sources, await time(() => fromSources.hashDatasetTree(tree)));
}

const mb = (warm.bytes / 1e6).toFixed(0);
const row = (name: string, ms: number) =>
  `${name.padEnd(52)} ${ms.toFixed(0).padStart(6)} ms  ${((warm.bytes / 1e6 / ms) * 1000).toFixed(0).padStart(5)} MB/s`;
console.log(
  `dataset hash: ${warm.files} files, ${mb} MB, ${availableParallelism()} cores, best of ${ROUNDS}, page cache warm`,
);
console.log(row("MedPerf get_folders_hash (1 thread, 64 KiB reads)", best.medperf));
console.log(row("fedeval dataset hash (bundle, as shipped)", best.bundle));
console.log(row("fedeval dataset hash (sources; workers load tsx)", best.sources));
const ratio = best.medperf / best.bundle;
console.log(`speed-up of fedeval over MedPerf's algorithm: ${ratio.toFixed(2)}× (target ≥ 1.8× on 2 cores)`);
