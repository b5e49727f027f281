/**
 * `fedeval outbox ls [--site S] [--sent] [--json]`: the results waiting in a site's outbox (every
 * site of the workspace without --site); with --sent, the ones that left as a pull request. No
 * values here: `fedeval outbox show ID` shows them.
 */
import { listOutbox, type OutboxListRequest } from "../app/outbox.ts";
import type { CommandIO } from "./io.ts";

export interface OutboxListOptions extends OutboxListRequest {
  json?: boolean;
}

export async function outboxListCommand(opts: OutboxListOptions, io: CommandIO): Promise<number> {
  const rows = await listOutbox(opts);
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
