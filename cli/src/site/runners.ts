/**
 * What `dataset prepare` and `run` share about how containers run at a site: which runner
 * (`--runner docker|process`) and the limits the site sets (`--gpus`, `--shm-size`, `--memory`,
 * `--timeout`, `--max-output`).
 *
 * The process runner needs a host command for each image it stands in for. They are kept in
 * `$FEDEVAL_HOME/process-images.json`: `{"<image ref>": ["<program>", "<arg>", ...]}`. A process
 * runner "image" is pinned by a content hash of the container's files (see demo/demo-images.ts);
 * the process runner itself checks nothing, which is one more reason its results say
 * `isolation: none`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { formatBytes, parseByteSize } from "../base/bytes.ts";
import { UsageError, UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { DockerRunner, engineError, parseGpus } from "../containers/docker-runner.ts";
import { ProcessRunner } from "../containers/process-runner.ts";
import {
  type ContainerRunner,
  DEFAULT_LIMITS,
  type ImageRef,
  type PullProgress,
  type RunLimits,
} from "../containers/runner.ts";
import type { TaskInterface } from "../containers/types.ts";

/** The runners, one record each: how `--runner` names it and what it is. */
export const RUNNERS = {
  docker:
    "isolated containers on a Docker Engine, or on Podman through its Docker-compatible API at DOCKER_HOST",
  process: "host processes, no isolation: development only",
} as const;

export type RunnerKind = keyof typeof RUNNERS;

/** `--runner` checked: a value no runner has is refused in one line naming those there are. */
export function runnerKind(value: string): RunnerKind {
  if (Object.hasOwn(RUNNERS, value)) return value as RunnerKind;
  throw new UsageError(
    `--runner ${value}: not available; supported: ${Object.entries(RUNNERS)
      .map(([k, what]) => `${k} (${what})`)
      .join(", ")}${notHereYet(value)}`,
  );
}

/** What a refusal adds for engines people ask for that cannot be tested on fedeval's machines. */
export function notHereYet(value: string): string {
  return /^(apptainer|singularity)$/i.test(value)
    ? "; Apptainer/Singularity is not supported yet: docs/site-scale.md says how it would map the same isolation"
    : "; see docs/site-scale.md";
}

/** The limit flags as the user typed them. */
export interface LimitFlags {
  gpus?: string;
  shmSize?: string;
  memory?: string;
  timeout?: string;
  maxOutput?: string;
}

/** Limits for every task of a command, and whether `--shm-size` overrides a definition's own. */
export interface SiteLimits {
  limits: RunLimits;
  shmFromFlag: boolean;
}

const DURATION_UNITS: Record<string, number> = { "": 1000, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90` (seconds), `90s`, `30m`, `2h`, `500ms`. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * (DURATION_UNITS[m[2] ?? ""] as number) : Number.NaN;
  if (!(ms > 0)) throw new UsageError(`not a duration: "${value}" (examples: 90s, 30m, 2h)`);
  return Math.round(ms);
}

export function siteLimits(flags: LimitFlags, defaults: Partial<RunLimits> = {}): SiteLimits {
  const limits: RunLimits = { ...DEFAULT_LIMITS, ...defaults };
  const size = (flag: string, value: string) => {
    try {
      return parseByteSize(value);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
  };
  if (flags.memory !== undefined) limits.memoryBytes = size("--memory", flags.memory);
  if (flags.shmSize !== undefined) limits.shmBytes = size("--shm-size", flags.shmSize);
  if (flags.maxOutput !== undefined) limits.outputBytes = size("--max-output", flags.maxOutput);
  if (flags.timeout !== undefined) limits.timeoutMs = parseDuration(flags.timeout);
  if (flags.gpus !== undefined) limits.gpus = parseGpus(flags.gpus);
  return { limits, shmFromFlag: flags.shmSize !== undefined };
}

/**
 * The limits of one task: the site's, with the definition's `shm_size` unless `--shm-size` was
 * given. GPUs are the site's to give (`--gpus`, as MedPerf's `--gpus` overrides `run_args.gpus`):
 * a task whose definition asks for GPUs (`run_args.gpus`) where the site gives none is refused
 * in one line before it starts.
 */
export function taskLimits(site: SiteLimits, task: TaskInterface, definition?: string): RunLimits {
  if (task.gpus !== undefined && site.limits.gpus === undefined) {
    const asked = Array.isArray(task.gpus) ? `device=${task.gpus.join(",")}` : String(task.gpus);
    throw new UserError(
      `task ${task.name}${definition ? ` of ${definition}` : ""} asks for GPUs (run_args.gpus: ${asked}) and this site gives containers none: run with --gpus ${asked} where the machine has them`,
    );
  }
  if (site.shmFromFlag || task.shmSize === undefined) return site.limits;
  let shmBytes: number;
  try {
    shmBytes = parseByteSize(task.shmSize);
  } catch {
    throw new UserError(`task ${task.name}: shm_size "${task.shmSize}" is not a size`);
  }
  return { ...site.limits, shmBytes };
}

export function processImagesFile(home: string): string {
  return join(home, "process-images.json");
}

/** The host commands the process runner uses, by image ref; none when the file does not exist. */
export async function readProcessEntrypoints(home: string): Promise<Record<ImageRef, string[]>> {
  const file = processImagesFile(home);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not valid JSON`);
  }
  const valid =
    typeof data === "object" &&
    data !== null &&
    !Array.isArray(data) &&
    Object.values(data).every(
      (v) => Array.isArray(v) && v.length > 0 && v.every((w) => typeof w === "string"),
    );
  if (!valid) throw new UserError(`${file} must map image refs to commands: {"sha256:...": ["node", "..."]}`);
  return data as Record<ImageRef, string[]>;
}

