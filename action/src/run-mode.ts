/**
 * `command: run`, on a site's self-hosted runner: `fedeval run` (plan, run, hold every result in
 * the outbox), then, when asked, `fedeval outbox approve --policy`; with dry-run, `fedeval plan`.
 *
 * The log and the job summary of a public repository are public, so this mode writes counts and
 * outbox entry ids only, never a metric value or a statistic: the commands it calls print none,
 * and the summary is made of counts.
 */
import * as core from "@actions/core";
import { UserError } from "../../cli/src/base/errors.ts";
import type { Logger } from "../../cli/src/base/logger.ts";
import { workspace } from "../../cli/src/base/workspace.ts";
import type { CommandIO } from "../../cli/src/commands/io.ts";
import { outboxApproveCommand } from "../../cli/src/commands/outbox-approve.ts";
import { planCommand } from "../../cli/src/commands/plan.ts";
import { runCommand } from "../../cli/src/commands/run.ts";
import { chooseSite } from "../../cli/src/results/approval.ts";
import { Outbox } from "../../cli/src/results/outbox.ts";
import type { RunnerKind } from "../../cli/src/site/runners.ts";
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

/** A command's output, line by line, to the job log. */
export function logIO(logger: Logger): CommandIO {
  const write = (text: string) => {
    for (const line of text.replace(/\n$/, "").split("\n")) core.info(line);
  };
  return { stdout: write, stderr: write, logger, isTTY: false };
}

export async function runMode(opts: RunModeOptions): Promise<void> {
  if (opts.ref !== RUN_REF) {
    throw new UserError(
      `command run runs only on ${RUN_REF}, so that results come from the approved governance files (this job is on ${opts.ref ?? "no ref"}); trigger it on push to main, a schedule or workflow_dispatch on main`,
    );
  }
  const ws = workspace(opts.env, opts.cwd);
  const id = await chooseSite(ws, opts.site);
  const site = ws.site(id);
  const io = logIO(opts.logger);
  if (opts.dryRun) {
    await planCommand({ site: id, root: opts.root, cwd: opts.cwd, env: opts.env }, io);
    core.setOutput("results", "0");
    core.setOutput("site-path", site.root);
    await core.summary.addRaw(`## fedeval run: site ${id} (dry run)\n\nPlanned only; nothing ran.\n`).write();
    return;
  }
  const outbox = new Outbox(site.outbox);
  const before = new Set((await outbox.list()).map((e) => e.id));
  const code = await runCommand(
    {
      site: id,
      root: opts.root,
      benchmark: opts.benchmark,
      model: opts.model,
      runner: opts.runner,
      cwd: opts.cwd,
      env: opts.env,
    },
    io,
  );
  if (opts.approveByPolicy) {
    await outboxApproveCommand(
      {
        ids: [],
        site: id,
        root: opts.root,
        yes: false,
        policy: true,
        env: opts.env,
        cwd: opts.cwd,
        now: () => new Date(),
        stdinIsTTY: false,
      },
      io,
    );
  }
  const mine = (await outbox.list()).filter((e) => e.site === id);
  const added = mine.filter((e) => !before.has(e.id));
  const count = (entries: typeof mine, state: string) => entries.filter((e) => e.state === state).length;

  core.setOutput("results", String(added.length));
  core.setOutput("site-path", site.root);
  const lines = [
    `## fedeval run: site ${id}`,
    "",
    `${plural(added.length, "new result")} in the outbox (${count(added, "approved")} approved by the site policy, ${count(added, "pending")} pending).`,
    `The outbox now holds ${count(mine, "pending")} pending and ${count(mine, "approved")} approved ${mine.length === 1 ? "result" : "results"}; nothing has left this machine.`,
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
