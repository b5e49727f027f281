/**
 * Dataset hash: `fedeval-tree-v1`, a path-aware tree hash, plus MedPerf's `generated_uid`.
 * The normative description, with a test vector, is schemas/dataset-hash.md; in short:
 *
 * 1. Walk DIR (a symlink given as DIR itself is followed). Every regular file is one entry,
 *    named by its path relative to DIR with `/` separators. Names are the file system's bytes,
 *    which must be valid UTF-8, and are not Unicode-normalized (the model sees exactly them).
 *    Directories contribute only through the files under them: empty directories are ignored.
 * 2. A symlink is accepted only when its target is relative and names, without passing through
 *    another symlink, a regular file inside DIR; it counts as a copy of that file at the link's path.
 *    Every other symlink (leaving DIR, absolute, dangling, to a directory, chained) is refused, and
 *    so are FIFOs, sockets and devices.
 * 3. Sort entries by the bytes of their UTF-8 path (plain byte order, not locale order).
 * 4. For each entry, the line `<path> NUL <size in decimal> NUL <SHA-256 of content, lowercase hex> LF`.
 *    A path holds no NUL, so the lines parse back unambiguously even if a name contains LF.
 * 5. hash = `fedeval-tree-v1:sha256:` + lowercase hex SHA-256 of the concatenated lines.
 *    An empty tree hashes the empty string.
 *
 * Renaming a file, moving it, or swapping the contents of two files changes the hash.
 *
 * `medperfUid` is MedPerf's `get_folders_hash([DIR])` (mlcommons/medperf, cli/medperf/utils.py):
 * `get_file_hash` is SHA-256 of a file's content (64 KiB reads), hex; `get_folders_hash`
 * collects the hex digests of every file that `os.walk` lists (following symlinks to files,
 * ignoring empty directories), sorts the hex strings, and returns the SHA-256 hex of their
 * concatenation, with no separator. Paths play no part, so it cannot see a rename or a swap.
 * MedPerf's dataset `generated_uid` is `get_folders_hash([data_path, labels_path])`; since the
 * digests are sorted, that equals the `medperfUid` of a directory holding exactly those two folders.
 *
 * Hashing runs on the calling thread and `workers` worker threads (hash-worker.ts) at once. Work is
 * ordered largest file first; workers take files from the front and the calling thread from the
 * back, each claiming a file by flipping its byte in shared memory, so they meet without a lock
 * and the calling thread starts while the workers are still booting. The calling thread never takes
 * the first `workers` files, so a pool, once asked for, always does part of the work.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { ExternalError, UserError } from "../base/errors.ts";

export const TREE_HASH_ALGORITHM = "fedeval-tree-v1";

/** One regular file of the dataset, in hash order. */
export interface DatasetFile {
  /** Path relative to the dataset directory, `/`-separated: what the hash names. */
  path: string;
  /** Path relative to the (real) dataset directory of the bytes to read: `path`, or a symlink's target. */
  source: string;
  size: number;
}

export interface DatasetHash {
  /** `fedeval-tree-v1:sha256:<hex>` */
  hash: string;
  /** MedPerf's `generated_uid` algorithm over the same files (SHA-256 hex). */
  medperfUid: string;
  files: number;
  bytes: number;
}

export interface HashProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
}

export interface HashOptions {
  /** Called after each file and every few MiB of a large one. */
  onProgress?: (progress: HashProgress) => void;
  /**
   * Worker threads hashing beside the calling thread. Default: none for trees under
   * PARALLEL_MIN_BYTES (starting a worker costs more than it saves), else one fewer than the
   * available cores. Never more than there are files.
   */
  workers?: number;
}

/** Read size. Syscalls are noise next to SHA-256 from 64 KiB on; 64 KiB to 4 MiB measured alike. */
const CHUNK_BYTES = 1024 * 1024;
/** Below this many bytes a tree is hashed on the calling thread alone (~40 ms of SHA-256). */
const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;
/** A worker reports progress inside a file after this many bytes. */
const PROGRESS_BYTES = 16 * 1024 * 1024;

