/**
 * `fedeval run --site S [--root GOV] [--benchmark B] [--model M] [--parallel N] [--runner docker|process]
 * [--gpus ..] [--shm-size ..] [--memory ..] [--timeout ..] [--max-output ..] [--ignore-model-errors]`:
 * runs the site's plan and holds every result in the outbox (app/run.ts).
 *
 * Output is safe for a public CI log: one line per triple as it ends (`[k/n]` counts the ended
 * ones; with `--parallel` they end in any order, and what runs is a progress line on a terminal),
 * counts, and paths.
 * It never prints a metric value, a statistic or a container's output (`fedeval outbox show ID`
 * shows the values; the per-triple log files hold the containers' output).
 */
import { runSitePlan, type SiteRunRequest, type TripleOutcome } from "../app/run.ts";
import type { CommandIO } from "./io.ts";
import { pendingLines } from "./plan.ts";

/** The run's request, less what the command gives it (its logger, the progress lines). */
export interface RunOptions extends Omit<SiteRunRequest, "logger" | "onTriple"> {
  /** Print the report as JSON (what a Slurm job prints for the run that submitted it) instead of lines. */
  json?: boolean;
}

/** Exit 0: every triple gave a result (or there was nothing to do). 1: some failed. 130: interrupted. */
export async function runCommand(opts: RunOptions, io: CommandIO): Promise<number> {
  const report = await runSitePlan({
    ...opts,
    logger: io.logger,
    onTriple: opts.json
      ? undefined
      : (outcome, i, total) => io.stdout(`[${i + 1}/${total}] ${tripleLine(outcome)}\n`),
  });
  const { plan, outcomes, counts } = report;
  if (opts.json) {
    io.stdout(`${JSON.stringify(report)}\n`);
    if (report.interrupted) return 130;
    return counts.failed ? 1 : 0;
  }
  if (!plan.triples.length) {
    io.stdout(
      `site ${opts.site}: nothing to run (${plan.waiting.length} waiting in the outbox or for a merge, ${plan.current} up to date, ${plan.blocked.length} dataset${plan.blocked.length === 1 ? "" : "s"} blocked, ${plan.pending.length} not approved yet)\n`,
    );
  }
  const pending = pendingLines(plan);
  if (pending.length) io.stdout(`${pending.join("\n")}\n`);
  if (outcomes.length) {
    const parts = [`${counts.ok} ok`, `${counts.partial} partial`, `${counts.failed} failed`];
    if (report.interrupted) parts.push(`${counts.interrupted} interrupted`);
    if (counts.submitted) parts.push(`${counts.submitted} submitted to Slurm`);
    const held = counts.ok + counts.partial;
    io.stdout(
      `run ${report.runId} (governance commit ${report.governanceCommit.slice(0, 12)}): ${outcomes.length} triple${outcomes.length === 1 ? "" : "s"}: ${parts.join(", ")}\n` +
        (held
          ? `${held} result${held === 1 ? "" : "s"} wait in the outbox; nothing has left this machine. Review them with \`fedeval outbox ls --site ${opts.site}\`.\n`
          : ""),
    );
  }
  if (report.interrupted) return 130;
  return counts.failed ? 1 : 0;
}

function tripleLine(o: TripleOutcome): string {
  const where = o.status === "failed" && o.logFile ? ` (log: ${o.logFile})` : "";
  return `${o.status.padEnd(7)} ${o.benchmark} / ${o.model} on ${o.dataset}: ${o.message}${where}`;
}
