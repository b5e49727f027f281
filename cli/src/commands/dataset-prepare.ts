/**
 * `fedeval dataset prepare --benchmark B --site S --data DIR --labels DIR --name ID`: prepares a
 * site's raw data with the benchmark's preparation container, shows its statistics (saying which
 * are published and which stay on this machine), writes the dataset association the site would
 * propose, then runs the reference test on the prepared data. `fedeval dataset test` runs that
 * test again (app/dataset-prepare.ts; the algorithm and the workspace layout: site/prepare.ts).
 */
import {
  type DatasetPrepareRequest,
  type DatasetTestRequest,
  prepareSiteDataset,
  type ReferenceOutcome,
  testSiteDataset,
} from "../app/dataset-prepare.ts";
import { formatBytes } from "../base/bytes.ts";
import type { CommandIO } from "./io.ts";

/** The request, less the logger: the command passes its own. */
export interface DatasetPrepareOptions extends Omit<DatasetPrepareRequest, "logger"> {}

/**
 * Exit 0: prepared and the reference test passed. Exit 1: a preparation step failed (nothing kept
 * but the log), or the reference test failed (the prepared data are kept). 130: interrupted.
 */
export async function datasetPrepareCommand(opts: DatasetPrepareOptions, io: CommandIO): Promise<number> {
  const { preparation: outcome, reference } = await prepareSiteDataset({ ...opts, logger: io.logger });
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
  lines.push(
    "",
    `association (status: proposed): ${outcome.paths.association}`,
    `all statistics: ${outcome.paths.statistics}`,
    `log: ${outcome.logFile}`,
  );
  io.stdout(`${lines.join("\n")}\n`);
  if (!reference) {
    io.stderr(
      `fedeval: interrupted before the reference test; the prepared data are kept: run \`${testCommand(opts)}\`\n`,
    );
    return 130;
  }
  return reportReference(reference, opts, io);
}

/** The `dataset test` command line for the same dataset. */
function testCommand(opts: { benchmark: string; site: string; name: string }): string {
  return `fedeval dataset test --benchmark ${opts.benchmark} --site ${opts.site} --name ${opts.name} --root ...`;
}

/** Prints the reference test's outcome: its result (0), or why it failed, the data kept (1). */
function reportReference(
  reference: ReferenceOutcome,
  opts: { benchmark: string; site: string; name: string; signal?: AbortSignal },
  io: CommandIO,
): number {
  if (!reference.ok) {
    const tail = reference.logTail.length
      ? `last lines of its output:\n${reference.logTail.map((l) => `  | ${l}`).join("\n")}\n`
      : "";
    const again = `the prepared data are kept; the dataset cannot be registered until its reference test passes: fix the problem and run \`${testCommand(opts)}\``;
    io.stderr(
      opts.signal?.aborted
        ? `fedeval: reference test interrupted (log: ${reference.logFile}); ${again}\n`
        : `fedeval: reference test failed at the ${reference.step}: ${reference.message}\n${tail}full log: ${reference.logFile}\n${again}\n`,
    );
    return opts.signal?.aborted ? 130 : 1;
  }
  const lines = ["reference model on this dataset (goes into the association as reference_result)"];
  for (const [metric, value] of Object.entries(reference.association.reference_result ?? {})) {
    lines.push(`  ${metric}: ${value === null ? "null (could not be computed)" : value}`);
  }
  if (reference.dropped.length) {
    lines.push(
      `  dropped from the evaluator's output: ${reference.dropped.map((d) => `${d.path || "(whole file)"} (${d.why})`).join("; ")}`,
    );
  }
  lines.push(`log: ${reference.logFile}`);
  io.stdout(`${lines.join("\n")}\n`);
  return 0;
}

/** The request, less the logger: the command passes its own. */
export interface DatasetTestOptions extends Omit<DatasetTestRequest, "logger"> {}

/** `fedeval dataset test`: exit 0 when the reference test passed, 1 when it failed, 130 when interrupted. */
export async function datasetTestCommand(opts: DatasetTestOptions, io: CommandIO): Promise<number> {
  return reportReference(await testSiteDataset({ ...opts, logger: io.logger }), opts, io);
}
