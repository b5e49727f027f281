import { resolve } from "node:path";
import { checkDrift, fmt } from "../app/drift.ts";
import type { CommandIO } from "./io.ts";

export interface DriftOptions {
  root: string;
  benchmark: string;
  json: boolean;
  allowUnsigned: boolean;
  cwd: string;
}

/**
 * Checks a benchmark's results for drift against its declared `drift: {metric, max_drop}`.
 * Exit 1 when a run dropped by more than max_drop from the best earlier run of the same model
 * on the same site, 0 otherwise.
 */
export async function driftCommand(opts: DriftOptions, io: CommandIO): Promise<number> {
  const { benchmark, commit, drift } = await checkDrift({
    root: resolve(opts.cwd, opts.root),
    benchmark: opts.benchmark,
    allowUnsigned: opts.allowUnsigned,
    logger: io.logger,
  });
  if (opts.json) {
    io.stdout(`${JSON.stringify({ benchmark, commit, ...drift }, null, 2)}\n`);
  } else {
    for (const a of drift.alerts) {
      io.stdout(
        `ALERT ${a.model} at ${a.site}: ${drift.metric} ${fmt(a.run.value)} (${a.run.dataset} v${a.run.version}, ${a.run.finished_at}) is ${fmt(a.drop)} below its best earlier run ${fmt(a.baseline.value)} (${a.baseline.dataset} v${a.baseline.version}, ${a.baseline.finished_at}); allowed drop ${fmt(drift.max_drop)}\n`,
      );
    }
    const series = `${drift.series.length} series with more than one run`;
    io.stderr(
      drift.alerts.length
        ? `${benchmark}: ${drift.alerts.length} drift alert${drift.alerts.length === 1 ? "" : "s"} on ${drift.metric} (${series})\n`
        : `${benchmark}: no drift on ${drift.metric} beyond ${fmt(drift.max_drop)} (${series})\n`,
    );
  }
  return drift.alerts.length ? 1 : 0;
}
