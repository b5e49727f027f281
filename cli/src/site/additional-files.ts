/**
 * A container's additional files (weights and other assets), as MedPerf handles a container's
 * `additional_files_tarball_url` / `additional_files_tarball_hash` (comms/entity_resources/
 * resources.py `get_cube_additional`): fetched on the host, never inside the container, checked
 * against the declared SHA-256, extracted, and handed to the runner as the host folder it mounts
 * read-only at the task's `additional_files` mount.
 *
 * Where fedeval goes further than MedPerf:
 * - extraction refuses what could leave the folder or fill the disk (base/tar-extract.ts);
 * - the cache is keyed by the archive's hash, `<site workspace>/additional-files/<sha256>/files/`,
 *   shared by every container and benchmark that declares the same archive; beside it,
 *   `tree-hash` records the extracted tree's fedeval-tree-v1 hash, checked again on every use,
 *   so a cache entry changed on disk is noticed, removed and fetched again;
 * - a folder at `path` in the governance repository (small files) is mounted as it is, after its
 *   tree hash is checked; an archive at `path` goes through the cache like a download.
 * A mismatch is a UserError naming the governance file: nothing runs with files the committee did
 * not approve.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { downloadVerified } from "../base/download.ts";
import { UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { DEFAULT_EXTRACT_LIMITS, type ExtractLimits, extractTar } from "../base/tar-extract.ts";
import type { AdditionalFilesSource, ContainerReference } from "../governance/types.ts";
import { hashDatasetTree } from "./tree-hash.ts";

export interface AdditionalFilesOptions {
  /** The cache folder, `<site workspace>/additional-files`. */
  cache: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Largest archive fetched, and what it may hold once extracted. */
  limits?: ExtractLimits & { maxArchiveBytes: number };
}

/** Where a container reference is: the governance root, its benchmark, and who it is for messages. */
export interface ContainerAt {
  root: string;
  benchmark: string;
  ref: ContainerReference;
  /** e.g. `model m (benchmarks/b/models/m.yaml)`. */
  role: string;
}

export const DEFAULT_ADDITIONAL_FILES_LIMITS = { ...DEFAULT_EXTRACT_LIMITS, maxArchiveBytes: 16 * 2 ** 30 };

/** Fetches each archive once per process, however many tasks use it. */
export class AdditionalFiles {
  private readonly pending = new Map<string, Promise<string>>();
  constructor(private readonly opts: AdditionalFilesOptions) {}

  /**
   * The host folder to mount read-only at the container's `additional_files` mount; undefined
   * when the container declares none.
   */
  async folder(at: ContainerAt): Promise<string | undefined> {
    const source = at.ref.additional_files;
    if (!source) return undefined;
    const key = `${at.root}\n${at.benchmark}\n${source.sha256}\n${source.url ?? source.path}`;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.resolve(at.root, at.benchmark, source, `additional files of ${at.role}`);
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async resolve(root: string, benchmark: string, source: AdditionalFilesSource, what: string) {
    const sha256 = source.sha256.toLowerCase();
    if (source.url !== undefined) return this.cached(sha256, source.url, what);
    if (source.path === undefined) throw new UserError(`${what}: needs a url or a path`);
    const benchmarkDir = await realpath(join(root, "benchmarks", benchmark));
    const at = await realpath(join(benchmarkDir, source.path)).catch(() =>
      Promise.reject(new UserError(`${what}: ${source.path} does not exist in benchmarks/${benchmark}/`)),
    );
    const inside = relative(benchmarkDir, at);
    if (inside === ".." || inside.startsWith(`..${sep}`)) {
      throw new UserError(`${what}: ${source.path} leaves the benchmark folder`);
    }
    if (!(await lstat(at)).isDirectory()) return this.cached(sha256, pathToFileURL(at).href, what);
    const actual = await treeHash(at);
    if (actual !== sha256) {
      throw new UserError(
        `${what}: the folder ${source.path} has fedeval-tree-v1 hash ${actual}, not the declared ${sha256}; nothing was run`,
      );
    }
    return at;
  }

  /** `<cache>/<sha256>/files`, fetched and extracted unless a checked copy is there. */
  private async cached(sha256: string, url: string, what: string): Promise<string> {
    const entry = join(this.opts.cache, sha256);
    const files = join(entry, "files");
    const recorded = await readFile(join(entry, "tree-hash"), "utf8").catch(() => undefined);
    if (recorded !== undefined) {
      const actual = await treeHash(files).catch(() => undefined);
      if (actual === recorded.trim()) return files;
      this.opts.logger.warn(`${what}: the cached copy ${entry} changed on disk; fetching it again`);
    }
    await rm(entry, { recursive: true, force: true });
    const limits = this.opts.limits ?? DEFAULT_ADDITIONAL_FILES_LIMITS;
    const tmp = join(this.opts.cache, `.tmp-${sha256.slice(0, 12)}-${randomBytes(4).toString("hex")}`);
    await mkdir(tmp, { recursive: true });
    try {
      const archive = join(tmp, "archive");
      this.opts.logger.info(`fetching ${what} from ${url}`);
      await downloadVerified({
        url,
        sha256,
        dest: archive,
        maxBytes: limits.maxArchiveBytes,
        what,
        env: this.opts.env,
      });
      await extractTar(archive, join(tmp, "files"), what, limits);
      await rm(archive);
      await writeFile(join(tmp, "tree-hash"), `${await treeHash(join(tmp, "files"))}\n`);
      await rename(tmp, entry).catch(async (e: NodeJS.ErrnoException) => {
        // another run put the same archive there first
        if (e.code !== "ENOTEMPTY" && e.code !== "EEXIST") throw e;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return files;
  }
}

async function treeHash(dir: string): Promise<string> {
  return (await hashDatasetTree(dir)).hash.split(":").pop() as string;
}
