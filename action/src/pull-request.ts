/** The pull request a workflow run is about, read from the event payload the runner writes. */
import { readFile } from "node:fs/promises";
import { UserError } from "../../cli/src/base/errors.ts";

export interface PullRequest {
  number: number;
  /** GitHub login of whoever opened the pull request. */
  author: string;
  /** The base branch's commit the pull request is compared with. */
  baseSha: string;
  headSha: string;
}

interface PullRequestPayload {
  pull_request?: {
    number?: unknown;
    user?: { login?: unknown };
    base?: { sha?: unknown };
    head?: { sha?: unknown };
  };
}

/**
 * The pull request of a `pull_request` event, or undefined for other events (push, schedule,
 * workflow_dispatch). `pull_request_target` is refused: it runs with the base repository's
 * secrets and checks out the base, so it would validate the wrong files with too much power.
 */
export async function readPullRequest(
  eventName: string | undefined,
  eventPath: string | undefined,
): Promise<PullRequest | undefined> {
  if (eventName === "pull_request_target") {
    throw new UserError(
      "fedeval validates pull requests on the pull_request event, never pull_request_target (which runs untrusted changes with the repository's secrets); change the workflow's trigger",
    );
  }
  if (eventName !== "pull_request") return undefined;
  if (!eventPath)
    throw new UserError("GITHUB_EVENT_PATH is not set: the pull_request event payload is missing");
  let payload: PullRequestPayload;
  try {
    payload = JSON.parse(await readFile(eventPath, "utf8")) as PullRequestPayload;
  } catch (e) {
    throw new UserError(`cannot read the event payload ${eventPath}: ${(e as Error).message}`);
  }
  const pr = payload.pull_request;
  const number = pr?.number;
  const author = pr?.user?.login;
  const baseSha = pr?.base?.sha;
  const headSha = pr?.head?.sha;
  if (
    typeof number !== "number" ||
    typeof author !== "string" ||
    typeof baseSha !== "string" ||
    typeof headSha !== "string"
  ) {
    throw new UserError(
      `the event payload ${eventPath} is not a pull_request payload (it needs pull_request.number, .user.login, .base.sha and .head.sha)`,
    );
  }
  return { number, author, baseSha, headSha };
}