const FS_HINT = "check that the user running fedeval can read every file and folder of the dataset";

/** Hashes the dataset directory `dir` (an absolute path). */
export async function hashDatasetTree(dir: string, options: HashOptions = {}): Promise<DatasetHash> {
  const { root, files } = listDatasetFiles(dir);
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const done: HashProgress = { files: 0, bytes: 0, totalFiles: files.length, totalBytes };
  const advance = (files: number, bytes: number) => {
    done.files += files;
    done.bytes += bytes;
    options.onProgress?.({ ...done });
  };

  // Largest first, so the last files handed out are small and all threads finish together.
  const byLargest = files.map((file, index) => ({ file, index })).sort((a, b) => b.file.size - a.file.size);
  const work = shareWork(
    root,
    byLargest.map((w) => w.file),
  );
  const digests: string[] = new Array(files.length);
  const record = (workIndex: number, sha256: string) => {
    digests[byLargest[workIndex]?.index as number] = sha256;
  };

  const workers = Math.min(
    hashWorkerFound()
      ? (options.workers ?? (totalBytes < PARALLEL_MIN_BYTES ? 0 : availableParallelism() - 1))
      : 0,
    files.length,
  );
  const pool = Array.from({ length: workers }, () => startHashWorker(work));
  let failure: Error | undefined;
  const finished = Promise.all(
    pool.map(
      (worker) =>
        new Promise<void>((resolvePromise, reject) => {
          const fail = (e: Error) => {
            failure ??= e;
            reject(e);
          };
          worker.on("message", (m: WorkerMessage) => {
            if (m.type === "bytes") advance(0, m.bytes);
            else if (m.type === "file") {
              record(m.index, m.sha256);
              advance(1, m.bytes);
            } else fail(rebuildError(m));
          });
          worker.once("error", fail);
          worker.once("exit", (code) =>
            code === 0 ? resolvePromise() : fail(new Error(`dataset hash worker exited with code ${code}`)),
          );
        }),
    ),
  );
  finished.catch(() => {}); // awaited below; until then `failure` stops the calling thread

  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let i = work.count - 1; i >= workers && !failure && claim(work, i); i--) {
      const file = workItem(work, i);
      record(
        i,
        hashFile(file.path, file.size, buffer, (n) => advance(0, n)),
      );
      advance(1, 0);
      await nextTurn(); // let the workers' messages in
    }
    await finished;
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }

  const tree = createHash("sha256");
  files.forEach((f, i) => {
    tree.update(`${f.path}\0${f.size}\0${digests[i]}\n`);
  });
  const medperf = createHash("sha256");
  for (const d of [...digests].sort()) medperf.update(d);
  return {
    hash: `${TREE_HASH_ALGORITHM}:sha256:${tree.digest("hex")}`,
    medperfUid: medperf.digest("hex"),
    files: files.length,
    bytes: totalBytes,
  };
}

/**
 * Lists the files of the dataset directory `dir` (absolute) in hash order, refusing what the hash
 * does not cover (see the top of this file). `root` is the real path of `dir`.
 */
