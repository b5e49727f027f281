import { resolve } from "node:path";
import { writeEvidenceReport } from "../app/report.ts";
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
  const written = await writeEvidenceReport({
    root: resolve(opts.cwd, opts.root),
    benchmark: opts.benchmark,
    model: opts.model,
    out: resolve(opts.cwd, opts.out),
    allowUnsigned: opts.allowUnsigned,
    commit: opts.commit,
    logger: io.logger,
  });
  io.stderr(
    `wrote ${written.out} (${opts.model} on ${opts.benchmark}, commit ${written.commit}${written.dirty ? " with uncommitted changes" : ""})\n`,
  );
  return 0;
}
