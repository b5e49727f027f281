/**
 * `command: publish`: builds the leaderboard from the checked-out main into a folder for
 * actions/upload-pages-artifact (the same build as `fedeval leaderboard build`).
 */
import * as core from "@actions/core";
import type { Logger } from "../../cli/src/base/logger.ts";
import { CODEOWNERS_PATH, codeownersState } from "../../cli/src/governance/codeowners.ts";
import { buildLeaderboard } from "../../cli/src/leaderboard/build.ts";
import { plural } from "./summary.ts";

export interface PublishModeOptions {
  /** Absolute governance root. */
  root: string;
  /** Absolute output folder. */
  out: string;
  logger: Logger;
}

export async function publishMode({ root, out, logger }: PublishModeOptions): Promise<void> {
  const built = await buildLeaderboard({ root, out, allowUnsigned: false, logger });
  const { commit } = built.leaderboard.build;
  const line = `leaderboard of ${plural(built.leaderboard.benchmarks.length, "benchmark")} built from commit ${commit ?? "(none)"}: ${plural(built.files, "file")} in ${out}`;
  core.info(line);
  core.setOutput("site-path", out);
  // a merged dataset or model changes who owns which results: review rules must follow
  const stale = !(await codeownersState(built.index)).current;
  const warning = `${CODEOWNERS_PATH} is out of date with the governance files: the committee should run \`fedeval codeowners\` and commit it, so reviews follow ownership`;
  if (stale) core.warning(warning, { file: CODEOWNERS_PATH });
  await core.summary
    .addRaw(`## fedeval publish\n\n${line}.\n${stale ? `\n> [!WARNING]\n> ${warning}.\n` : ""}`)
    .write();
}