export function listDatasetFiles(dir: string): { root: string; files: DatasetFile[] } {
  const stat = fsCall(dir, () => {
    try {
      return statSync(dir, { throwIfNoEntry: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw e;
    }
  });
  if (!stat) throw new UserError(`dataset directory not found: ${dir}`);
  if (!stat.isDirectory()) throw new UserError(`not a directory: ${dir}`);
  const root = fsCall(dir, () => realpathSync(dir));
  const files: DatasetFile[] = [];
  walk(root, "", files);
  const keyed = files.map((f) => ({ f, key: Buffer.from(f.path) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return { root, files: keyed.map((k) => k.f) };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function walk(root: string, relDir: string, out: DatasetFile[]): void {
  const absDir = join(root, relDir);
  const entries = fsCall(absDir, () => readdirSync(absDir, { withFileTypes: true, encoding: "buffer" }));
  for (const entry of entries) {
    let name: string;
    try {
      name = utf8.decode(entry.name);
    } catch {
      throw new UserError(`file name is not valid UTF-8: ${join(absDir, entry.name.toString())}; rename it`);
    }
    const rel = relDir ? `${relDir}/${name}` : name;
    const abs = join(root, rel);
    if (entry.isDirectory()) walk(root, rel, out);
    else if (entry.isFile())
      out.push({ path: rel, source: rel, size: fsCall(abs, () => statSync(abs)).size });
    else if (entry.isSymbolicLink()) out.push(symlinkEntry(root, rel));
    else
      throw new UserError(
        `not a regular file (${specialKind(entry)}): ${abs}; a dataset holds only files and folders`,
      );
  }
}

function symlinkEntry(root: string, rel: string): DatasetFile {
  const abs = join(root, rel);
  const target = fsCall(abs, () => readlinkSync(abs));
  const shown = `${abs} -> ${target}`;
  const leaves = (path: string) => {
    const inside = relative(root, path);
    return inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside);
  };
  const leaving = new UserError(`symlink leaves the dataset directory: ${shown}; copy the file in instead`);
  const lexical = resolve(dirname(abs), target);
  if (leaves(lexical)) throw leaving;
  if (isAbsolute(target)) {
    throw new UserError(
      `symlink with an absolute target: ${shown}; containers see the dataset at another path, make the link relative`,
    );
  }
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`symlink points to nothing: ${shown}`);
    throw fsError(e, abs);
  }
  if (leaves(real)) throw leaving;
  if (real !== lexical) {
    throw new UserError(`symlink resolves through another symlink: ${shown}; point it at the file itself`);
  }
  const stat = fsCall(real, () => statSync(real));
  if (stat.isDirectory()) {
    throw new UserError(
      `symlink to a directory: ${shown}; only symlinks to files inside the dataset are hashed`,
    );
  }
  if (!stat.isFile()) throw new UserError(`symlink to a special file: ${shown}`);
  return { path: rel, source: relative(root, real), size: stat.size };
}

function specialKind(entry: { isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean }): string {
  if (entry.isFIFO()) return "FIFO";
  if (entry.isSocket()) return "socket";
  return entry.isBlockDevice() ? "block device" : "character device";
}

/**
 * SHA-256 (lowercase hex) of one file, read CHUNK_BYTES at a time into `buffer`, never whole.
 * The only per-file hash: the calling thread and the workers both use it. Synchronous reads are the
 * fastest way through a file here; the calling thread yields between files.
 */
export function hashFile(path: string, size: number, buffer: Buffer, onBytes?: (n: number) => void): string {
  const hash = createHash("sha256");
  let read = 0;
  fsCall(path, () => {
    const fd = openSync(path, "r");
    try {
      for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
        hash.update(buffer.subarray(0, n));
        read += n;
        onBytes?.(n);
      }
    } finally {
      closeSync(fd);
    }
  });
  if (read !== size) {
    throw new ExternalError(
      `${path} changed while it was being hashed (${size} bytes listed, ${read} read)`,
      "make sure nothing writes to the dataset while it is hashed, then hash it again",
    );
  }
  return hash.digest("hex");
}

/** Runs `action` on `path`, turning a file-system failure into an ExternalError that names the path. */
function fsCall<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (e) {
    throw fsError(e, path);
  }
}

function fsError(e: unknown, path: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined || e instanceof UserError || e instanceof ExternalError) return e as Error;
  return new ExternalError(`cannot read ${path} (${code})`, FS_HINT, { cause: e });
}

// --- work shared with the worker threads ---

/**
 * The files to hash, in shared memory so a million-file tree is not copied into every worker:
 * UTF-8 paths back to back, their start offsets, sizes, one claim byte per file, and the index
 * of the next file the workers take.
 */
export interface SharedWork {
  root: string;
  count: number;
  paths: SharedArrayBuffer;
  offsets: SharedArrayBuffer;
  sizes: SharedArrayBuffer;
  claims: SharedArrayBuffer;
  next: SharedArrayBuffer;
}

