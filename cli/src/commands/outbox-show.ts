/**
 * `fedeval outbox show ID [--site S]`: the result exactly as it would be submitted, or for a sent
 * entry as it was (the YAML text of `benchmarks/<b>/results/<dataset>/<model>.yaml`, without
 * approval and signature until it is approved), then what was dropped from the evaluator's output and why. This is where a site
 * person sees metric values before deciding.
 */
import { type OutboxShowRequest, showOutboxEntry } from "../app/outbox.ts";
import type { CommandIO } from "./io.ts";

export interface OutboxShowOptions extends OutboxShowRequest {}

export async function outboxShowCommand(opts: OutboxShowOptions, io: CommandIO): Promise<number> {
  const { entry, sent, file, text } = await showOutboxEntry(opts);
  const lines = [
    `outbox entry ${entry.id}: ${sent ? "sent" : entry.state}, site ${entry.site}, run ${entry.run_id}, created ${entry.created_at}`,
    sent
      ? `it was submitted as ${file}:`
      : `it would be submitted as ${file}${entry.state === "pending" ? " (approval and signature are added when it is approved)" : ""}:`,
    "---8<---",
  ];
  io.stdout(`${lines.join("\n")}\n${text}---8<---\n`);
  const tail: string[] = [];
  if (entry.dropped.length) {
    tail.push(`dropped from the evaluator's output (${entry.dropped.length}; never submitted):`);
    for (const d of entry.dropped) tail.push(`  ${d.path || "(whole file)"}: ${d.why}`);
  } else tail.push("nothing was dropped from the evaluator's output");
  for (const note of entry.notes ?? []) tail.push(`note (stays here): ${note}`);
  if (entry.submission)
    tail.push(
      `submission: branch ${entry.submission.branch}${entry.submission.pr_url ? `, ${entry.submission.pr_url}` : ""}`,
    );
  io.stdout(`${tail.join("\n")}\n`);
  return 0;
}
