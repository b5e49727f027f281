/**
 * `fedeval run --site S [--root GOV] [--benchmark B] [--model M] [--runner docker|process]
 * [--gpus ..] [--shm-size ..] [--memory ..] [--timeout ..] [--max-output ..] [--ignore-model-errors]`:
 * runs the site's plan and holds every result in the outbox (execution/run.ts).
 *
 * Output is safe for a public CI log: one line per triple with its outcome, counts, and paths.
 * It never prints a metric value, a statistic or a container's output (`fedeval outbox show ID`
 * shows the values; the per-triple log files hold the containers' output).
 */
import type Docker from "dockerode";
import { workspace } from "../base/workspace.ts";
import { runSite, type TripleOutcome } from "../site/run.ts";
import {
  createRunner,
  dockerClient,
  type LimitFlags,
  type RunnerKind,
  removeLeftoverContainers,
  siteLimits,
} from "../site/runners.ts";
import { loadSiteGovernance } from "../site/site-governance.ts";
import type { CommandIO } from "./io.ts";

export interface RunOptions extends LimitFlags {
  site: string;
  root: string;
  benchmark?: string;
  model?: string;
  runner: RunnerKind;
  ignoreModelErrors?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  docker?: Docker;
  signal?: AbortSignal;
}

/** Exit 0: every triple gave a result (or there was nothing to do). 1: some failed. 130: interrupted. */
export async function runCommand(opts: RunOptions, io: CommandIO): Promise<number> {
  const limits = siteLimits(opts);
  const ws = workspace(opts.env, opts.cwd);
  // dockerode loads while the governance files are read
  const [index, docker] = await Promise.all([
    loadSiteGovernance(opts.root, opts.cwd, io.logger),
    opts.runner === "docker" ? (opts.docker ?? dockerClient()) : undefined,
  ]);
  const runner = await createRunner(opts.runner, { home: ws.home, cwd: opts.cwd, env: opts.env, docker });
  const site = ws.site(opts.site);
  if (runner.isolation === "none") {
    io.logger.warn(
      "the process runner gives models no isolation (network, files): use it for development only; its results say isolation: none",
    );
  }
  const report = await runSite({
    index,
    site: opts.site,
    benchmark: opts.benchmark,
    model: opts.model,
    runner,
    limits,
    ignoreModelErrors: opts.ignoreModelErrors,
    workspace: site,
    logger: io.logger,
    signal: opts.signal,
    removeLeftovers: docker ? () => removeLeftoverContainers(docker, site.root) : undefined,
    onTriple: (outcome, i, total) => io.stdout(`[${i + 1}/${total}] ${tripleLine(outcome)}\n`),
  });
  const { plan, outcomes } = report;
  if (report.leftoversRemoved) {
    io.logger.warn(`removed ${report.leftoversRemoved} container(s) left by a run that was killed`);
  }
  if (report.tookOverLockFrom !== undefined) {
    io.logger.warn(`took over the lock of an earlier run that is gone (pid ${report.tookOverLockFrom})`);
  }
  if (!plan.triples.length) {
    io.stdout(
      `site ${opts.site}: nothing to run (${plan.waiting.length} waiting in the outbox or for a merge, ${plan.current} up to date, ${plan.blocked.length} dataset${plan.blocked.length === 1 ? "" : "s"} blocked)\n`,
    );
  }
  for (const b of plan.blocked)
    io.logger.warn(`dataset ${b.dataset} of ${b.benchmark} cannot run: ${b.reason}`);
  if (outcomes.length) {
    const count = (s: TripleOutcome["status"]) => outcomes.filter((o) => o.status === s).length;
    const parts = [`${count("ok")} ok`, `${count("partial")} partial`, `${count("failed")} failed`];
    if (report.interrupted) parts.push(`${count("interrupted")} interrupted`);
    const held = count("ok") + count("partial");
    io.stdout(
      `run ${report.runId} (governance commit ${report.governanceCommit.slice(0, 12)}): ${outcomes.length} triple${outcomes.length === 1 ? "" : "s"}: ${parts.join(", ")}\n` +
        (held
          ? `${held} result${held === 1 ? "" : "s"} wait in the outbox; nothing has left this machine. Review them with \`fedeval outbox ls --site ${opts.site}\`.\n`
          : ""),
    );
  }
  if (report.interrupted) return 130;
  return outcomes.some((o) => o.status === "failed") ? 1 : 0;
}

function tripleLine(o: TripleOutcome): string {
  const where = o.status === "failed" && o.logFile ? ` (log: ${o.logFile})` : "";
  return `${o.status.padEnd(7)} ${o.benchmark} / ${o.model} on ${o.dataset}: ${o.message}${where}`;
}
