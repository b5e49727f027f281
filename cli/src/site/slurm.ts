/**
 * The Slurm executor: `fedeval run --executor slurm` submits one batch job per planned triple
 * (`sbatch`), each running `fedeval run --triple <id> --json` with the site's runner on a compute
 * node and writing into the site's outbox on shared storage, under that triple's lock (the same
 * atomic writes and resume rules as a local run). The submitting run holds the site lock while it
 * plans, submits and follows the jobs (`squeue`), and reports each job's outcome in one line:
 * the job's own report, or, for a job that Slurm ended (time limit, memory, node failure,
 * cancelled), that it was killed and wrote no result, so the next run runs that triple again.
 * Aborting (Ctrl-C) cancels the jobs (`scancel`) and waits until Slurm says they ended.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../base/errors.ts";
import type { Exec } from "./hardware.ts";
import type { PlannedTriple } from "./plan.ts";
import type { TripleOutcome } from "./triple-outcome.ts";

export interface SlurmOptions {
  /** `fedeval run --site S --root ... --runner ... [limits]` as the job runs it, less `--triple`. */
  command: string[];
  /** FEDEVAL_HOME of the submitting run: every job uses the same one (on shared storage). */
  home: string;
  partition?: string;
  /** GPUs per job: Slurm allocates them, and the job gives its containers exactly those. */
  gpusPerJob?: number;
  /** Slurm's time limit per job, as sbatch takes it (`30`, `2:00:00`, `1-0`). */
  time?: string;
  /** Follow the jobs until they end; otherwise submit and return. */
  wait: boolean;
  /** Runs sbatch, squeue, scancel; default: the real programs on PATH. */
  exec: Exec;
  /** How often squeue is asked, in ms; default 1000. */
  pollMs?: number;
}

/** `benchmark/dataset/model`: how `--triple` names a triple. */
export function tripleId(t: { benchmark: string; dataset: string; model: string }): string {
  return `${t.benchmark}/${t.dataset}/${t.model}`;
}

/** Job states after which a job wrote no result (besides FAILED, whose report says why). */
const KILLED = new Set([
  "TIMEOUT",
  "OUT_OF_MEMORY",
  "NODE_FAIL",
  "CANCELLED",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
  "REVOKED",
]);
const ENDED = new Set([...KILLED, "COMPLETED", "FAILED"]);

