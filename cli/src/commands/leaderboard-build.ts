import { resolve } from "node:path";
import { buildLeaderboardSite } from "../app/leaderboard-build.ts";
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
  const built = await buildLeaderboardSite({
    root: resolve(opts.cwd, opts.root),
    out: resolve(opts.cwd, opts.out),
    allowUnsigned: opts.allowUnsigned,
    commit: opts.commit,
    logger: io.logger,
  });
  for (const b of built.benchmarks) {
    const left = b.excluded.map((e) => `${e.count} ${e.reason}`);
    const unverified = b.unverified ? `, ${b.unverified} unverified` : "";
    io.stderr(
      `${b.id}: ${b.models} models, ${b.sites} sites, ${b.included} results${unverified}${left.length ? `; left out: ${left.join(", ")}` : ""}\n`,
    );
    if (b.driftAlerts)
      io.stderr(
        `${b.id}: ${b.driftAlerts} drift alert${b.driftAlerts === 1 ? "" : "s"} (see \`fedeval drift --benchmark ${b.id}\`)\n`,
      );
  }
  const commit = built.commit
    ? `commit ${built.commit.slice(0, 12)}${built.dirty ? " with uncommitted changes" : ""}`
    : "a working tree outside git";
  io.stderr(
    `wrote ${built.files} files to ${built.out} (built from ${commit}${opts.allowUnsigned ? "; preview with unsigned results" : ""})\n`,
  );
  return 0;
}
