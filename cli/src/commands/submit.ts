/**
 * `fedeval submit [--site S] [--root GOV] [--remote URL] [--forge github|git] [--dry-run]`:
 * approved outbox entries → one branch and one pull request per site and run (forge/submission.ts).
 * Exit 0 when every approved entry left (or, in a dry run, would leave); 1 when some were held.
 */

import { submitResults } from "../app/submission.ts";
import { acquireSiteLock } from "../base/lock.ts";
import { workspace } from "../base/workspace.ts";
import {
  type Connection,
  connect,
  describeProposal,
  type ForgeRuntime,
  type ForgeSettings,
} from "../forge/proposal.ts";
import { chooseSite } from "../results/approval.ts";
import { Outbox } from "../results/outbox.ts";
import type { CommandIO } from "./io.ts";

export interface SubmitCommandOptions extends ForgeSettings {
  site?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
  /** Tests: see ForgeRuntime. */
  githubTiming?: ForgeRuntime["githubTiming"];
  beforePush?: ForgeRuntime["beforePush"];
}

export async function submitCommand(opts: SubmitCommandOptions, io: CommandIO): Promise<number> {
  const ws = workspace(opts.env, opts.cwd);
  const site = await chooseSite(ws, opts.site);
  const outbox = new Outbox(ws.site(site).outbox);
  const mine = (await outbox.list()).filter((e) => e.site === site);
  const waiting = mine.filter((e) => e.state !== "pending");
  if (!waiting.length) {
    const pending = mine.length;
    io.stderr(
      `nothing approved to submit for site ${site}${pending ? ` (${pending} pending: \`fedeval outbox approve\`)` : ""}\n`,
    );
    return 0;
  }
  const lock = await acquireSiteLock(outbox.submitLock, `the outbox of site ${site}`);
  let conn: Connection | undefined;
  try {
    conn = await connect(opts, {
      env: opts.env,
      workspace: ws,
      logger: io.logger,
      githubTiming: opts.githubTiming,
      beforePush: opts.beforePush,
    });
    const report = await submitResults({ site, outbox, connection: conn, now: opts.now, logger: io.logger });
    for (const id of report.finished) io.stdout(`${id}: submitted earlier; moved to sent/\n`);
    for (const id of report.alreadyMerged)
      io.stdout(`${id}: already in ${conn.clone.base}; moved to sent/\n`);
    for (const g of report.groups) {
      io.stdout(
        `run ${g.run}: ${g.entries.length} result${g.entries.length > 1 ? "s" : ""} (${g.entries.join(", ")})\n`,
      );
      io.stdout(describeProposal(g.outcome, g.files, opts.dryRun));
    }
    for (const h of report.held) {
      io.stdout(`held ${h.id}:\n${h.reasons.map((r) => `  ${r}\n`).join("")}  what to do: ${h.next}\n`);
    }
    const sent = report.groups.reduce((n, g) => n + g.entries.length, 0);
    io.stderr(
      opts.dryRun
        ? `dry run: ${sent} result${sent === 1 ? "" : "s"} would be submitted, ${report.held.length} held\n`
        : `${sent} result${sent === 1 ? "" : "s"} submitted, ${report.held.length} held in the outbox\n`,
    );
    return report.held.length ? 1 : 0;
  } finally {
    await conn?.close();
    await lock.release();
  }
}
