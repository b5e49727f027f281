/**
 * `fedeval dataset hash DIR [--json]`: the `fedeval-tree-v1` hash of a dataset directory and its
 * MedPerf `generated_uid`-compatible value (algorithm: schemas/dataset-hash.md).
 */
import { resolve } from "node:path";
import { formatBytes } from "../base/bytes.ts";
import { type HashProgress, hashDatasetTree } from "../site/tree-hash.ts";
import type { CommandIO } from "./io.ts";

export interface DatasetHashOptions {
  dir: string;
  json: boolean;
  cwd: string;
}

/** Trees at least this large show progress (through `io.logger.progress`, when the caller has one). */
const PROGRESS_MIN_BYTES = 256 * 1024 * 1024;

/**
 * Exit 0 and prints the hash. A missing directory, a file that is not hashed (a symlink leaving the
 * tree, a FIFO...) throws UserError; an unreadable file throws ExternalError.
 * `--json`: `{dir, hash, medperf_uid, files, bytes}`.
 */
export async function datasetHashCommand(opts: DatasetHashOptions, io: CommandIO): Promise<number> {
  const dir = resolve(opts.cwd, opts.dir);
  const progress = io.logger.progress;
  let shownPercent = -1;
  const onProgress = (p: HashProgress) => {
    if (!progress || p.totalBytes < PROGRESS_MIN_BYTES) return;
    const percent = Math.floor((100 * p.bytes) / p.totalBytes);
    if (percent === shownPercent) return;
    shownPercent = percent;
    progress(`hashing ${dir}: ${percent}% (${p.files}/${p.totalFiles} files, ${formatBytes(p.bytes)})`);
  };
  const result = await hashDatasetTree(dir, { onProgress });
  if (opts.json) {
    const out = {
      dir,
      hash: result.hash,
      medperf_uid: result.medperfUid,
      files: result.files,
      bytes: result.bytes,
    };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  io.stdout(
    [
      `dataset      ${dir}`,
      `hash         ${result.hash}`,
      `medperf_uid  ${result.medperfUid}`,
      `files        ${result.files}`,
      `bytes        ${result.bytes} (${formatBytes(result.bytes)})`,
      "",
    ].join("\n"),
  );
  return 0;
}
