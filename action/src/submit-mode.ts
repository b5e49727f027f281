/**
 * `command: submit`, on a site's self-hosted runner: the approved results of the site's outbox
 * go to the governance repository as one branch and pull request per run (`fedeval submit`,
 * app/submit.ts). Pending results stay: only what the data owner (or the site policy)
 * approved leaves.
 */
import * as core from "@actions/core";
import type { ForgeKind } from "../../cli/src/app/propose-change.ts";
import { submitResults } from "../../cli/src/app/submit.ts";
import type { Logger } from "../../cli/src/base/logger.ts";
import { cell, plural } from "./summary.ts";

export interface SubmitModeOptions {
  /** Default: the only site with a workspace on this machine. */
  site?: string;
  /** Absolute governance root; its `origin` is the remote unless `remote` is given. */
  root: string;
  remote?: string;
  forge: ForgeKind;
  /** Pushes the branch and opens the pull request (github forge); becomes GITHUB_TOKEN. */
  token?: string;
  dryRun: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
}

export async function submitMode(opts: SubmitModeOptions): Promise<void> {
  const report = await submitResults({
    site: opts.site,
    root: opts.root,
    remote: opts.remote,
    forge: opts.forge,
    dryRun: opts.dryRun,
    env: opts.token ? { ...opts.env, GITHUB_TOKEN: opts.token } : opts.env,
    cwd: opts.cwd,
    now: () => new Date(),
    logger: opts.logger,
    connectWhenNothingApproved: true,
  });
  const { site } = report;
  // connected whatever the outbox holds (connectWhenNothingApproved): the report names the base branch
  const base = report.base ?? "";

  const submitted = report.groups.reduce((n, g) => n + g.entries.length, 0);
  const prs: string[] = [];
  for (const g of report.groups) {
    const pr = g.outcome.pullRequest;
    if (pr) prs.push(pr.url);
    core.info(
      `run ${g.run}: ${plural(g.entries.length, "result")} on branch ${g.outcome.branch}${pr ? `, pull request ${pr.url}` : g.outcome.compareUrl ? `, open a pull request at ${g.outcome.compareUrl}` : ""}`,
    );
  }
  for (const id of report.alreadyMerged) core.info(`${id}: already in ${base}; moved to sent/`);
  for (const h of report.held) core.warning(`held ${h.id}: ${h.reasons.join("; ")}; what to do: ${h.next}`);
  const verb = opts.dryRun ? "would be submitted" : "submitted";
  core.info(`${plural(submitted, "result")} ${verb}, ${report.held.length} held in the outbox`);

  core.setOutput("submitted", String(submitted));
  core.setOutput("held", String(report.held.length));
  core.setOutput("pull-requests", prs.join("\n"));
  const lines = [
    `## fedeval submit: site ${site}${opts.dryRun ? " (dry run)" : ""}`,
    "",
    `${plural(submitted, "result")} ${verb} in ${report.groups.length} branch${report.groups.length === 1 ? "" : "es"}, ${report.held.length} held in the outbox, ${report.alreadyMerged.length} already in ${cell(base)}.`,
  ];
  if (prs.length) lines.push("", ...prs.map((url) => `- ${url}`));
  await core.summary.addRaw(`${lines.join("\n")}\n`).write();
  if (report.held.length)
    core.setFailed(`${plural(report.held.length, "result")} held in the outbox; see the warnings above`);
}
