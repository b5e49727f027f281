/**
 * `fedeval outbox reject ID [--site S] [--reason TEXT]`: the data owner discards a result. The
 * entry is kept in `outbox/rejected/` (nothing is deleted) and never submitted.
 */
import { type OutboxRejectRequest, rejectOutboxEntry } from "../app/outbox.ts";
import type { CommandIO } from "./io.ts";

/** The rejection's request, less the logger (the command's). */
export interface OutboxRejectOptions extends Omit<OutboxRejectRequest, "logger"> {}

export async function outboxRejectCommand(opts: OutboxRejectOptions, io: CommandIO): Promise<number> {
  const rejected = await rejectOutboxEntry({ ...opts, logger: io.logger });
  io.stdout(`rejected ${rejected.id} (kept in ${rejected.keptIn}/)\n`);
  return 0;
}
