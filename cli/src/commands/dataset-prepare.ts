/**
 * `fedeval dataset prepare --benchmark B --site S --data DIR --labels DIR --name ID`: prepares a
 * site's raw data with the benchmark's preparation container, shows its statistics (saying which
 * are published and which stay on this machine), and writes the dataset association the site
 * would propose (app/dataset-prepare.ts; the algorithm and the workspace layout: site/prepare.ts).
 */
import { type DatasetPrepareRequest, prepareSiteDataset } from "../app/dataset-prepare.ts";
import { formatBytes } from "../base/bytes.ts";
import type { CommandIO } from "./io.ts";

/** The request, less the logger: the command passes its own. */
export interface DatasetPrepareOptions extends Omit<DatasetPrepareRequest, "logger"> {}

/** Exit 0: prepared. Exit 1: a step failed (nothing kept but the log). */
export async function datasetPrepareCommand(opts: DatasetPrepareOptions, io: CommandIO): Promise<number> {
  const outcome = await prepareSiteDataset({ ...opts, logger: io.logger });
  if (!outcome.ok && opts.signal?.aborted) {
    io.stderr(`fedeval: preparation interrupted; nothing was kept (log: ${outcome.logFile})\n`);
    return 130;
  }
  if (!outcome.ok) {
    const tail = outcome.logTail.length
      ? `last lines of its output:\n${outcome.logTail.map((l) => `  | ${l}`).join("\n")}\n`
      : "";
    io.stderr(
      `fedeval: preparation failed at ${outcome.step}: ${outcome.message}\n${tail}full log: ${outcome.logFile}\nnothing was kept; fix the problem and run the same command again\n`,
    );
    return 1;
  }

  const { association, split, hash } = outcome;
  const lines = [
    `prepared dataset ${association.id} for benchmark ${opts.benchmark} (site ${opts.site})`,
    `  prepared data  ${outcome.paths.prepared} (${hash.files} files, ${formatBytes(hash.bytes)}; never leaves this machine)`,
    `  hash           ${hash.hash}`,
    `  medperf_uid    ${hash.medperfUid}`,
    "",
    "statistics (published: goes into the association; local: stays on this machine)",
  ];
  const show = (v: unknown) =>
    typeof v === "object" && v !== null
      ? Object.entries(v)
          .map(([k, n]) => `${k}=${typeof n === "object" ? JSON.stringify(n) : n}`)
          .join(", ")
      : JSON.stringify(v);
  const refused = new Map(split.refused.map((r) => [r.key, r.why]));
  for (const [key, value] of Object.entries(outcome.statistics)) {
    const published = association.statistics[key];
    if (published !== undefined) lines.push(`  published  ${key}: ${show(published)}`);
    else
      lines.push(
        `  local      ${key}: ${show(value)}${refused.has(key) ? ` (not published: ${refused.get(key)})` : ""}`,
      );
  }
  for (const cell of split.suppressed) {
    lines.push(`  local      ${cell} (suppressed: under the benchmark's minimum cell count)`);
  }
  lines.push("", `reference model on this dataset (goes into the association as reference_result)`);
  for (const [metric, value] of Object.entries(association.reference_result ?? {})) {
    lines.push(`  ${metric}: ${value === null ? "null (could not be computed)" : value}`);
  }
  if (outcome.dropped.length) {
    lines.push(
      `  dropped from the evaluator's output: ${outcome.dropped.map((d) => `${d.path || "(whole file)"} (${d.why})`).join("; ")}`,
    );
  }
  lines.push(
    "",
    `association (status: proposed): ${outcome.paths.association}`,
    `all statistics: ${outcome.paths.statistics}`,
    `log: ${outcome.logFile}`,
  );
  io.stdout(`${lines.join("\n")}\n`);
  return 0;
}
