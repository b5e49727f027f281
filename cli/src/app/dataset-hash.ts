/**
 * `fedeval dataset hash`: the `fedeval-tree-v1` hash of a dataset directory and its MedPerf
 * `generated_uid`-compatible value (algorithm: schemas/dataset-hash.md).
 */
import { resolve } from "node:path";
import { formatBytes } from "../base/bytes.ts";
import type { Logger } from "../base/logger.ts";
import { type DatasetHash, type HashProgress, hashDatasetTree } from "../site/tree-hash.ts";

export interface DatasetHashRequest {
  /** The dataset directory, relative to `cwd`. */
  dir: string;
  cwd: string;
  /** Shows the progress of large trees, when it has `progress`. */
  logger: Logger;
}

export interface DatasetHashReport extends DatasetHash {
  /** The absolute directory hashed. */
  dir: string;
}

/** Trees at least this large show progress. */
const PROGRESS_MIN_BYTES = 256 * 1024 * 1024;

/**
 * Hashes the directory. A missing directory, a file that is not hashed (a symlink leaving the
 * tree, a FIFO...) throws UserError; an unreadable file throws ExternalError.
 */
export async function hashDataset(req: DatasetHashRequest): Promise<DatasetHashReport> {
  const dir = resolve(req.cwd, req.dir);
  const progress = req.logger.progress;
  let shownPercent = -1;
  const onProgress = (p: HashProgress) => {
    if (!progress || p.totalBytes < PROGRESS_MIN_BYTES) return;
    const percent = Math.floor((100 * p.bytes) / p.totalBytes);
    if (percent === shownPercent) return;
    shownPercent = percent;
    progress(`hashing ${dir}: ${percent}% (${p.files}/${p.totalFiles} files, ${formatBytes(p.bytes)})`);
  };
  return { dir, ...(await hashDatasetTree(dir, { onProgress })) };
}
