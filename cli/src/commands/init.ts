import { initGovernance } from "../app/init.ts";
import type { CommandIO } from "./io.ts";

export interface InitOptions {
  dir: string;
  benchmark: string;
  site: string;
}

/** Scaffolds a governance repository (app/init.ts) and says what to do next. */
export async function initCommand(opts: InitOptions, io: CommandIO): Promise<number> {
  const { written } = await initGovernance(opts);
  io.stdout(written.map((f) => `created ${f}\n`).join(""));
  io.stderr(
    `\nNext: put your GitHub login in sites/${opts.site}.yaml and benchmarks/${opts.benchmark}/benchmark.yaml; build the images in images/ and pin their ids in benchmark.yaml (its comment says how); then\n  fedeval test --benchmark ${opts.benchmark}     # every container on the demo data\n  git init && git add -A && git commit -m "Governance repository" && fedeval validate .\n`,
  );
  return 0;
}
