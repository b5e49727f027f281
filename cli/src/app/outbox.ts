/**
 * The site's outbox as its data owner sees it: `fedeval outbox ls` (entries, no values),
 * `fedeval outbox show` (one result exactly as it would be submitted) and `fedeval outbox reject`
 * (discarded, kept in `outbox/rejected/`). Approval: outbox-approval.ts.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../base/errors.ts";
import { acquireSiteLock } from "../base/lock.ts";
import type { Logger } from "../base/logger.ts";
import { isoSeconds } from "../base/run-id.ts";
import { type Workspace, workspace } from "../base/workspace.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths } from "../governance/layout.ts";
import { chooseSite } from "../results/approval.ts";
import { Outbox, type OutboxEntry, type OutboxState } from "../results/outbox.ts";

export type { OutboxEntry, OutboxState } from "../results/outbox.ts";
/** The site a command acts for: the one named, else the only site with a workspace on this machine. */
export { chooseSite };

/** The outbox entries (or the sent ones) of one site, or of every site in the workspace. */
async function outboxEntries(ws: Workspace, site?: string, folder: "" | "sent" = ""): Promise<OutboxEntry[]> {
  const sites = site ? [site] : (await readdir(join(ws.home, "sites")).catch(() => [] as string[])).sort();
  const entries: OutboxEntry[] = [];
  for (const s of sites) entries.push(...(await new Outbox(ws.site(s).outbox).list(folder)));
  return entries;
}

export interface OutboxListRequest {
  /** Default: every site of the workspace. */
  site?: string;
  /** The sent entries (their pull request exists) instead of the waiting ones. */
  sent?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** One outbox entry without its values (field names as `fedeval outbox ls --json` prints them). */
export interface OutboxEntrySummary {
  id: string;
  site: string;
  state: OutboxState;
  created_at: string;
  benchmark: string;
  model: string;
  dataset: string;
  partial: boolean;
  /** How many fields of the evaluator's output were dropped. */
  dropped: number;
  /** The pull request (or the branch) an entry went to. */
  pull_request: string | null;
}

/** The entries waiting in the outbox (or sent from it), site by site. */
export async function listOutbox(req: OutboxListRequest): Promise<OutboxEntrySummary[]> {
  const entries = await outboxEntries(workspace(req.env, req.cwd), req.site, req.sent ? "sent" : "");
  return entries.map((e) => ({
    id: e.id,
    site: e.site,
    state: e.state,
    created_at: e.created_at,
    benchmark: e.result.benchmark.id,
    model: e.result.model,
    dataset: e.result.dataset,
    partial: e.result.partial === true,
    dropped: e.dropped.length,
    pull_request: e.submission?.pr_url ?? e.submission?.branch ?? null,
  }));
}

export interface OutboxShowRequest {
  id: string;
  /** Default: whichever site's outbox holds it. */
  site?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** One outbox entry with its values, as a site person sees it before deciding. */
export interface OutboxEntryView {
  entry: OutboxEntry;
  /** Whether the entry has left: its pull request exists (`outbox ls --sent` lists it). */
  sent: boolean;
  /** Where it would be (or was) submitted in the governance repository. */
  file: string;
  /** The file's text (without approval and signature while it is pending). */
  text: string;
}

export async function showOutboxEntry(req: OutboxShowRequest): Promise<OutboxEntryView> {
  const ws = workspace(req.env, req.cwd);
  const waiting = (await outboxEntries(ws, req.site)).find((e) => e.id === req.id);
  const entry = waiting ?? (await outboxEntries(ws, req.site, "sent")).find((e) => e.id === req.id);
  if (!entry)
    throw new UserError(
      `no outbox entry ${req.id}${req.site ? ` for site ${req.site}` : ""} (see \`fedeval outbox ls [--sent]\`)`,
    );
  const r = entry.result;
  return {
    entry,
    sent: !waiting,
    file: paths.result(r.benchmark.id, r.dataset, r.model),
    text: governanceFileText("result", r),
  };
}

export interface OutboxRejectRequest {
  id: string;
  /** Default: the only site with a workspace on this machine. */
  site?: string;
  /** Why, kept in the entry's notes. */
  reason?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** Told when the entry had already been pushed. */
  logger: Logger;
}

export interface OutboxRejection {
  id: string;
  site: string;
  /** The folder that keeps the rejected entry. */
  keptIn: string;
}

/** Moves a result that was not submitted to `outbox/rejected/`, with the reason in its notes. */
export async function rejectOutboxEntry(req: OutboxRejectRequest): Promise<OutboxRejection> {
  const ws = workspace(req.env, req.cwd);
  const site = await chooseSite(ws, req.site);
  const outbox = new Outbox(ws.site(site).outbox);
  const lock = await acquireSiteLock(outbox.submitLock, `the outbox of site ${site}`);
  try {
    const entry = await outbox.read(req.id);
    if (entry.site !== site)
      throw new UserError(`outbox entry ${req.id} belongs to site ${entry.site}, not ${site}`);
    if (entry.state === "submitted")
      throw new UserError(
        `${req.id} was already submitted (${entry.submission?.pr_url ?? entry.submission?.branch}); ask the committee to close the pull request instead`,
      );
    if (entry.submission?.pushed_at) {
      req.logger.warn(
        `${req.id} was already pushed to branch ${entry.submission.branch}; rejecting it here does not take it back: close its pull request and delete the branch`,
      );
    }
    const note = `rejected at ${isoSeconds(req.now())}${req.reason ? `: ${req.reason.replace(/\s+/g, " ").trim()}` : ""}`;
    await outbox.update({ ...entry, notes: [...(entry.notes ?? []), note] });
    await outbox.archive(entry.id, "rejected");
    return { id: entry.id, site, keptIn: `${outbox.dir}/rejected` };
  } finally {
    await lock.release();
  }
}
