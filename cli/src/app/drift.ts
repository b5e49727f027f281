/**
 * Drift of a benchmark's results against its declared `drift: {metric, max_drop}`: a run that
 * dropped by more than max_drop from the best earlier run of the same model on the same site.
 */
import { UsageError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { collectLeaderboard } from "../leaderboard/build.ts";
import type { DriftBoard } from "../leaderboard/types.ts";

/** Numbers as the leaderboard shows them, for shells that print drift. */
export { fmt } from "../leaderboard/pages/format.ts";

export interface DriftRequest {
  /** Absolute governance root. */
  root: string;
  benchmark: string;
  /** Also count results whose signature does not verify. */
  allowUnsigned: boolean;
  logger: Logger;
}

export interface DriftReport {
  benchmark: string;
  /** The governance commit the results were read at; null outside git. */
  commit: string | null;
  drift: DriftBoard;
}

/** A benchmark that declares no drift threshold is a UsageError. */
export async function checkDrift(request: DriftRequest): Promise<DriftReport> {
  const { leaderboard } = await collectLeaderboard(request);
  const b = leaderboard.benchmarks[0];
  if (!b?.drift_threshold) {
    throw new UsageError(
      `benchmark ${request.benchmark} declares no drift threshold; add \`drift: {metric: <id>, max_drop: <number>}\` to its benchmark.yaml`,
    );
  }
  return { benchmark: b.id, commit: leaderboard.build.commit, drift: b.drift };
}
