/**
 * A benchmark's version must go up when a change alters what its results mean: the preparation
 * or evaluator image, or the metrics (which ones, and each one's direction, range, unit, pooling
 * and histogram bins). Results of different versions are compared only when the committee says
 * so (`comparable_with`), so an unbumped change would silently mix incomparable results.
 * Checked on a change (`validate --changed-since`), against the file at the base revision.
 */

import type { Diagnostic } from "../base/diagnostics.ts";
import type { FileChange, GitHistory } from "../base/git-history.ts";
import { getOrThrow } from "../base/maps.ts";
import { ruleName } from "../formats/rules.ts";
import { diagnosticAtPath, parseYaml } from "../formats/yaml-source.ts";
import { classifyPath } from "../governance/layout.ts";
import type { GovernanceIndex } from "../governance/loader.ts";
import type { Benchmark, MetricSpec } from "../governance/types.ts";

/** What in a metric's definition changes what its values mean (titles and descriptions do not). */
function meaning(m: MetricSpec): string {
  return JSON.stringify([
    m.direction,
    m.range ?? null,
    m.unit ?? null,
    m.pooling,
    m.estimator ?? "REML",
    m.histogram_bins ?? null,
  ]);
}

/** What changed in the results' meaning between two versions of a benchmark file. */
function meaningChanges(before: Benchmark, after: Benchmark): string[] {
  const changes: string[] = [];
  for (const role of ["preparation", "evaluator"] as const) {
    if (before.containers?.[role]?.image !== after.containers[role].image)
      changes.push(`the ${role} image changed`);
  }
  const old = new Map((before.metrics ?? []).map((m) => [m.id, m]));
  const now = new Map(after.metrics.map((m) => [m.id, m]));
  const added = [...now.keys()].filter((id) => !old.has(id));
  const removed = [...old.keys()].filter((id) => !now.has(id));
  const redefined = [...now.keys()].filter((id) => {
    const o = old.get(id);
    return o !== undefined && meaning(o) !== meaning(getOrThrow(now, id, "metric"));
  });
  if (added.length) changes.push(`metric${added.length > 1 ? "s" : ""} ${added.join(", ")} added`);
  if (removed.length) changes.push(`metric${removed.length > 1 ? "s" : ""} ${removed.join(", ")} removed`);
  if (redefined.length) changes.push(`the definition of ${redefined.join(", ")} changed`);
  return changes;
}

export async function checkVersionBumps(
  index: GovernanceIndex,
  changes: FileChange[],
  rev: string,
  git: GitHistory,
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const change of changes) {
    const where = classifyPath(change.file);
    if (change.status !== "modified" || where.kind !== "benchmark") continue;
    const entry = index.benchmarks.get(where.benchmark)?.benchmark;
    const text = await git.readAt(rev, change.file);
    const before = text === undefined ? undefined : (parseYaml(text, change.file).source?.data as Benchmark);
    if (!entry || typeof before?.version !== "number") continue;
    const after = entry.data;
    const problem = (message: string) =>
      out.push(diagnosticAtPath(entry.source, ["version"], "FE228", ruleName("FE228"), message));
    if (after.version < before.version) {
      problem(`version went down from ${before.version} to ${after.version}`);
      continue;
    }
    const changed = after.version === before.version ? meaningChanges(before, after) : [];
    if (changed.length) {
      problem(
        `${changed.join("; ")}, but version stays ${after.version}: bump it (and list ${after.version} in comparable_with if earlier results stay comparable)`,
      );
    }
  }
  return out;
}
