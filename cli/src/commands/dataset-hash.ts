/**
 * `fedeval dataset hash DIR [--json]`: the `fedeval-tree-v1` hash of a dataset directory and its
 * MedPerf `generated_uid`-compatible value (app/dataset-hash.ts; algorithm: schemas/dataset-hash.md).
 */
import { hashDataset } from "../app/dataset-hash.ts";
import { formatBytes } from "../base/bytes.ts";
import type { CommandIO } from "./io.ts";

export interface DatasetHashOptions {
  dir: string;
  json: boolean;
  cwd: string;
}

/**
 * Exit 0 and prints the hash; large trees show progress (through `io.logger.progress`, when the
 * caller has one). A missing directory, a file that is not hashed (a symlink leaving the tree, a
 * FIFO...) throws UserError; an unreadable file throws ExternalError.
 * `--json`: `{dir, hash, medperf_uid, files, bytes}`.
 */
export async function datasetHashCommand(opts: DatasetHashOptions, io: CommandIO): Promise<number> {
  const result = await hashDataset({ dir: opts.dir, cwd: opts.cwd, logger: io.logger });
  if (opts.json) {
    const out = {
      dir: result.dir,
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
      `dataset      ${result.dir}`,
      `hash         ${result.hash}`,
      `medperf_uid  ${result.medperfUid}`,
      `files        ${result.files}`,
      `bytes        ${result.bytes} (${formatBytes(result.bytes)})`,
      "",
    ].join("\n"),
  );
  return 0;
}
