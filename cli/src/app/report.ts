/**
 * The evidence report of one model on one benchmark: a self-contained HTML file with what the
 * leaderboard shows of it, naming the exact governance commit it was built from.
 */
import { writeFileAtomic } from "../base/atomic-write.ts";
import { UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { collectLeaderboard, renderReport } from "../leaderboard/build.ts";
import { loadTemplates } from "../leaderboard/render.ts";

export interface EvidenceReportRequest {
  /** Absolute governance root. */
  root: string;
  benchmark: string;
  model: string;
  /** Absolute path of the HTML file to write. */
  out: string;
  /** Also count results whose signature does not verify. */
  allowUnsigned: boolean;
  /** The commit to record instead of git's HEAD. */
  commit?: string;
  logger: Logger;
}

export interface EvidenceReport {
  out: string;
  /** The governance commit the report was built from. */
  commit: string;
  /** True when governance files differed from `commit`. */
  dirty: boolean;
}

export async function writeEvidenceReport(request: EvidenceReportRequest): Promise<EvidenceReport> {
  const { leaderboard } = await collectLeaderboard(request);
  const { commit, dirty } = leaderboard.build;
  if (commit === null) {
    throw new UserError(
      "an evidence report names the exact commit it was built from: run it inside the governance repository's git work tree, or pass --commit SHA",
    );
  }
  await writeFileAtomic(
    request.out,
    renderReport(leaderboard, request.benchmark, request.model, await loadTemplates()),
  );
  return { out: request.out, commit, dirty };
}
