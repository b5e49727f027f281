/**
 * `fedeval submit [--site S] [--root GOV] [--remote URL] [--forge github|git] [--dry-run]`:
 * approved outbox entries → one branch and one pull request per site and run (app/submit.ts).
 * Exit 0 when every approved entry left (or, in a dry run, would leave); 1 when some were held.
 */

import { describeProposal } from "../app/propose-change.ts";
import { type SubmitRequest, submitResults } from "../app/submit.ts";
import type { CommandIO } from "./io.ts";

/** The request, less the logger (the command passes its own); it never connects when nothing is approved. */
export interface SubmitCommandOptions extends Omit<SubmitRequest, "logger" | "connectWhenNothingApproved"> {}

export async function submitCommand(opts: SubmitCommandOptions, io: CommandIO): Promise<number> {
  const report = await submitResults({ ...opts, logger: io.logger });
  if (report.base === undefined) {
    const { site, pending } = report;
    io.stderr(
      `nothing approved to submit for site ${site}${pending ? ` (${pending} pending: \`fedeval outbox approve\`)` : ""}\n`,
    );
    return 0;
  }
  for (const id of report.finished) io.stdout(`${id}: submitted earlier; moved to sent/\n`);
  for (const id of report.alreadyMerged) io.stdout(`${id}: already in ${report.base}; moved to sent/\n`);
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
}
