/**
 * One interface for running a container task, two implementations: `DockerRunner` (isolated,
 * docker-runner.ts) and `ProcessRunner` (a host process, no isolation, process-runner.ts).
 *
 * A task that fails, runs out of time or memory, or writes too much is an outcome, never an
 * exception. Exceptions are kept for what stops every task alike: an unreachable Docker Engine
 * (ExternalError), an unusable image (ImageRefusedError), a request that names no host path for
 * a mount or an input that does not exist (UserError).
 */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { lstat, mkdir, open, readdir, stat } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { formatBytes } from "../base/bytes.ts";
import { ExternalError, UserError } from "../base/errors.ts";
import type { Mount, TaskInterface } from "./types.ts";

/**
 * An image pinned either by registry digest (`name@sha256:<manifest digest>`, checked against
 * `RepoDigests` after pull) or, for a locally built image, by image id (`sha256:<config digest>`).
 */
export type ImageRef = string;

export interface ResolvedImage {
  ref: ImageRef;
  /** The local image id (`sha256:...`). */
  id: string;
  /** `name@sha256:...` for an image pulled from a registry. */
  repoDigest?: string;
  /** Paths the image declares as VOLUME (Docker would give each a writable anonymous volume). */
  volumes?: string[];
}

/** One event of an image pull, as the Docker Engine reports it per layer. */
export interface PullProgress {
  status: string;
  layer?: string;
  current?: number;
  total?: number;
}

/** `--gpus all|N|device=ID,ID`: all GPUs, a number of them, or the listed ones. */
export type GpuRequest = "all" | number | { deviceIds: string[] };

export interface RunLimits {
  /** Memory (and memory + swap: no swap). */
  memoryBytes: number;
  /** Processes and threads. */
  pids: number;
  timeoutMs: number;
  /** Size of /dev/shm (memory-backed: counts against memoryBytes when used). */
  shmBytes: number;
  /** Size of the private /tmp (memory-backed: counts against memoryBytes when used). */
  tmpBytes: number;
  /** Total size of the task's outputs, and the largest file it may write anywhere. */
  outputBytes: number;
  /** GPUs, only when the site asks for them. */
  gpus?: GpuRequest;
}

export const DEFAULT_LIMITS: RunLimits = {
  memoryBytes: 8 * 2 ** 30,
  pids: 4096,
  timeoutMs: 60 * 60 * 1000,
  shmBytes: 2 ** 30,
  tmpBytes: 2 ** 30,
  outputBytes: 4 * 2 ** 30,
};

export interface TaskRunRequest {
  image: ResolvedImage;
  task: TaskInterface;
  /** Absolute host path for every input and output mount, by mount name (data_path, output_path, ...). */
  mounts: Record<string, string>;
  limits: RunLimits;
  /** Who the task runs as; defaults to the invoking user, so outputs are not owned by root. */
  user?: { uid: number; gid: number };
  /**
   * Strict isolation (a benchmark's `policy.strict_isolation`): the image's root file system
   * read-only, /tmp `noexec`, the image's VOLUMEs read-only and `HOME=/tmp`. Default (as MedPerf
   * runs containers): a writable root file system discarded with the container, an executable
   * /tmp, and `HOME` as the image sets it.
   */
  strict?: boolean;
  /** The task's stdout and stderr are appended here, after a header line. */
  logFile: string;
  /** Extra labels on the container, e.g. `fedeval.run=<id>` (Docker only). */
  labels?: Record<string, string>;
  signal?: AbortSignal;
}

export type TaskRunStatus = "ok" | "failed" | "timeout" | "oom" | "killed" | "output-limit";

export interface TaskRunOutcome {
  status: TaskRunStatus;
  /** null when the task never started. */
  exitCode: number | null;
  durationMs: number;
  /** The last lines the task printed (stdout and stderr interleaved). */
  logTail: string[];
  /** One line saying what happened, e.g. `task infer ran out of memory (limit 64 MiB)`. */
  message: string;
}

