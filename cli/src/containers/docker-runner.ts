/**
 * Runs container tasks on a Docker Engine (through dockerode) as MedPerf runs them
 * (medperf/containers/runners/docker_utils.py `craft_docker_run_command`): each mount of the task
 * bound at its mount path (inputs read-only, outputs read-write), the invoking uid:gid, the
 * task's `run_args` (`entrypoint`, `command`, `environment`, `shm_size`, `gpus` where the site
 * gives GPUs) and `--network none`. Like MedPerf, by default the container gets a writable root
 * file system that is discarded with it, an executable /tmp (a private tmpfs here, a private host
 * folder in MedPerf) and `HOME` as the image sets it. What contains a hostile container without
 * breaking a well-behaved one comes on top, always:
 * - every capability dropped, `no-new-privileges`;
 * - limits on memory (no swap), processes, /dev/shm, /tmp, time (the container is killed) and
 *   output (below);
 * - each VOLUME the image declares gets an empty tmpfs instead of Docker's anonymous volume
 *   (read-only inside a task mount, where a volume would hide what is written from the output;
 *   writable and bounded elsewhere);
 * - GPUs (`DeviceRequests`) only when the site gives them.
 * Strict isolation (`req.strict`, a benchmark's policy) also makes the root file system and every
 * VOLUME read-only, /tmp `noexec` and `HOME=/tmp` (the only writable home then).
 *
 * The engine may be Podman (engine.ts): rootless, tasks keep the invoking uid:gid through
 * `UsernsMode: keep-id`; an engine that would not enforce the memory or pids limit (rootless on
 * cgroups v1) runs no task.
 *
 * Output size: every file the task writes is capped at `outputBytes` by the kernel (RLIMIT_FSIZE:
 * the write fails with EFBIG), the outputs' total is checked every 200 ms while the task runs
 * and again when it ends, and what the task wrote into its writable root file system (Docker's
 * `SizeRw`) every second: the container is killed once either reaches the limit. So a task can
 * overshoot by what it writes between two checks, never by more than one file's limit per file.
 *
 * The container always carries the label `fedeval.task=<task>` (plus the request's labels), is
 * never left behind (removed after success, failure, timeout, abort or error), and Docker keeps
 * no log of it (`LogConfig: none`): stdout and stderr are streamed into the task log only.
 */
import { createReadStream } from "node:fs";
import { posix } from "node:path";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import type Docker from "dockerode";
import { ExternalError, UserError } from "../base/errors.ts";
import { type ContainerEngine, describeEngine, engineLine } from "./engine.ts";
import {
  type ContainerRunner,
  describeOutcome,
  type GpuRequest,
  hostPaths,
  type ImageRef,
  ImageRefusedError,
  type PullProgress,
  prepareOutputs,
  type ResolvedImage,
  type TaskEnd,
  TaskLog,
  type TaskRunOutcome,
  type TaskRunRequest,
  treeBytes,
  watchOutputs,
} from "./runner.ts";

const LOCAL_ID = /^sha256:[0-9a-f]{64}$/;
const REGISTRY_REF = /^([^@\s]+)@(sha256:[0-9a-f]{64})$/;

export class DockerRunner implements ContainerRunner {
  readonly kind = "docker";
  readonly isolation = "docker-none-ro";

  #engine?: Promise<ContainerEngine>;

  constructor(private readonly docker: Docker) {}

