/**
 * Room on the disk that holds a folder (FEDEVAL_HOME, usually): measured before a command writes
 * what it declares, so a full disk is said up front rather than found half-way.
 */
import { stat, statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { formatBytes } from "./bytes.ts";
import { ExternalError } from "./errors.ts";

/** Bytes free for this user on the disk that holds `dir` (or would hold it: the nearest existing parent). */
export async function freeBytes(dir: string): Promise<number> {
  let at = dir;
  while (!(await stat(at).catch(() => undefined)) && dirname(at) !== at) at = dirname(at);
  const fs = await statfs(at);
  return fs.bavail * fs.bsize;
}

/** Refuses, as an outside-system error, when the disk holding `dir` has less than `bytes` free for `what`. */
export async function requireRoom(dir: string, bytes: number, what: string, hint: string): Promise<void> {
  const free = await freeBytes(dir);
  if (free < bytes) {
    throw new ExternalError(
      `the disk holding ${dir} has ${formatBytes(free)} free; ${what} needs up to ${formatBytes(bytes)}`,
      hint,
    );
  }
}