export interface ContainerRunner {
  kind: "docker" | "process";
  /** Recorded in every result's provenance; `none` results are refused where isolation is required. */
  isolation: "docker-none-ro" | "none";
  /** Makes the image available (pulling it if needed) and checks it against its pin. */
  ensureImage(ref: ImageRef, onProgress?: (event: PullProgress) => void): Promise<ResolvedImage>;
  runTask(req: TaskRunRequest): Promise<TaskRunOutcome>;
  /** Loads a `docker save` archive (`docker load`); returns the ids of the images it held. Docker only. */
  loadArchive?(path: string): Promise<string[]>;
  /** Removes an image from the engine (a private model's, once the command ends). Docker only. */
  removeImage?(id: string): Promise<void>;
}

/** The image cannot be used (not pinned, missing, or not what its pin says). Nothing ran. */
export class ImageRefusedError extends ExternalError {
  override name = "ImageRefusedError";
}

function formatDuration(ms: number): string {
  return ms < 60_000 ? `${Number((ms / 1000).toFixed(1))} s` : `${Number((ms / 60_000).toFixed(1))} min`;
}

// What both runners share.

/** Host path of each mount, checked: every mount has one, and inputs exist. */
export async function hostPaths(req: TaskRunRequest): Promise<{ mount: Mount; hostPath: string }[]> {
  const out = [];
  for (const mount of [...req.task.inputs, ...req.task.outputs]) {
    const hostPath = req.mounts[mount.name];
    if (!hostPath) throw new UserError(`task ${req.task.name}: no host path given for ${mount.name}`);
    if (!isAbsolute(hostPath)) throw new Error(`host path of ${mount.name} is not absolute: ${hostPath}`);
    out.push({ mount, hostPath });
  }
  for (const mount of req.task.inputs) {
    const hostPath = req.mounts[mount.name] as string;
    const s = await stat(hostPath).catch(() => undefined);
    if (!s) throw new UserError(`task ${req.task.name}: ${mount.name} ${hostPath} does not exist`);
    if (s.isDirectory() !== (mount.type === "directory")) {
      throw new UserError(`task ${req.task.name}: ${mount.name} ${hostPath} is not a ${mount.type}`);
    }
  }
  return out;
}

/**
 * Creates the output mounts before the task runs: directories, and empty files for `file`
 * outputs (a bind mount of a missing path would otherwise become a directory).
 */
export async function prepareOutputs(req: TaskRunRequest): Promise<string[]> {
  const paths = [];
  for (const mount of req.task.outputs) {
    const hostPath = req.mounts[mount.name] as string;
    if (mount.type === "directory") await mkdir(hostPath, { recursive: true });
    else {
      await mkdir(dirname(hostPath), { recursive: true });
      await (await open(hostPath, "w")).close();
    }
    paths.push(hostPath);
  }
  return paths;
}

/** Bytes in the given files and directory trees (symlinks count as themselves, not followed). */
export async function treeBytes(paths: string[]): Promise<number> {
  let total = 0;
  for (const p of paths) {
    const s = await lstat(p).catch(() => undefined);
    if (!s) continue;
    if (!s.isDirectory()) total += s.size;
    else {
      const names = await readdir(p).catch(() => []);
      total += await treeBytes(names.map((n) => join(p, n)));
    }
  }
  return total;
}

/**
 * Calls `onExceeded` once when the outputs reach `limit` bytes, checking every `intervalMs`.
 * Returns a function that stops watching.
 */
export function watchOutputs(paths: string[], limit: number, onExceeded: () => void, intervalMs = 200) {
  let busy = false;
  let done = false;
  const timer = setInterval(async () => {
    if (busy || done) return;
    busy = true;
    if ((await treeBytes(paths)) >= limit && !done) {
      done = true;
      onExceeded();
    }
    busy = false;
  }, intervalMs);
  return () => {
    done = true;
    clearInterval(timer);
  };
}

const TAIL_LINES = 20;
const MAX_LINE = 500;
/** The log file keeps at most this much of one task's output; the rest is counted, not kept. */
export const LOG_LIMIT_BYTES = 64 * 2 ** 20;

