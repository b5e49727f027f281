/**
 * `command: validate`: the validator the CLI runs, with the pull request's base as
 * `--changed-since` and its author for the ownership check; one annotation per problem, a job
 * summary, outputs, and a failed step when the repository is invalid. Then, when the change adds
 * or changes models and the repository is valid, the compatibility test of those models on their
 * benchmark's demo dataset (compatibility.ts).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { relative, sep } from "node:path";
import { promisify } from "node:util";
import * as core from "@actions/core";
import type {
  BenchmarkCompatibility,
  CompatibilityTestReport,
  RunnerKind,
} from "../../cli/src/app/compatibility.ts";
import { validateGovernance } from "../../cli/src/app/validate.ts";
import { renderAnnotations } from "../../cli/src/base/diagnostics-render.ts";
import { UsageError, UserError } from "../../cli/src/base/errors.ts";
import type { Logger } from "../../cli/src/base/logger.ts";
import { runCompatibility } from "./compatibility.ts";
import type { PullRequest } from "./pull-request.ts";
import { compatibilitySummary, plural, validationSummary } from "./summary.ts";

export interface ValidateModeOptions {
  /** Absolute governance root. */
  root: string;
  /** Where the repository is checked out (GITHUB_WORKSPACE). */
  workspace: string;
  /** Explicit inputs; on a pull request they default to its base and its author. */
  changedSince?: string;
  author?: string;
  /** Check the author's ownership of the changed paths (default true). */
  ownership: boolean;
  /** A token that may read team membership: `org/team` principals then count their members. */
  teamsToken?: string;
  pullRequest?: PullRequest;
  /** Run the compatibility test of added or changed models on their benchmark's demo dataset. */
  compatibility: boolean;
  /** Runs the compatibility test's containers. */
  runner: RunnerKind;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** git's answer in `dir`, or undefined when git fails (no such commit, not a work tree, no git). */
async function gitAnswer(dir: string, args: string[]): Promise<string | undefined> {
  return promisify(execFile)("git", ["-C", dir, ...args]).then(
    (r) => r.stdout.trim(),
    () => undefined,
  );
}

/**
 * The governance root's path inside its repository ("" or "gov/"), so annotations name files
 * as GitHub does. Outside a git work tree (a checkout without git), relative to the workspace.
 */
async function repositoryPrefix(root: string, workspace: string): Promise<string> {
  const rel =
    (await gitAnswer(root, ["rev-parse", "--show-prefix"])) ?? relative(workspace, root).split(sep).join("/");
  return rel === "" || rel.endsWith("/") ? rel : `${rel}/`;
}

export async function validateMode(options: ValidateModeOptions): Promise<void> {
  const pr = options.pullRequest;
  const changedSince = options.changedSince ?? pr?.baseSha;
  const author = options.ownership ? (options.author ?? (changedSince ? pr?.author : undefined)) : undefined;
  if (author && !changedSince) {
    throw new UsageError(
      "author needs changed-since (ownership is checked on a change): set changed-since, or run on a pull_request event",
    );
  }
  // (a missing root is left to the validator, which says so)
  if (
    pr &&
    changedSince === pr.baseSha &&
    existsSync(options.root) &&
    (await gitAnswer(options.root, ["cat-file", "-t", pr.baseSha])) !== "commit"
  ) {
    throw new UserError(
      `the pull request's base commit ${pr.baseSha} is not in the checkout: use actions/checkout with fetch-depth: 0`,
    );
  }
  const report = await validateGovernance({
    root: options.root,
    changedSince,
    author,
    teamsToken: options.teamsToken,
    env: options.env,
    logger: options.logger,
  });
  const prefix = await repositoryPrefix(options.root, options.workspace);

  process.stdout.write(renderAnnotations(report.diagnostics, prefix));
  const scope = report.changes
    ? `${report.changes.length} changed of ${report.files} files`
    : `${report.files} files`;
  core.info(
    `fedeval validate: ${plural(report.errors, "error")}, ${plural(report.warnings, "warning")} in ${scope}${author ? `; ownership checked for ${author}` : ""}`,
  );
  core.setOutput("valid", String(report.valid));
  core.setOutput("errors", String(report.errors));
  core.setOutput("warnings", String(report.warnings));

  const compatibility = await runCompatibility({
    validation: report,
    enabled: options.compatibility,
    runner: options.runner,
    prefix,
    env: options.env,
    cwd: options.workspace,
    logger: options.logger,
  });
  if (compatibility.outcome) {
    core.setOutput("compatibility", compatibility.outcome);
    core.setOutput("compatibility-results", JSON.stringify(compatibilityResults(compatibility.benchmarks)));
  }
  await core.summary
    .addRaw(validationSummary(report, { prefix, pullRequest: pr, author }))
    .addRaw(
      compatibility.skipped
        ? COMPATIBILITY_NOTES[compatibility.skipped]
        : compatibilitySummary(compatibility.benchmarks, report.index),
    )
    .write();
  if (!report.valid) {
    core.setFailed(
      `governance files are invalid: ${plural(report.errors, "error")}; see the annotations and the job summary`,
    );
  } else if (compatibility.outcome === "failed") {
    core.setFailed(
      "the compatibility test on demo data failed; see the annotations, the job log and the job summary",
    );
  }
}

/** The job summary's line when the change's models were not tested, by the reason. */
const COMPATIBILITY_NOTES: Record<NonNullable<CompatibilityTestReport["skipped"]>, string> = {
  "turned-off": "Compatibility test on demo data: turned off (input compatibility: false).\n",
  invalid:
    "Compatibility test on demo data: not run, the governance files are invalid; fix the problems first.\n",
};

/** `{benchmark: {model: {metric: value or null}}}` of the models tested (demo data: public). */
function compatibilityResults(
  tested: BenchmarkCompatibility[],
): Record<string, Record<string, Record<string, number | null>>> {
  const out: Record<string, Record<string, Record<string, number | null>>> = {};
  for (const b of tested) {
    if (!b.demo || !b.report.ok) continue;
    out[b.benchmark] = Object.fromEntries(b.report.models.map((m) => [m.model, m.metrics]));
  }
  return out;
}
