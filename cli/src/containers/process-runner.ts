/**
 * Runs a container task as a host process, for development and machines without Docker.
 * There is no isolation (no network, memory, process or file-system limits): every result it
 * produces is marked `isolation: none`. Only the timeout and the output limit are enforced.
 *
 * The contract with the task:
 * - command line: `entrypoint ++ command ++ args` of the task; when the task names no
 *   entrypoint, the host command given for the image in `entrypoints` stands in for the image's
 *   ENTRYPOINT (without one, the task is refused);
 * - mount paths: in every element of the command line, a mount path standing alone, starting
 *   a path (`/mnt/data/x`) or following `=` (`--data_path=/mnt/data`) is replaced by the
 *   mount's host path;
 * - environment: the runner's `env` and the task's own (`run_args.environment`), plus `FEDEVAL_MOUNT_<NAME>` = the host path of each mount
 *   (`FEDEVAL_MOUNT_DATA_PATH`), and `TMPDIR` = a private temporary directory, removed afterwards;
 * - working directory: the runner's `cwd`;
 * - the task runs in its own process group, killed as a whole on timeout, on abort, when the
 *   outputs reach the output limit, and when the task ends (no process is left behind).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { UserError } from "../base/errors.ts";
import {
  type ContainerRunner,
  describeOutcome,
  hostPaths,
  type ImageRef,
  prepareOutputs,
  type ResolvedImage,
  type TaskEnd,
  TaskLog,
  type TaskRunOutcome,
  type TaskRunRequest,
  treeBytes,
  watchOutputs,
} from "./runner.ts";

export interface ProcessRunnerOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Host command standing in for each image's ENTRYPOINT, by image ref. */
  entrypoints?: Record<ImageRef, string[]>;
}

export class ProcessRunner implements ContainerRunner {
  readonly kind = "process";
  readonly isolation = "none";

  constructor(private readonly options: ProcessRunnerOptions) {}

  /** There is no image to fetch or check: the ref is only recorded. */
  async ensureImage(ref: ImageRef): Promise<ResolvedImage> {
    return { ref, id: ref };
  }

  async runTask(req: TaskRunRequest): Promise<TaskRunOutcome> {
    const { task, limits } = req;
    const mounts = await hostPaths(req);
    const entrypoint = task.entrypoint ?? this.options.entrypoints?.[req.image.ref];
    if (!entrypoint?.length) {
      throw new UserError(
        `task ${task.name}: the process runner needs a host command for image ${req.image.ref} (its entrypoint)`,
      );
    }
    const byLength = [...mounts].sort((a, b) => b.mount.mountPath.length - a.mount.mountPath.length);
    const argv = [...entrypoint, ...(task.command ?? []), ...task.args].map((arg) => {
      for (const { mount, hostPath } of byLength) {
        const at = new RegExp(`(^|=)${mount.mountPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=/|$)`);
        if (at.test(arg)) return arg.replace(at, (_, before: string) => before + hostPath);
      }
      return arg;
    });
    const outputs = await prepareOutputs(req);
    const tmp = await mkdtemp(join(tmpdir(), "fedeval-task-"));
    const env: NodeJS.ProcessEnv = { ...this.options.env, ...task.environment, TMPDIR: tmp };
    for (const { mount, hostPath } of mounts) {
      env[`FEDEVAL_MOUNT_${mount.name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`] = hostPath;
    }

    const log = await TaskLog.open(req.logFile, `task ${task.name}, image ${req.image.ref}, process`);
    let end: TaskEnd;
    try {
      end = req.signal?.aborted
        ? { exitCode: null, durationMs: 0, stoppedFor: "abort" }
        : await this.execute(argv, env, req, log, outputs);
    } finally {
      await rm(tmp, { recursive: true, force: true });
      await log.close();
    }
    return describeOutcome(task.name, limits, end, log.lastLines());
  }

  private async execute(
    argv: string[],
    env: NodeJS.ProcessEnv,
    req: TaskRunRequest,
    log: TaskLog,
    outputs: string[],
  ): Promise<TaskEnd> {
    const { limits } = req;
    const started = performance.now();
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: this.options.cwd,
      env,
      detached: true, // its own process group, killed as a whole
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => log.write(chunk, "stdout"));
    child.stderr.on("data", (chunk: Buffer) => log.write(chunk, "stderr"));
    const closed = once(child, "close").catch(() => undefined);
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // the group has already ended
      }
    };

    let stopped: "timeout" | "abort" | "output-limit" | undefined;
    const stop = (why: typeof stopped) => {
      if (stopped) return;
      stopped = why;
      killGroup();
    };
    const timer = setTimeout(() => stop("timeout"), limits.timeoutMs);
    const onAbort = () => stop("abort");
    req.signal?.addEventListener("abort", onAbort, { once: true });
    const unwatch = watchOutputs(outputs, limits.outputBytes, () => stop("output-limit"));
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>(
      (resolve) => {
        child.once("exit", (code, signal) => resolve({ code, signal }));
        child.once("error", resolve);
      },
    );
    clearTimeout(timer);
    unwatch();
    req.signal?.removeEventListener("abort", onAbort);
    const durationMs = performance.now() - started;
    killGroup(); // whatever the task left running
    if (result instanceof Error) return { exitCode: null, durationMs: 0, startError: result.message };
    // a process that left the group could hold the output pipes open: stop reading after a grace period
    const grace = setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
    }, 1000);
    await closed;
    clearTimeout(grace);
    return {
      exitCode: result.code ?? 128 + (result.signal ? constants.signals[result.signal] : 0),
      durationMs,
      stoppedFor: stopped === "output-limit" ? undefined : stopped,
      outputExceeded:
        stopped === "output-limit" || (!stopped && (await treeBytes(outputs)) >= limits.outputBytes),
    };
  }
}
