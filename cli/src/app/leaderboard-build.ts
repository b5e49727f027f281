/**
 * Building the static leaderboard from the governance files, as `fedeval leaderboard build` and
 * the action's `command: publish` do; and whether CODEOWNERS still follows the ownership they declare.
 */
import type { Logger } from "../base/logger.ts";
import { CODEOWNERS_PATH, codeownersState } from "../governance/codeowners.ts";
import { buildLeaderboard } from "../leaderboard/build.ts";
import { EXCLUSION_REASONS, type ExclusionReason } from "../leaderboard/types.ts";

export interface LeaderboardBuildRequest {
  /** Absolute governance root. */
  root: string;
  /** Absolute output folder, replaced by the built pages. */
  out: string;
  /** Also show results whose signature does not verify (a preview, never the published pages). */
  allowUnsigned: boolean;
  /** The commit to record instead of git's HEAD. */
  commit?: string;
  logger: Logger;
}

/** What one benchmark's pages show. */
export interface BenchmarkBuilt {
  id: string;
  models: number;
  sites: number;
  /** Results on the leaderboard, and of those the ones whose signature did not verify. */
  included: number;
  unverified: number;
  /** Results left out, by reason (only reasons with some), in the order of EXCLUSION_REASONS. */
  excluded: { reason: ExclusionReason; count: number }[];
  driftAlerts: number;
}

export interface LeaderboardBuildReport {
  out: string;
  /** Files written. */
  files: number;
  /** The governance commit the pages were built from; null outside git without `commit`. */
  commit: string | null;
  /** True when governance files differed from `commit`. */
  dirty: boolean;
  benchmarks: BenchmarkBuilt[];
  /** CODEOWNERS (its path in the repository) and whether it matches the governance files. */
  codeowners: { file: string; current: boolean };
}

export async function buildLeaderboardSite(
  request: LeaderboardBuildRequest,
): Promise<LeaderboardBuildReport> {
  const built = await buildLeaderboard(request);
  const { build, benchmarks } = built.leaderboard;
  return {
    out: request.out,
    files: built.files,
    commit: build.commit,
    dirty: build.dirty,
    benchmarks: benchmarks.map((b) => ({
      id: b.id,
      models: b.models.length,
      sites: b.sites.length,
      included: b.results.included,
      unverified: b.results.unverified,
      excluded: EXCLUSION_REASONS.filter((reason) => b.results.excluded[reason] > 0).map((reason) => ({
        reason,
        count: b.results.excluded[reason],
      })),
      driftAlerts: b.drift.alerts.length,
    })),
    // a merged dataset or model changes who owns which results: review rules must follow
    codeowners: { file: CODEOWNERS_PATH, current: (await codeownersState(built.index)).current },
  };
}
