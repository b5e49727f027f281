/**
 * `fedeval outbox ls [--site S] [--sent] [--json]`: the results waiting in a site's outbox (every
 * site of the workspace without --site); with --sent, the ones that left as a pull request. No
 * values here: `fedeval outbox show ID` shows them.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Workspace, workspace } from "../base/workspace.ts";
import { Outbox, type OutboxEntry } from "../results/outbox.ts";
import type { CommandIO } from "./io.ts";

export interface OutboxListOptions {
  site?: string;
  /** The sent entries (their pull request exists) instead of the waiting ones. */
  sent?: boolean;
  json?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The outbox entries (or the sent ones) of one site, or of every site in the workspace. */
export async function outboxEntries(
  ws: Workspace,
  site?: string,
  folder: "" | "sent" = "",
): Promise<OutboxEntry[]> {
  const sites = site ? [site] : (await readdir(join(ws.home, "sites")).catch(() => [] as string[])).sort();
  const entries: OutboxEntry[] = [];
  for (const s of sites) entries.push(...(await new Outbox(ws.site(s).outbox).list(folder)));
  return entries;
}

export async function outboxListCommand(opts: OutboxListOptions, io: CommandIO): Promise<number> {
  const entries = await outboxEntries(workspace(opts.env, opts.cwd), opts.site, opts.sent ? "sent" : "");
  const rows = entries.map((e) => ({
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
  if (opts.json) {
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (!rows.length) {
    const where = opts.site ? ` of site ${opts.site}` : "";
    io.stdout(opts.sent ? `nothing was sent from the outbox${where}\n` : `the outbox${where} is empty\n`);
    return 0;
  }
  const idWidth = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows) {
    const flags = [r.partial ? "partial" : "", r.dropped ? `${r.dropped} dropped` : "", r.pull_request ?? ""]
      .filter(Boolean)
      .join(", ");
    io.stdout(
      `${r.state.padEnd(9)} ${r.created_at}  ${r.site}  ${flags ? `${r.id.padEnd(idWidth)}  (${flags})` : r.id}\n`,
    );
  }
  io.stdout(
    `${rows.length} entr${rows.length === 1 ? "y" : "ies"}; see one with \`fedeval outbox show ID\`\n`,
  );
  return 0;
}
