/**
 * `command: publish`: builds the leaderboard from the checked-out main into a folder for
 * actions/upload-pages-artifact (the same build as `fedeval leaderboard build`).
 */
import * as core from "@actions/core";
import { buildLeaderboardSite } from "../../cli/src/app/leaderboard-build.ts";
import type { Logger } from "../../cli/src/base/logger.ts";
import { plural } from "./summary.ts";

export interface PublishModeOptions {
  /** Absolute governance root. */
  root: string;
  /** Absolute output folder. */
  out: string;
  logger: Logger;
}

export async function publishMode({ root, out, logger }: PublishModeOptions): Promise<void> {
  const built = await buildLeaderboardSite({ root, out, allowUnsigned: false, logger });
  const line = `leaderboard of ${plural(built.benchmarks.length, "benchmark")} built from commit ${built.commit ?? "(none)"}: ${plural(built.files, "file")} in ${out}`;
  core.info(line);
  core.setOutput("site-path", out);
  const { file, current } = built.codeowners;
  const warning = `${file} is out of date with the governance files: the committee should run \`fedeval codeowners\` and commit it, so reviews follow ownership`;
  if (!current) core.warning(warning, { file });
  await core.summary
    .addRaw(`## fedeval publish\n\n${line}.\n${current ? "" : `\n> [!WARNING]\n> ${warning}.\n`}`)
    .write();
}
