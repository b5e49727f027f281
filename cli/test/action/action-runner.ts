/**
 * Runs the action's bundled entry (action/dist/index.js) the way the runner does: every declared
 * input as an INPUT_* variable (with action.yml's default when the workflow does not set it),
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, an event payload at GITHUB_EVENT_PATH, and
 * GITHUB_WORKSPACE the checkout.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";

export const REPO = resolve(import.meta.dirname, "../../..");
export const ENTRY = join(REPO, "action/dist/index.js");
export const ACTION = parse(await readFile(join(REPO, "action/action.yml"), "utf8")) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
};

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

export async function runAction(opts: {
  workspace: string;
  inputs: Record<string, string>;
  event?: { name: string; payload?: object };
  /** More of the runner's environment (GITHUB_REF, FEDEVAL_HOME on a self-hosted runner). */
  env?: Record<string, string>;
}): Promise<Run> {
  const runner = await mkdtemp(join(tmpdir(), "fedeval-runner-"));
  const files = {
    output: join(runner, "output"),
    summary: join(runner, "summary"),
    event: join(runner, "event.json"),
  };
  await writeFile(files.output, "");
  await writeFile(files.summary, "");
  await writeFile(files.event, JSON.stringify(opts.event?.payload ?? {}));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: runner,
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_EVENT_NAME: opts.event?.name ?? "push",
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: runner,
    ...opts.env,
  };
  // the runner passes every declared input, with its default when the workflow does not set it
  for (const [name, spec] of Object.entries(ACTION.inputs)) {
    const value = opts.inputs[name] ?? spec.default ?? "";
    env[`INPUT_${name.toUpperCase()}`] = value.includes("${{") ? "ghs_token-from-the-runner" : value;
  }
  for (const name of Object.keys(opts.inputs)) assert.ok(name in ACTION.inputs, `input ${name} is declared`);
  // asynchronously, so that servers of the test (a local GitHub) can answer the action
  const child = spawn(process.execPath, [ENTRY], {
    cwd: opts.workspace,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((done) => child.on("close", done));
  const outputs: Record<string, string> = {};
  const text = await readFile(files.output, "utf8");
  for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm))
    outputs[m[1] as string] = m[3] as string;
  return {
    code,
    stdout,
    stderr,
    outputs,
    summary: await readFile(files.summary, "utf8"),
  };
}
