import { resolve } from "node:path";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { UserError } from "../base/errors.ts";
import { collectLeaderboard, renderReport } from "../leaderboard/build.ts";
import { loadTemplates } from "../leaderboard/render.ts";
import type { CommandIO } from "./io.ts";

export interface ReportOptions {
  root: string;
  benchmark: string;
  model: string;
  out: string;
  allowUnsigned: boolean;
  commit?: string;
  cwd: string;
}

/** Writes one self-contained HTML evidence file for a model on a benchmark. */
export async function reportCommand(opts: ReportOptions, io: CommandIO): Promise<number> {
  const { leaderboard } = await collectLeaderboard({
    root: resolve(opts.cwd, opts.root),
    benchmark: opts.benchmark,
    allowUnsigned: opts.allowUnsigned,
    commit: opts.commit,
    logger: io.logger,
  });
  if (leaderboard.build.commit === null) {
    throw new UserError(
      "an evidence report names the exact commit it was built from: run it inside the governance repository's git work tree, or pass --commit SHA",
    );
  }
  const html = renderReport(leaderboard, opts.benchmark, opts.model, await loadTemplates());
  const out = resolve(opts.cwd, opts.out);
  await writeFileAtomic(out, html);
  io.stderr(
    `wrote ${out} (${opts.model} on ${opts.benchmark}, commit ${leaderboard.build.commit}${leaderboard.build.dirty ? " with uncommitted changes" : ""})\n`,
  );
  return 0;
}