/** Adds host commands to process-images.json (entries for other images are kept). */
export async function saveProcessEntrypoints(
  home: string,
  entrypoints: Record<ImageRef, string[]>,
): Promise<void> {
  const all = { ...(await readProcessEntrypoints(home)), ...entrypoints };
  await writeFileAtomic(processImagesFile(home), `${JSON.stringify(all, null, 2)}\n`);
}

/** The only variables of fedeval's environment a process-runner task sees. */
const TASK_ENV = ["PATH", "LANG", "LC_ALL", "TZ"];

/**
 * A client of the Docker Engine of DOCKER_HOST (or the default socket). Only commands that run
 * containers on Docker load dockerode, when they need it (the bundle leaves its SSH, BuildKit
 * and build-context parts out: scripts/build-options.ts).
 */
export async function dockerClient(): Promise<Docker> {
  return new (await import("dockerode")).default();
}

export async function createRunner(
  kind: RunnerKind,
  options: { home: string; cwd: string; env: NodeJS.ProcessEnv; docker?: Docker },
): Promise<ContainerRunner> {
  if (kind === "docker") return new DockerRunner(options.docker ?? (await dockerClient()));
  return new ProcessRunner({
    cwd: options.cwd,
    // the task runs as the user: give it no credentials (tokens, DOCKER_HOST...) from fedeval's environment
    env: Object.fromEntries(TASK_ENV.flatMap((k) => (options.env[k] ? [[k, options.env[k]]] : []))),
    entrypoints: await readProcessEntrypoints(options.home),
  });
}

/** Label on every container `fedeval run` starts: the site workspace it runs for. */
export const WORKSPACE_LABEL = "fedeval.workspace";

/** Label on every container `fedeval run` starts: the triple it runs (`benchmark/dataset/model`). */
export const TRIPLE_LABEL = "fedeval.triple";

/** Which leftovers to remove: one triple's, or every one but those of triples another run holds. */
export type LeftoverFilter = { triple: string } | { busy: (triple: string) => Promise<boolean> };

/**
 * Removes containers a killed `fedeval run` of this workspace left behind (a SIGKILL gives fedeval
 * no chance to remove them). Call it only while holding the workspace's lock (or the triple's):
 * then no container it removes belongs to a live run. Returns how many were removed.
 */
export async function removeLeftoverContainers(
  docker: Docker,
  workspaceRoot: string,
  which: LeftoverFilter = { busy: async () => false },
): Promise<number> {
  const label = [`${WORKSPACE_LABEL}=${workspaceRoot}`];
  if ("triple" in which) label.push(`${TRIPLE_LABEL}=${which.triple}`);
  const found = await docker
    .listContainers({ all: true, filters: { label } })
    .catch((err) => Promise.reject(engineError(err)));
  const leftovers = [];
  for (const c of found) {
    const triple = c.Labels?.[TRIPLE_LABEL];
    if (!("busy" in which) || !triple || !(await which.busy(triple))) leftovers.push(c);
  }
  for (const c of leftovers) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined); // already gone
  }
  return leftovers.length;
}

/**
 * Shows an image pull on the logger's progress line: bytes downloaded over the bytes announced
 * so far, summed over layers. Nothing is shown for an image that is already here.
 */
export function pullProgress(logger: Logger, ref: ImageRef): (event: PullProgress) => void {
  const layers = new Map<string, { current: number; total: number }>();
  return (event) => {
    if (!logger.progress || !event.layer || event.status !== "Downloading" || !event.total) return;
    layers.set(event.layer, { current: event.current ?? 0, total: event.total });
    let current = 0;
    let total = 0;
    for (const l of layers.values()) {
      current += l.current;
      total += l.total;
    }
    logger.progress(
      `pulling ${ref}: ${formatBytes(current)} of ${formatBytes(total)} (${layers.size} layers so far)`,
    );
  };
}