  /** The engine behind the API, asked once; refused when it would not enforce the limits. */
  private engine(): Promise<ContainerEngine> {
    this.#engine ??= describeEngine(this.docker).then(
      (engine) => {
        if (!engine.unenforced.length) return engine;
        throw new ExternalError(
          `${engineLine(engine)} would not enforce the ${engine.unenforced.join(" and ")} limits of a task, so fedeval runs none there`,
          "run fedeval on a machine with cgroups v2 (or with a rootful engine); docs/site-scale.md",
        );
      },
      (err: unknown) => Promise.reject(engineError(err)),
    );
    return this.#engine;
  }

  async ensureImage(ref: ImageRef, onProgress?: (event: PullProgress) => void): Promise<ResolvedImage> {
    if (LOCAL_ID.test(ref)) {
      const info = await this.inspectImage(ref);
      if (!info) {
        throw new ImageRefusedError(
          `image ${ref} is not in the Docker Engine`,
          "build or load (`docker load`) that image on this machine, then run again",
        );
      }
      if (info.Id !== ref) {
        throw new ImageRefusedError(`image ${ref} resolves to ${info.Id}, not the pinned id`, REPIN_HINT);
      }
      return { ref, id: info.Id, volumes: declaredVolumes(info) };
    }
    const m = REGISTRY_REF.exec(ref);
    if (!m) {
      throw new ImageRefusedError(
        `image ${ref} is not pinned: use name@sha256:<digest>, or sha256:<image id> for a local image`,
        "pin the image by digest in the benchmark or model file",
      );
    }
    const digest = m[2] as string;
    let info = await this.inspectImage(ref);
    if (!info) {
      await this.pull(ref, onProgress);
      info = await this.inspectImage(ref);
    }
    const repoDigest = info?.RepoDigests?.find((d) => d.endsWith(`@${digest}`));
    if (!info || !repoDigest) {
      throw new ImageRefusedError(`image ${ref} does not match its digest after the pull`, REPIN_HINT);
    }
    return { ref, id: info.Id, repoDigest, volumes: declaredVolumes(info) };
  }

  async loadArchive(path: string): Promise<string[]> {
    const refuse = (err: unknown) =>
      new ImageRefusedError(
        `docker load refused ${path}: ${dockerMessage(err)}`,
        "the archive is not a `docker save` archive",
      );
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.loadImage(createReadStream(path), { quiet: true });
    } catch (err) {
      throw isConnectionError(err) ? engineError(err) : refuse(err);
    }
    const named: string[] = [];
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(
        stream,
        (err) => (err ? reject(refuse(err)) : resolve()),
        (event: { stream?: string; error?: string }) => {
          if (event.error) reject(refuse(new Error(event.error)));
          const m = /^Loaded image(?: ID)?: (\S+)/.exec(event.stream ?? "");
          if (m) named.push(m[1] as string);
        },
      ),
    );
    const ids = [];
    for (const name of named) {
      const info = await this.inspectImage(name);
      if (info) ids.push(info.Id);
    }
    return [...new Set(ids)];
  }

  async removeImage(id: string): Promise<void> {
    try {
      await this.docker.getImage(id).remove({ force: true });
    } catch (err) {
      if (statusCode(err) !== 404) throw engineError(err);
    }
  }

  private async inspectImage(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await this.docker.getImage(ref).inspect();
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw engineError(err);
    }
  }

  private async pull(ref: string, onProgress?: (event: PullProgress) => void): Promise<void> {
    const refuse = (err: unknown) => {
      const message = dockerMessage(err);
      return /verification failed|digest did not match/i.test(message)
        ? new ImageRefusedError(
            `image ${ref} does not match its digest: ${message}`,
            "the registry served other content than the pinned image: do not run it, and tell the benchmark committee",
          )
        : new ImageRefusedError(
            `cannot pull image ${ref}: ${message}`,
            "check that this machine can reach the registry, and that the image still exists under that digest",
          );
    };
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref);
    } catch (err) {
      throw isConnectionError(err) ? engineError(err) : refuse(err);
    }
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(
        stream,
        (err) => (err ? reject(refuse(err)) : resolve()),
        (event: { status?: string; id?: string; error?: string; progressDetail?: PullProgress }) => {
          if (event.error) reject(refuse(new Error(event.error)));
          else if (event.status) {
            const { current, total } = event.progressDetail ?? {};
            onProgress?.({ status: event.status, layer: event.id, current, total });
          }
        },
      ),
    );
  }

  async runTask(req: TaskRunRequest): Promise<TaskRunOutcome> {
    const { task, limits } = req;
    const mounts = await hostPaths(req);
    const outputs = await prepareOutputs(req);
    const user = req.user ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const cmd = [...(task.command ?? []), ...task.args];
    const inputs = new Set(task.inputs);
    const strict = req.strict === true;

    const engine = await this.engine();
    const log = await TaskLog.open(req.logFile, `task ${task.name}, image ${req.image.ref}, docker`);
    let container: Docker.Container | undefined;
    let end: TaskEnd;
    try {
      if (req.signal?.aborted) end = { exitCode: null, durationMs: 0, stoppedFor: "abort" };
      else {
        container = await this.docker
          .createContainer({
            Image: req.image.id,
            Entrypoint: task.entrypoint,
            Cmd: cmd.length ? cmd : undefined,
            User: `${user.uid}:${user.gid}`,
            Env: taskEnvironment(req),
            Labels: { "fedeval.task": task.name, ...req.labels },
            AttachStdout: true,
            AttachStderr: true,
            HostConfig: {
              NetworkMode: "none",
              UsernsMode: engine.name === "Podman" && engine.rootless ? "keep-id" : undefined,
              Mounts: mounts.map(({ mount, hostPath }) => ({
                Type: "bind",
                Source: hostPath,
                Target: mount.mountPath,
                ReadOnly: inputs.has(mount),
              })),
              Tmpfs: {
                ...volumeTmpfs(req, mounts),
                "/tmp": `rw,${strict ? "noexec" : "exec"},nosuid,nodev,size=${limits.tmpBytes}`,
              },
              ReadonlyRootfs: strict,
              CapDrop: ["ALL"],
              SecurityOpt: ["no-new-privileges"],
              PidsLimit: limits.pids,
              Memory: limits.memoryBytes,
              MemorySwap: limits.memoryBytes,
              ShmSize: limits.shmBytes,
              Ulimits: [
                { Name: "fsize", Soft: limits.outputBytes, Hard: limits.outputBytes },
                ...engine.ulimits,
              ],
              DeviceRequests: limits.gpus === undefined ? undefined : deviceRequests(limits.gpus),
              LogConfig: { Type: "none", Config: {} },
            },
          })
          .catch((err) => {
            throw isConnectionError(err)
              ? engineError(err)
              : new ExternalError(`Docker refused the container of task ${task.name}: ${dockerMessage(err)}`);
          });
        end = await this.execute(container, req, log, outputs);
      }
    } finally {
      try {
        if (container) await removeContainer(container);
      } finally {
        await log.close();
      }
    }
    return describeOutcome(task.name, limits, end, log.lastLines());
  }

  /** Starts the container and waits for it to end, killing it on timeout, abort or output overflow. */
  private async execute(
    container: Docker.Container,
    req: TaskRunRequest,
    log: TaskLog,
    outputs: string[],
  ): Promise<TaskEnd> {
    const { limits } = req;
    const stream = await container
      .attach({ stream: true, stdout: true, stderr: true })
      .catch((err) => Promise.reject(engineError(err)));
    const logged = new Promise((resolve) => {
      for (const event of ["end", "close", "error"]) stream.once(event, resolve);
    });
    const sink = (name: "stdout" | "stderr") =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          log.write(chunk, name);
          callback();
        },
      });
    this.docker.modem.demuxStream(stream, sink("stdout"), sink("stderr"));

    const started = performance.now();
    try {
      await container.start();
    } catch (err) {
      (stream as { destroy?: () => void }).destroy?.();
      if (isConnectionError(err)) throw engineError(err);
      const message = dockerMessage(err);
      if (limits.gpus !== undefined && /device driver|nvidia/i.test(message)) {
        throw new ExternalError(
          `Docker cannot give containers GPUs here: ${message}`,
          "install the NVIDIA Container Toolkit and restart Docker, or run without --gpus",
        );
      }
      return { exitCode: null, durationMs: 0, startError: message };
    }

    let stopped: "timeout" | "abort" | "output-limit" | undefined;
    const stop = (why: typeof stopped) => {
      if (stopped) return;
      stopped = why;
      container.kill().catch(() => undefined); // it may have ended already; removal follows anyway
    };
    const timer = setTimeout(() => stop("timeout"), limits.timeoutMs);
    const onAbort = () => stop("abort");
    req.signal?.addEventListener("abort", onAbort, { once: true });
    if (req.signal?.aborted) stop("abort");
    const unwatchOutputs = watchOutputs(outputs, limits.outputBytes, () => stop("output-limit"));
    const unwatchLayer = req.strict
      ? () => undefined
      : watchWritableLayer(container, limits.outputBytes, () => stop("output-limit"));
    let exitCode: number;
    try {
      exitCode = (await container.wait()).StatusCode;
    } catch (err) {
      throw engineError(err);
    } finally {
      clearTimeout(timer);
      unwatchOutputs();
      unwatchLayer();
      req.signal?.removeEventListener("abort", onAbort);
    }
    const durationMs = performance.now() - started;
    const state = (await container.inspect().catch((err) => Promise.reject(engineError(err)))).State;
    await logged;
    return {
      exitCode,
      durationMs,
      stoppedFor: stopped === "output-limit" ? undefined : stopped,
      outputExceeded:
        stopped === "output-limit" || (!stopped && (await treeBytes(outputs)) >= limits.outputBytes),
      oomKilled: state.OOMKilled,
    };
  }
}

