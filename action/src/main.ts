/**
 * The action's entry: maps inputs to the functions the CLI uses, and is the one place where
 * errors become a failed step, as base/error-output.ts maps them (as cli/src/main.ts is for the CLI).
 */
import { resolve } from "node:path";
import * as core from "@actions/core";
import { errorOutput } from "../../cli/src/base/error-output.ts";
import { UserError } from "../../cli/src/base/errors.ts";
import type { Logger } from "../../cli/src/base/logger.ts";
import { publishMode } from "./publish-mode.ts";
import { readPullRequest } from "./pull-request.ts";
import { runMode } from "./run-mode.ts";
import { submitMode } from "./submit-mode.ts";
import { validateMode } from "./validate-mode.ts";

export const COMMANDS = ["validate", "run", "submit", "publish"] as const;

/** An input's value, or undefined when empty (the runner passes every declared input, empty or not). */
function input(name: string): string | undefined {
  return core.getInput(name) || undefined;
}

function booleanInput(name: string, fallback: boolean): boolean {
  const value = input(name);
  if (value === undefined) return fallback;
  if (value === "true" || value === "false") return value === "true";
  throw new UserError(`input ${name} must be true or false (got "${value}")`);
}

function choiceInput<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const value = input(name) ?? fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UserError(`input ${name} must be one of ${choices.join(", ")} (got "${value}")`);
}

/** Library progress goes to the job log; warnings become warning annotations. */
const logger: Logger = { info: (m) => core.info(m), warn: (m) => core.warning(m) };

async function dispatch(): Promise<void> {
  const command = core.getInput("command");
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const root = resolve(workspace, input("root") ?? ".");
  switch (command) {
    case "validate":
      return validateMode({
        root,
        workspace,
        changedSince: input("changed-since"),
        author: input("author"),
        ownership: booleanInput("ownership", true),
        teamsToken: input("teams-token"),
        pullRequest: await readPullRequest(process.env.GITHUB_EVENT_NAME, process.env.GITHUB_EVENT_PATH),
        compatibility: booleanInput("compatibility", true),
        runner: choiceInput("runner", ["docker", "process"], "docker"),
        env: process.env,
        logger,
      });
    case "publish":
      return publishMode({ root, out: resolve(workspace, input("out") ?? "_site"), logger });
    case "run":
      return runMode({
        site: input("site"),
        root,
        runner: choiceInput("runner", ["docker", "process"], "docker"),
        benchmark: input("benchmark"),
        model: input("model"),
        approveByPolicy: booleanInput("approve-by-policy", false),
        dryRun: booleanInput("dry-run", false),
        ref: process.env.GITHUB_REF,
        env: process.env,
        cwd: workspace,
        logger,
      });
    case "submit":
      return submitMode({
        site: input("site"),
        root,
        remote: input("remote"),
        forge: choiceInput("forge", ["github", "git"], "github"),
        token: input("token"),
        dryRun: booleanInput("dry-run", false),
        env: process.env,
        cwd: workspace,
        logger,
      });
    default:
      throw new UserError(`input command must be one of ${COMMANDS.join(", ")} (got "${command}")`);
  }
}

export async function main(): Promise<void> {
  try {
    await dispatch();
  } catch (e) {
    const { message, hint } = errorOutput(e);
    core.setFailed(`${message}${hint ? `\nwhat to do: ${hint}` : ""}`);
  }
}
