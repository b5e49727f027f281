/**
 * The compatibility test in `command: validate`: for each model a pull request adds or changes,
 * the model runs on its benchmark's demo dataset (cli/src/site/compatibility.ts) and the
 * metrics go to the job summary. Demo data are public, so their metrics may be shown. A model
 * that fails gets an error annotation on its file.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@actions/core";
import type { FileChange } from "../../cli/src/base/git-history.ts";
import type { Logger } from "../../cli/src/base/logger.ts";
import { workspace } from "../../cli/src/base/workspace.ts";
import { classifyPath, paths } from "../../cli/src/governance/layout.ts";
import type { GovernanceIndex } from "../../cli/src/governance/loader.ts";
import { type CompatibilityReport, compatibilityTest } from "../../cli/src/site/compatibility.ts";
import { createRunner, type RunnerKind } from "../../cli/src/site/runners.ts";

export interface CompatibilityOptions {
  index: GovernanceIndex;
  /** The models the change adds or changes, by benchmark (changedModels). */
  models: Map<string, string[]>;
  runner: RunnerKind;
  /** The governance root's path in the repository ("" or "gov/"), for annotations. */
  prefix: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
}

/** What the compatibility test found for one benchmark. */
export type BenchmarkCompatibility =
  | { benchmark: string; models: string[]; demo: false }
  | { benchmark: string; models: string[]; demo: true; report: CompatibilityReport };

/** Models added or changed by the change set, by benchmark. */
export function changedModels(changes: FileChange[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const change of changes) {
    if (change.status === "deleted") continue;
    const where = classifyPath(change.file);
    if (where.kind !== "model") continue;
    out.set(where.benchmark, [...(out.get(where.benchmark) ?? []), where.model]);
  }
  return out;
}

/**
 * Runs the test for every changed model; annotates failures. Returns the per-benchmark outcomes
 * and whether everything passed.
 */
export async function runCompatibility(
  opts: CompatibilityOptions,
): Promise<{ benchmarks: BenchmarkCompatibility[]; passed: boolean }> {
  const benchmarks: BenchmarkCompatibility[] = [];
  let passed = true;
  const byBenchmark = opts.models;
  if (!byBenchmark.size) return { benchmarks, passed };
  const runner = await createRunner(opts.runner, {
    home: workspace(opts.env, opts.cwd).home,
    cwd: opts.cwd,
    env: opts.env,
  });
  const temp = opts.env.RUNNER_TEMP || tmpdir();
  for (const [benchmark, models] of byBenchmark) {
    if (!opts.index.benchmarks.get(benchmark)?.benchmark?.data?.demo_dataset) {
      benchmarks.push({ benchmark, models, demo: false });
      continue;
    }
    core.startGroup(`compatibility test: ${models.join(", ")} on the demo dataset of ${benchmark}`);
    let report: CompatibilityReport;
    try {
      report = await compatibilityTest({
        index: opts.index,
        benchmark,
        models,
        runner,
        workDir: await mkdtemp(join(temp, "fedeval-compatibility-")),
        logger: opts.logger,
      });
      logTails(report);
    } finally {
      core.endGroup();
    }
    benchmarks.push({ benchmark, models, demo: true, report });
    if (!report.ok) {
      passed = false;
      core.error(
        `compatibility test: the demo dataset could not be prepared: task ${report.step}: ${report.message}`,
        { file: opts.prefix + paths.benchmark(benchmark), title: "fedeval compatibility test" },
      );
      continue;
    }
    for (const m of report.models) {
      if (m.status === "ok") continue;
      passed = false;
      core.error(`compatibility test on the demo dataset failed: ${m.message}`, {
        file: opts.prefix + paths.model(benchmark, m.model),
        title: "fedeval compatibility test",
      });
    }
  }
  return { benchmarks, passed };
}

/** The last lines a failed task printed, to the job log (demo data: public). */
function logTails(report: CompatibilityReport): void {
  const tails = report.ok
    ? report.models.filter((m) => m.logTail.length).map((m) => ({ who: `model ${m.model}`, tail: m.logTail }))
    : report.logTail.length
      ? [{ who: `preparation task ${report.step}`, tail: report.logTail }]
      : [];
  for (const { who, tail } of tails) {
    core.info(`last lines of ${who}:`);
    for (const line of tail) core.info(`  ${line}`);
  }
}
