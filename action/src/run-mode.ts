/**
 * `command: run`, on a site's self-hosted runner: the site's plan is run (every result held in
 * the outbox), then, when asked, the site policy approves what it allows; with dry-run, the plan
 * only.
 *
 * The log and the job summary of a public repository are public, so this mode writes counts,
 * triples and outbox entry ids only, never a metric value or a statistic: the reports it formats
 * hold none.
 */
import * as core from "@actions/core";
import { chooseSite, listOutbox, type OutboxState } from "../../cli/src/app/outbox.ts";
import { type ApprovalReport, approveOutbox } from "../../cli/src/app/outbox-approval.ts";
import { type Plan, planSiteWork } from "../../cli/src/app/plan.ts";
import {
  type RunnerKind,
  runSitePlan,
  type SiteRunReport,
  type TripleOutcome,
} from "../../cli/src/app/run.ts";
import { UserError } from "../../cli/src/base/errors.ts";
import type { Logger } from "../../cli/src/base/logger.ts";
import { workspace } from "../../cli/src/base/workspace.ts";
import { plural } from "./summary.ts";

export interface RunModeOptions {
  /** Default: the only site with a workspace on this machine. */
  site?: string;
  /** Absolute governance root (a clone of main). */
  root: string;
  runner: RunnerKind;
  benchmark?: string;
  model?: string;
  approveByPolicy: boolean;
  /** Plan only (`fedeval plan`): run nothing. */
  dryRun: boolean;
  /** GITHUB_REF: results are computed only from the governance on main. */
  ref: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
}

export const RUN_REF = "refs/heads/main";

export async function runMode(opts: RunModeOptions): Promise<void> {
  if (opts.ref !== RUN_REF) {
    throw new UserError(
      `command run runs only on ${RUN_REF}, so that results come from the approved governance files (this job is on ${opts.ref ?? "no ref"}); trigger it on push to main, a schedule or workflow_dispatch on main`,
    );
  }
  const ws = workspace(opts.env, opts.cwd);
  const id = await chooseSite(ws, opts.site);
  const site = ws.site(id);
  const common = { site: id, root: opts.root, cwd: opts.cwd, env: opts.env, logger: opts.logger };
  if (opts.dryRun) {
    for (const line of planLines(await planSiteWork(common))) core.info(line);
    core.setOutput("results", "0");
    core.setOutput("site-path", site.root);
    await core.summary.addRaw(`## fedeval run: site ${id} (dry run)\n\nPlanned only; nothing ran.\n`).write();
    return;
  }
  const run = await runSitePlan({
    ...common,
    benchmark: opts.benchmark,
    model: opts.model,
    runner: opts.runner,
    onTriple: (outcome, i, total) => core.info(`[${i + 1}/${total}] ${tripleLine(outcome)}`),
  });
  core.info(runLine(run));
  if (opts.approveByPolicy) {
    const approval = await approveOutbox({ ...common, ids: [], policy: true, now: () => new Date() });
    for (const line of approvalLines(approval)) core.info(line);
  }
  const state = new Map((await listOutbox(common)).map((e) => [e.id, e.state]));
  const added = run.entries;
  const count = (ids: Iterable<string>, s: OutboxState) => [...ids].filter((e) => state.get(e) === s).length;
  const code = run.interrupted ? 130 : run.counts.failed ? 1 : 0;

  core.setOutput("results", String(added.length));
  core.setOutput("site-path", site.root);
  const lines = [
    `## fedeval run: site ${id}`,
    "",
    `${plural(added.length, "new result")} in the outbox (${count(added, "approved")} approved by the site policy, ${count(added, "pending")} pending).`,
    `The outbox now holds ${count(state.keys(), "pending")} pending and ${count(state.keys(), "approved")} approved ${state.size === 1 ? "result" : "results"}; nothing has left this machine.`,
    "",
    code === 0
      ? "Every planned model ran."
      : code === 130
        ? "The run was interrupted; the next run resumes."
        : "Some models failed: see the job log for which, and the log files in the site workspace for why.",
  ];
  await core.summary.addRaw(`${lines.join("\n")}\n`).write();
  if (code !== 0)
    core.setFailed(
      code === 130 ? "the run was interrupted" : "some models failed on this site; see the log above",
    );
}

/** The plan, one line per triple to run and per dataset that cannot run. */
function planLines(plan: Plan): string[] {
  return [
    `site ${plan.site}: ${plural(plan.triples.length, "triple")} to run (${notPlanned(plan)})`,
    ...plan.triples.map((t) => `  ${t.benchmark} / ${t.model} on ${t.dataset}: ${t.reasons.join(", ")}`),
    ...plan.blocked.map((b) => `  cannot run: ${b.benchmark} / ${b.dataset}: ${b.reason}`),
    ...plan.pending.map((p) => `  not approved yet: ${p.benchmark} / ${p.kind} ${p.id}: ${p.reason}`),
    ...plan.notes.map((note) => `note: ${note}`),
  ];
}

/** What the plan leaves out, counted. */
function notPlanned(plan: Plan): string {
  return `${plan.waiting.length} waiting in the outbox or for a merge, ${plan.current} up to date, ${plural(plan.blocked.length, "dataset")} blocked, ${plan.pending.length} not approved yet`;
}

function tripleLine(o: TripleOutcome): string {
  const log = o.status === "failed" && o.logFile ? ` (log: ${o.logFile})` : "";
  return `${o.status} ${o.benchmark} / ${o.model} on ${o.dataset}: ${o.message}${log}`;
}

/** The run's counts. */
function runLine(run: SiteRunReport): string {
  const { counts, outcomes } = run;
  if (!outcomes.length) return `site ${run.plan.site}: nothing to run (${notPlanned(run.plan)})`;
  const interrupted = run.interrupted ? `, ${counts.interrupted} interrupted` : "";
  return `run ${run.runId} (governance commit ${run.governanceCommit.slice(0, 12)}): ${plural(outcomes.length, "triple")}: ${counts.ok} ok, ${counts.partial} partial, ${counts.failed} failed${interrupted}; ${plural(run.entries.length, "result")} held in the outbox`;
}

/** One line per entry the site policy approved or held, then the counts. */
function approvalLines(report: ApprovalReport): string[] {
  const lines: string[] = [];
  let approved = 0;
  let held = 0;
  for (const d of report.decisions) {
    if (d.outcome === "approved") {
      approved++;
      lines.push(`approved ${d.id} (site policy, key ${d.key})`);
    } else if (d.outcome === "held") {
      held++;
      lines.push(`held ${d.id}: ${d.reasons.join("; ")}`);
    }
  }
  lines.push(`${approved} approved by the site policy, ${held} held for a person`);
  return lines;
}