function shareWork(root: string, files: DatasetFile[]): SharedWork {
  const encoded = files.map((f) => Buffer.from(f.source));
  const paths = new SharedArrayBuffer(encoded.reduce((sum, b) => sum + b.length, 0));
  const offsets = new Float64Array(new SharedArrayBuffer(8 * (files.length + 1)));
  const sizes = new Float64Array(new SharedArrayBuffer(8 * files.length));
  const bytes = Buffer.from(paths);
  let at = 0;
  encoded.forEach((b, i) => {
    bytes.set(b, at);
    offsets[i] = at;
    sizes[i] = (files[i] as DatasetFile).size;
    at += b.length;
  });
  offsets[files.length] = at;
  return {
    root,
    count: files.length,
    paths,
    offsets: offsets.buffer as SharedArrayBuffer,
    sizes: sizes.buffer as SharedArrayBuffer,
    claims: new SharedArrayBuffer(files.length),
    next: new SharedArrayBuffer(4),
  };
}

/** The absolute path to read and the size of work item `i`. */
function workItem(work: SharedWork, i: number): { path: string; size: number } {
  const offsets = new Float64Array(work.offsets);
  const start = offsets[i] as number;
  const source = Buffer.from(work.paths, start, (offsets[i + 1] as number) - start).toString();
  return { path: join(work.root, source), size: new Float64Array(work.sizes)[i] as number };
}

/** Whether this thread is the first to claim work item `i`. */
function claim(work: SharedWork, i: number): boolean {
  return Atomics.compareExchange(new Uint8Array(work.claims), i, 0, 1) === 0;
}

export type WorkerMessage =
  | { type: "bytes"; bytes: number }
  | { type: "file"; index: number; sha256: string; bytes: number }
  | { type: "error"; name: string; message: string; hint?: string };

/**
 * A worker's loop (hash-worker.ts): take the next file from the front until the front meets the
 * calling thread's claims, posting each digest.
 */
export function hashClaimedFiles(work: SharedWork, post: (message: WorkerMessage) => void): void {
  const next = new Int32Array(work.next);
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  try {
    for (let i = Atomics.add(next, 0, 1); i < work.count && claim(work, i); i = Atomics.add(next, 0, 1)) {
      const file = workItem(work, i);
      let pending = 0;
      const sha256 = hashFile(file.path, file.size, buffer, (n) => {
        pending += n;
        if (pending >= PROGRESS_BYTES) {
          post({ type: "bytes", bytes: pending });
          pending = 0;
        }
      });
      post({ type: "file", index: i, sha256, bytes: pending });
    }
  } catch (e) {
    const expected = e instanceof UserError || e instanceof ExternalError;
    const err = e as Error;
    post({
      type: "error",
      name: err.name,
      message: expected ? err.message : String(err.stack ?? err),
      hint: (e as ExternalError).hint,
    });
  }
}

function rebuildError(m: Extract<WorkerMessage, { type: "error" }>): Error {
  if (m.name === "UserError") return new UserError(m.message);
  if (m.name === "ExternalError") return new ExternalError(m.message, m.hint);
  return new Error(`dataset hash worker failed: ${m.message}`);
}

/** A single-file bundle (the GitHub Action's dist/index.js) has no hash-worker.js: it hashes on the calling thread. */
function hashWorkerFound(): boolean {
  return import.meta.url.endsWith(".ts") || existsSync(new URL("./hash-worker.js", import.meta.url));
}

/**
 * Starts a hash worker. From the esbuild bundle, the worker is dist/hash-worker.js beside this code's
 * chunk. From sources, it is hash-worker.ts, loaded through tsx: Node 20 ignores loader flags in a
 * worker's `execArgv` (nodejs/node#47747), so a two-line bootstrap registers tsx inside the worker.
 */
function startHashWorker(work: SharedWork): Worker {
  if (!import.meta.url.endsWith(".ts")) {
    return new Worker(new URL("./hash-worker.js", import.meta.url), { workerData: work, execArgv: [] });
  }
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const entry = JSON.stringify(new URL("./hash-worker.ts", import.meta.url).href);
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`, {
    eval: true,
    workerData: work,
    execArgv: [],
  });
}
