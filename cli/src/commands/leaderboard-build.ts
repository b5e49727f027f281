import { resolve } from "node:path";
import { buildLeaderboard } from "../leaderboard/build.ts";
import { EXCLUSION_REASONS } from "../leaderboard/types.ts";
import type { CommandIO } from "./io.ts";

export interface LeaderboardBuildOptions {
  root: string;
  out: string;
  allowUnsigned: boolean;
  commit?: string;
  cwd: string;
}

/** Builds the static leaderboard; exit 0 (problems with the input are errors, exit 1 or 2). */
export async function leaderboardBuildCommand(opts: LeaderboardBuildOptions, io: CommandIO): Promise<number> {
  const out = resolve(opts.cwd, opts.out);
  const summary = await buildLeaderboard({
    root: resolve(opts.cwd, opts.root),
    out,
    allowUnsigned: opts.allowUnsigned,
    commit: opts.commit,
    logger: io.logger,
  });
  const lb = summary.leaderboard;
  for (const b of lb.benchmarks) {
    const left = EXCLUSION_REASONS.filter((r) => b.results.excluded[r] > 0).map(
      (r) => `${b.results.excluded[r]} ${r}`,
    );
    const unverified = b.results.unverified ? `, ${b.results.unverified} unverified` : "";
    io.stderr(
      `${b.id}: ${b.models.length} models, ${b.sites.length} sites, ${b.results.included} results${unverified}${left.length ? `; left out: ${left.join(", ")}` : ""}\n`,
    );
    if (b.drift.alerts.length)
      io.stderr(
        `${b.id}: ${b.drift.alerts.length} drift alert${b.drift.alerts.length === 1 ? "" : "s"} (see \`fedeval drift --benchmark ${b.id}\`)\n`,
      );
  }
  const commit = lb.build.commit
    ? `commit ${lb.build.commit.slice(0, 12)}${lb.build.dirty ? " with uncommitted changes" : ""}`
    : "a working tree outside git";
  io.stderr(
    `wrote ${summary.files} files to ${out} (built from ${commit}${opts.allowUnsigned ? "; preview with unsigned results" : ""})\n`,
  );
  return 0;
}