/**
 * Calls `onExceeded` once when what the container wrote into its writable root file system
 * (`SizeRw`) reaches `limit` bytes, checking every `intervalMs`. Returns a function that stops.
 */
function watchWritableLayer(
  container: Docker.Container,
  limit: number,
  onExceeded: () => void,
  intervalMs = 1000,
) {
  let busy = false;
  let done = false;
  const timer = setInterval(async () => {
    if (busy || done) return;
    busy = true;
    // the Engine API's `size=true` (dockerode passes it on; its types do not list it)
    const options = { size: true } as Docker.ContainerInspectOptions;
    const info = await container.inspect(options).catch(() => undefined);
    const written = (info as { SizeRw?: number } | undefined)?.SizeRw ?? 0;
    if (written >= limit && !done) {
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

const REPIN_HINT =
  "the image changed after it was pinned: ask the benchmark committee to check and re-pin it";

/** Parses `--gpus`: `all`, a number of GPUs, or `device=0,1` (ids or UUIDs). */
export function parseGpus(value: string): GpuRequest {
  const v = value.trim().replace(/^"(.*)"$/, "$1");
  if (v === "all") return "all";
  if (/^\d+$/.test(v) && Number(v) > 0) return Number(v);
  const devices = /^device=(.+)$/.exec(v)?.[1]?.split(",");
  if (devices?.every((d) => /^[\w.:-]+$/.test(d))) return { deviceIds: devices };
  throw new UserError(`--gpus: expected all, a number of GPUs, or device=ID[,ID...]; got "${value}"`);
}

/** The `DeviceRequests` Docker's `--gpus` flag sends. */
export function deviceRequests(gpus: GpuRequest): Docker.DeviceRequest[] {
  const base = { Driver: "", Capabilities: [["gpu"]] };
  if (gpus === "all") return [{ ...base, Count: -1 }];
  if (typeof gpus === "number") return [{ ...base, Count: gpus }];
  return [{ ...base, DeviceIDs: gpus.deviceIds }];
}

function declaredVolumes(info: Docker.ImageInspectInfo): string[] {
  return Object.keys(info.Config?.Volumes ?? {});
}

/**
 * The task's environment: `run_args.environment`, and under strict isolation `HOME=/tmp` (the
 * image's home is read-only then) unless the definition sets HOME itself.
 */
export function taskEnvironment(req: Pick<TaskRunRequest, "task" | "strict">): string[] {
  const env = { ...(req.strict ? { HOME: "/tmp" } : {}), ...req.task.environment };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/**
 * An empty tmpfs at each VOLUME of the image where no task mount or /tmp sits, in place of a
 * writable anonymous volume: read-only inside a task mount (Docker would mount the volume there,
 * hiding what is written from the output) and under strict isolation; elsewhere writable, as
 * large as /tmp may be, and discarded with the container.
 */
function volumeTmpfs(
  req: TaskRunRequest,
  mounts: { mount: { mountPath: string } }[],
): Record<string, string> {
  const at = mounts.map((m) => posix.normalize(m.mount.mountPath));
  const taken = new Set(["/tmp", ...at]);
  const inside = (v: string) => at.some((m) => v.startsWith(`${m.replace(/\/$/, "")}/`));
  const free = (req.image.volumes ?? []).map((v) => posix.normalize(v)).filter((v) => !taken.has(v));
  return Object.fromEntries(
    free.map((v) => [
      v,
      req.strict || inside(v)
        ? "ro,noexec,nosuid,nodev,size=4k"
        : `rw,exec,nosuid,nodev,mode=1777,size=${req.limits.tmpBytes}`,
    ]),
  );
}

async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    // 404: already gone; 409: removal already in progress
    if (statusCode(err) !== 404 && statusCode(err) !== 409) throw engineError(err);
  }
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode;
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return ["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT"].includes(code ?? "");
}

/** The Docker Engine's own message, on one line. */
function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: string } } | undefined)?.json;
  const message = json?.message ?? (err instanceof Error ? err.message : String(err));
  return (
    message
      .replace(/^\(HTTP code \d+\) [\w ]+ - /, "")
      .split("\n")[0]
      ?.trim() ?? ""
  );
}

/** An unreachable Docker Engine becomes an ExternalError with a hint; other errors pass through. */
export function engineError(err: unknown): unknown {
  if (!isConnectionError(err)) return err;
  return new ExternalError(
    `cannot reach the Docker Engine: ${(err as Error).message}`,
    "start Docker (dockerd), check DOCKER_HOST and your access to its socket (docker group), or use the process runner for an unisolated run",
    { cause: err },
  );
}
