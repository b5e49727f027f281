/**
 * The compatibility test of a change: each model it adds or changes runs on its benchmark's demo
 * dataset (site/compatibility.ts). Demo data are public, so the metrics and the last lines a
 * failed task printed may be shown.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../base/logger.ts";
import { workspace } from "../base/workspace.ts";
import { paths } from "../governance/layout.ts";
import { type CompatibilityReport, compatibilityTest } from "../site/compatibility.ts";
import { createRunner, type RunnerKind } from "../site/runners.ts";
import type { ChangedEntity, ValidateReport } from "./validate.ts";

export type { RunnerKind } from "../site/runners.ts";

export interface CompatibilityTestRequest {
  /** The validation of the change (validateGovernance with `changedSince`). */
  validation: ValidateReport;
  /** False: the test is turned off, and the report says so when the change has models. */
  enabled: boolean;
  runner: RunnerKind;
  /** FEDEVAL_HOME, HOME, RUNNER_TEMP (where the demo data go). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
  /** Runs one benchmark's test as a foldable group of the log (default: just runs it). */
  group?: <T>(title: string, run: () => Promise<T>) => Promise<T>;
}

/** What the compatibility test found for one benchmark. */
export type BenchmarkCompatibility =
  | { benchmark: string; models: string[]; demo: false }
  | { benchmark: string; models: string[]; demo: true; report: CompatibilityReport };

/** A failure of the test, on the governance file it is about. */
export interface CompatibilityFailure {
  /** Relative to the governance root. */
  file: string;
  message: string;
}

export interface CompatibilityTestReport {
  /** Why the changed models were not tested: the test is turned off, or the governance files are invalid. */
  skipped?: "turned-off" | "invalid";
  benchmarks: BenchmarkCompatibility[];
  /** Whether every tested model passed, when a benchmark had a demo dataset to test on. */
  outcome?: "passed" | "failed";
  failures: CompatibilityFailure[];
}

/** Models added or changed by the change set, by benchmark. */
function changedModels(changed: ChangedEntity[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const entity of changed) {
    if (entity.status === "deleted" || entity.kind !== "model") continue;
    out.set(entity.benchmark, [...(out.get(entity.benchmark) ?? []), entity.model]);
  }
  return out;
}

/** Runs the test of every model the change adds or changes, when it is on and the files are valid. */
export async function testCompatibility(request: CompatibilityTestRequest): Promise<CompatibilityTestReport> {
  const { validation } = request;
  const models = changedModels(validation.changed ?? []);
  const report: CompatibilityTestReport = { benchmarks: [], failures: [] };
  if (!models.size) return report;
  if (!request.enabled) return { ...report, skipped: "turned-off" };
  if (!validation.valid) return { ...report, skipped: "invalid" };
  const group = request.group ?? ((_title, run) => run());
  const runner = await createRunner(request.runner, {
    home: workspace(request.env, request.cwd).home,
    cwd: request.cwd,
    env: request.env,
  });
  const temp = request.env.RUNNER_TEMP || tmpdir();
  for (const [benchmark, ids] of models) {
    if (!validation.index.benchmarks.get(benchmark)?.benchmark?.data?.demo_dataset) {
      report.benchmarks.push({ benchmark, models: ids, demo: false });
      continue;
    }
    const tested = await group(
      `compatibility test: ${ids.join(", ")} on the demo dataset of ${benchmark}`,
      async () => {
        const result = await compatibilityTest({
          index: validation.index,
          benchmark,
          models: ids,
          runner,
          workDir: await mkdtemp(join(temp, "fedeval-compatibility-")),
          logger: request.logger,
          env: request.env,
        });
        logTails(result, request.logger);
        return result;
      },
    );
    report.benchmarks.push({ benchmark, models: ids, demo: true, report: tested });
    report.failures.push(...failures(benchmark, tested));
  }
  if (report.benchmarks.some((b) => b.demo)) report.outcome = report.failures.length ? "failed" : "passed";
  return report;
}

function failures(benchmark: string, report: CompatibilityReport): CompatibilityFailure[] {
  if (!report.ok) {
    return [
      {
        file: paths.benchmark(benchmark),
        message: `compatibility test: the demo dataset could not be prepared: task ${report.step}: ${report.message}`,
      },
    ];
  }
  return report.models
    .filter((m) => m.status !== "ok")
    .map((m) => ({
      file: paths.model(benchmark, m.model),
      message: `compatibility test on the demo dataset failed: ${m.message}`,
    }));
}

/** The last lines a failed task printed, to the log (demo data: public). */
function logTails(report: CompatibilityReport, logger: Logger): void {
  const tails = report.ok
    ? report.models.filter((m) => m.logTail.length).map((m) => ({ who: `model ${m.model}`, tail: m.logTail }))
    : report.logTail.length
      ? [{ who: `preparation task ${report.step}`, tail: report.logTail }]
      : [];
  for (const { who, tail } of tails) {
    logger.info(`last lines of ${who}:`);
    for (const line of tail) logger.info(`  ${line}`);
  }
}