/** The arguments of sbatch for one triple's job (its output files under `dir`). */
export function sbatchArgs(options: SlurmOptions, triple: PlannedTriple, dir: string): string[] {
  const name = `${triple.benchmark}--${triple.dataset}--${triple.model}`;
  const command = [...options.command, "--triple", tripleId(triple), "--json"];
  if (options.gpusPerJob) command.push("--gpus", "device=$SLURM_JOB_GPUS");
  const args = [
    "--parsable",
    `--job-name=fedeval:${name}`,
    `--output=${join(dir, `${name}.slurm.json`)}`,
    `--error=${join(dir, `${name}.slurm.log`)}`,
    `--export=ALL,FEDEVAL_HOME=${options.home}`,
  ];
  if (options.partition) args.push(`--partition=${options.partition}`);
  if (options.gpusPerJob) args.push(`--gpus=${options.gpusPerJob}`);
  if (options.time) args.push(`--time=${options.time}`);
  // the device list is expanded by the job's shell; every other word is quoted
  args.push(
    `--wrap=${command.map((w) => (w === "device=$SLURM_JOB_GPUS" ? `"${w}"` : shellQuote(w))).join(" ")}`,
  );
  return args;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Checks that sbatch is here before anything is planned or locked. */
export async function requireSlurm(exec: Exec): Promise<void> {
  try {
    await exec("sbatch", ["--version"]);
  } catch {
    throw new UsageError(
      "--executor slurm: sbatch is not available on this machine (run fedeval on a Slurm login node, or use --executor local); see docs/site-scale.md",
    );
  }
}

/**
 * Submits one job per triple and, with `wait`, follows them until every one ended. Returns one
 * outcome per triple, in plan order; `logFile` is the job's stderr.
 */
export async function runOnSlurm(
  options: SlurmOptions,
  triples: PlannedTriple[],
  dir: string,
  signal: AbortSignal | undefined,
  onTriple?: (outcome: TripleOutcome, index: number, total: number) => void,
): Promise<TripleOutcome[]> {
  const { exec } = options;
  const jobs: { triple: PlannedTriple; id: string; log: string; report: string }[] = [];
  // the jobs this run cancels: those that had not ended yet (one Slurm killed before is reported as killed)
  const cancelled = new Set<string>();
  let cancelling: Promise<unknown> = Promise.resolve();
  const cancel = () => {
    cancelling = (async () => {
      const ids = jobs.map((j) => j.id);
      const states = await jobStates(exec, ids).catch(() => new Map<string, string>());
      const live = ids.filter((id) => !ENDED.has(states.get(id) ?? ""));
      for (const id of live) cancelled.add(id);
      if (live.length) await exec("scancel", live);
    })().catch(() => undefined);
  };
  signal?.addEventListener("abort", cancel, { once: true });
  await mkdir(dir, { recursive: true });
  try {
    for (const triple of triples) {
      if (signal?.aborted) break;
      const args = sbatchArgs(options, triple, dir);
      const id = (await exec("sbatch", args)).trim().split(";")[0] as string;
      const name = `${triple.benchmark}--${triple.dataset}--${triple.model}`;
      jobs.push({ triple, id, log: join(dir, `${name}.slurm.log`), report: join(dir, `${name}.slurm.json`) });
    }
    if (signal?.aborted && jobs.length) cancel();
    const outcomes: TripleOutcome[] = triples.map((t) => ({
      benchmark: t.benchmark,
      model: t.model,
      dataset: t.dataset,
      status: "interrupted",
      message: "not submitted: the run was interrupted",
      dropped: 0,
      logFile: "",
    }));
    if (!options.wait) {
      for (const [n, job] of jobs.entries()) {
        const i = triples.indexOf(job.triple);
        const outcome: TripleOutcome = {
          ...(outcomes[i] as TripleOutcome),
          status: "submitted",
          message: `submitted as Slurm job ${job.id}; its result goes into the outbox when it ends`,
          logFile: job.log,
        };
        outcomes[i] = outcome;
        onTriple?.(outcome, n, triples.length);
      }
      return outcomes;
    }
    let ended = 0;
    const pending = new Map(jobs.map((j) => [j.id, j]));
    while (pending.size) {
      await cancelling;
      const states = await jobStates(exec, [...pending.keys()]);
      for (const [id, job] of pending) {
        const state = states.get(id);
        if (!state || !ENDED.has(state)) continue;
        pending.delete(id);
        const i = triples.indexOf(job.triple);
        const outcome = await jobOutcome(job, state, cancelled.has(id));
        outcomes[i] = outcome;
        onTriple?.(outcome, ended++, triples.length);
      }
      if (pending.size) await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
    }
    return outcomes;
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
}

/** Each job's state (`RUNNING`, `COMPLETED`, `TIMEOUT`, ...) as squeue reports it. */
async function jobStates(exec: Exec, ids: string[]): Promise<Map<string, string>> {
  const out = await exec("squeue", [
    "--noheader",
    "--states=all",
    `--jobs=${ids.join(",")}`,
    "--format=%i|%T",
  ]);
  const states = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [id, state] = line.trim().split("|");
    if (id && state) states.set(id, state);
  }
  return states;
}

/** What a job that ended did: its own report (one triple), or that Slurm killed it. */
async function jobOutcome(
  job: { triple: PlannedTriple; id: string; log: string; report: string },
  state: string,
  cancelled: boolean,
): Promise<TripleOutcome> {
  const { triple } = job;
  const base = {
    benchmark: triple.benchmark,
    model: triple.model,
    dataset: triple.dataset,
    dropped: 0,
    logFile: job.log,
  };
  if (KILLED.has(state)) {
    return cancelled && state === "CANCELLED"
      ? {
          ...base,
          status: "interrupted",
          message: `Slurm job ${job.id} cancelled with the run: no result was written`,
        }
      : {
          ...base,
          status: "failed",
          message: `Slurm job ${job.id} was killed (${state}): no result was written; the next run runs it again`,
        };
  }
  const text = await readFile(job.report, "utf8").catch(() => "");
  let report: { outcomes?: TripleOutcome[]; plan?: { triples?: unknown[] } } | undefined;
  try {
    report = JSON.parse(text);
  } catch {
    report = undefined;
  }
  const own = report?.outcomes?.[0];
  if (own) return { ...own, message: `${own.message} (Slurm job ${job.id})` };
  if (report && state === "COMPLETED") {
    return { ...base, status: "ok", message: `nothing to do: already in the outbox (Slurm job ${job.id})` };
  }
  return {
    ...base,
    status: "failed",
    message: `Slurm job ${job.id} ended ${state} without a report (see its log)`,
  };
}
