/**
 * `fedeval outbox reject ID [--site S] [--reason TEXT]`: the data owner discards a result. The
 * entry is kept in `outbox/rejected/` (nothing is deleted) and never submitted.
 */

import { UserError } from "../base/errors.ts";
import { acquireSiteLock } from "../base/lock.ts";
import { isoSeconds } from "../base/run-id.ts";
import { workspace } from "../base/workspace.ts";
import { chooseSite } from "../results/approval.ts";
import { Outbox } from "../results/outbox.ts";
import type { CommandIO } from "./io.ts";

export interface OutboxRejectOptions {
  id: string;
  site?: string;
  reason?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
}

export async function outboxRejectCommand(opts: OutboxRejectOptions, io: CommandIO): Promise<number> {
  const ws = workspace(opts.env, opts.cwd);
  const site = await chooseSite(ws, opts.site);
  const outbox = new Outbox(ws.site(site).outbox);
  const lock = await acquireSiteLock(outbox.submitLock, `the outbox of site ${site}`);
  try {
    return await reject(opts, io, outbox, site);
  } finally {
    await lock.release();
  }
}

async function reject(
  opts: OutboxRejectOptions,
  io: CommandIO,
  outbox: Outbox,
  site: string,
): Promise<number> {
  const entry = await outbox.read(opts.id);
  if (entry.site !== site)
    throw new UserError(`outbox entry ${opts.id} belongs to site ${entry.site}, not ${site}`);
  if (entry.state === "submitted")
    throw new UserError(
      `${opts.id} was already submitted (${entry.submission?.pr_url ?? entry.submission?.branch}); ask the committee to close the pull request instead`,
    );
  if (entry.submission?.pushed_at) {
    io.logger.warn(
      `${opts.id} was already pushed to branch ${entry.submission.branch}; rejecting it here does not take it back: close its pull request and delete the branch`,
    );
  }
  const note = `rejected at ${isoSeconds(opts.now())}${opts.reason ? `: ${opts.reason.replace(/\s+/g, " ").trim()}` : ""}`;
  await outbox.update({ ...entry, notes: [...(entry.notes ?? []), note] });
  await outbox.archive(entry.id, "rejected");
  io.stdout(`rejected ${entry.id} (kept in ${outbox.dir}/rejected/)\n`);
  return 0;
}