/** A task's log: appended to the log file (up to LOG_LIMIT_BYTES) and its last lines kept. */
export class TaskLog {
  private readonly file: WriteStream;
  private error: Error | undefined;
  private written = 0;
  private dropped = 0;
  private readonly tail: string[] = [];
  private readonly partial = { stdout: "", stderr: "" };

  private constructor(file: WriteStream) {
    this.file = file;
    file.on("error", (err) => {
      this.error = err;
    });
  }

  static async open(path: string, header: string): Promise<TaskLog> {
    await mkdir(dirname(path), { recursive: true });
    const log = new TaskLog(createWriteStream(path, { flags: "a" }));
    log.file.write(`== ${header}\n`);
    return log;
  }

  write(chunk: Buffer, stream: "stdout" | "stderr"): void {
    if (this.written + chunk.length <= LOG_LIMIT_BYTES) {
      this.file.write(chunk);
      this.written += chunk.length;
    } else this.dropped += chunk.length;
    const lines = (this.partial[stream] + chunk.toString("utf8")).split(/\r?\n/);
    this.partial[stream] = (lines.pop() ?? "").slice(-MAX_LINE);
    for (const line of lines) this.push(line);
  }

  private push(line: string): void {
    this.tail.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  lastLines(): string[] {
    return [...this.tail];
  }

  async close(): Promise<void> {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.partial[stream]) this.push(this.partial[stream]);
      this.partial[stream] = "";
    }
    if (this.dropped) this.file.write(`\n[fedeval: ${formatBytes(this.dropped)} more output not kept]\n`);
    this.file.end();
    if (!this.error) await once(this.file, "close").catch(() => undefined);
    if (this.error) {
      throw new ExternalError(`cannot write the task log ${this.file.path}: ${this.error.message}`);
    }
  }
}

/** The most telling line of a failed task's output: its last error line, else its last line. */
function lastError(tail: string[]): string | undefined {
  const lines = tail.map((l) => l.trim()).filter(Boolean);
  return lines.findLast((l) => /^[\w.]*(Error|Exception)\b:/.test(l)) ?? lines.at(-1);
}

export interface TaskEnd {
  exitCode: number | null;
  durationMs: number;
  /** Why fedeval stopped the task, if it did. */
  stoppedFor?: "timeout" | "abort";
  /** The outputs reached the output limit (whether fedeval stopped the task or it stopped by itself). */
  outputExceeded?: boolean;
  oomKilled?: boolean;
  /** The task could not be started at all. */
  startError?: string;
}

/** Turns how a task ended into its outcome, with one line saying what happened. */
export function describeOutcome(
  task: string,
  limits: RunLimits,
  end: TaskEnd,
  logTail: string[],
): TaskRunOutcome {
  const { exitCode, durationMs } = end;
  const base = { exitCode, durationMs, logTail };
  const name = `task ${task}`;
  if (end.startError) {
    return { ...base, status: "failed", message: `${name} could not start: ${end.startError}` };
  }
  if (end.stoppedFor === "abort") return { ...base, status: "killed", message: `${name} was interrupted` };
  if (end.stoppedFor === "timeout") {
    const message = `${name} did not finish within ${formatDuration(limits.timeoutMs)} and was killed`;
    return { ...base, status: "timeout", message };
  }
  if (end.outputExceeded) {
    const message = `${name} exceeded the ${formatBytes(limits.outputBytes)} output limit`;
    return { ...base, status: "output-limit", message };
  }
  if (end.oomKilled && exitCode !== 0) {
    const message = `${name} ran out of memory (limit ${formatBytes(limits.memoryBytes)}) and was killed`;
    return { ...base, status: "oom", message };
  }
  if (exitCode === 0)
    return { ...base, status: "ok", message: `${name} finished in ${formatDuration(durationMs)}` };
  if (exitCode === 137) return { ...base, status: "killed", message: `${name} was killed (exit code 137)` };
  const detail = lastError(logTail);
  const message = `${name} failed with exit code ${exitCode}${detail ? `: ${detail}` : ""}`;
  return { ...base, status: "failed", message };
}
