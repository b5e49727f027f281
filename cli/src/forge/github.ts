/**
 * GitHub (github.com or GitHub Enterprise Server) through its REST API: open, find and update the
 * pull request of a pushed branch, label it, comment on it.
 *
 * - Octokit with the retry plugin (5xx and network errors, backing off 1, 4, 9 s) and the
 *   throttling plugin (403/429 rate limits, waiting as long as GitHub says, up to MAX_WAIT_S).
 * - Requests go through undici's EnvHttpProxyAgent, so HTTPS_PROXY / HTTP_PROXY / NO_PROXY are
 *   honoured (Node's own fetch ignores them; hospital networks need them).
 * - The token comes from github-auth.ts (environment, else the gh CLI's hosts.yml).
 * - Idempotent: the pull request of a branch is found by listing open pulls by head, so a re-run
 *   after a crash updates the pull request instead of opening a second one.
 */
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { EnvHttpProxyAgent, fetch as undiciFetch } from "undici";
import { ExternalError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";

// the token and host helpers, without Octokit: commands that only read gh's login import them there
export { GITHUB_API, ghLogin, githubHost, githubToken } from "./github-auth.ts";

/** Longest rate-limit wait fedeval sits through before giving up with a message. */
const MAX_WAIT_S = 600;
/** Rate-limit retries per request. */
const RATE_LIMIT_RETRIES = 3;

export interface PullRequestSpec {
  branch: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
  /** Posted on an existing pull request when new commits were added to it. */
  updateComment?: string;
}

export interface PullRequest {
  number: number;
  url: string;
  /** false when an open pull request for the branch existed and was updated. */
  created: boolean;
}

export interface GitHubForge {
  readonly owner: string;
  readonly repo: string;
  /** The login the token belongs to. */
  login(): Promise<string>;
  openOrUpdatePullRequest(spec: PullRequestSpec, pushedNewCommits: boolean): Promise<PullRequest>;
  /**
   * Whether `login` is an active member of team `org/team`. The token must be able to see the
   * team's members (fine-grained: organization Members read; classic: read:org); a team it cannot
   * see answers 404, which counts as not a member.
   */
  isTeamMember(login: string, team: string): Promise<boolean>;
  /** Closes the HTTP connections. */
  close(): Promise<void>;
}

export interface GitHubOptions {
  /** REST API root: https://api.github.com, or https://HOST/api/v3 on Enterprise Server. */
  apiUrl: string;
  owner: string;
  repo: string;
  token: string;
  /** Pull requests come from branches of this owner's fork (`head: OWNER:branch`); default: `owner`. */
  headOwner?: string;
  /** Proxy settings are read from here (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, lower case too). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /**
   * Tests only: `unitMs` is how long one second of GitHub's retry-after or of the backoff lasts
   * (default 1000); `pace: false` drops the plugin's pacing of writes (GitHub asks for 1 s between
   * writes and 3 s between notifying ones; a local test server does not).
   */
  timing?: { unitMs?: number; pace?: boolean };
}

const RetryingOctokit = Octokit.plugin(retry, throttling);

/** A limiter that runs jobs at once (the throttling plugin's `write`/`notifications` groups, duck-typed). */
const UNPACED = {
  key: () => ({
    schedule: (_options: unknown, job: (...a: unknown[]) => unknown, ...args: unknown[]) => job(...args),
  }),
};

let instances = 0;

interface RequestFailure {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined> };
  request?: { method?: string; url?: string };
}

/** Turns an Octokit failure into a message that says what happened and what to do. */
function explain(e: unknown, what: string, apiUrl: string): ExternalError | unknown {
  const err = e as RequestFailure;
  if (typeof err?.status !== "number") return e;
  const status = err.status;
  const headers = err.response?.headers ?? {};
  const base = `${what}: GitHub (${apiUrl})`;
  if (!err.response) {
    return new ExternalError(
      `${base} could not be reached: ${err.message}`,
      "check the network connection and the proxy settings (HTTPS_PROXY, NO_PROXY)",
      { cause: e },
    );
  }
  if (
    status === 429 ||
    (status === 403 && (headers["x-ratelimit-remaining"] === "0" || /rate limit/i.test(err.message ?? "")))
  ) {
    const reset = Number(headers["x-ratelimit-reset"]);
    const when =
      Number.isFinite(reset) && reset > 0
        ? ` (the limit resets at ${new Date(reset * 1000).toISOString()})`
        : "";
    return new ExternalError(
      `${base} rate limit exceeded${when}: ${err.message}`,
      "wait until the limit resets, then run the command again",
      { cause: e },
    );
  }
  if (status === 401)
    return new ExternalError(
      `${base} refused the token (401): ${err.message}`,
      "the token is invalid or expired; set GITHUB_TOKEN to a valid token or run `gh auth login`",
      { cause: e },
    );
  if (status === 403 || status === 404) {
    return new ExternalError(
      `${base} answered ${status}: ${err.message}`,
      "check that the token may open pull requests on the repository (scope `repo`, or fine-grained: pull requests and issues read/write)",
      { cause: e },
    );
  }
  if (status >= 500)
    return new ExternalError(
      `${base} answered ${status} after retries: ${err.message}`,
      "GitHub is having trouble (https://www.githubstatus.com); run the command again later",
      { cause: e },
    );
  return new ExternalError(`${base} answered ${status}: ${err.message}`, undefined, { cause: e });
}

export function githubForge(opts: GitHubOptions): GitHubForge {
  const unit = opts.timing?.unitMs ?? 1000;
  const env = opts.env;
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? "",
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? "",
    noProxy: env.no_proxy ?? env.NO_PROXY ?? "",
  });
  const rateLimited =
    (kind: string) =>
    (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      if (retryCount >= RATE_LIMIT_RETRIES || retryAfter > MAX_WAIT_S) return false;
      opts.logger.warn(`GitHub ${kind} on ${options.method} ${options.url}; retrying in ${retryAfter} s`);
      return true;
    };
  const octokit = new RetryingOctokit({
    auth: opts.token,
    baseUrl: opts.apiUrl.replace(/\/+$/, ""),
    userAgent: `fedeval/${FEDEVAL_VERSION}`,
    // Octokit's own request log is for developers; failures are explained by `explain`.
    log: { debug() {}, info() {}, warn() {}, error() {} },
    request: {
      fetch: (url: string, init: object) =>
        undiciFetch(url, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1]),
    },
    // 429 is left to the throttling plugin, which waits as long as GitHub's retry-after says.
    retry: { retryAfterBaseValue: unit, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      id: `fedeval-${process.pid}-${++instances}`,
      retryAfterBaseValue: unit,
      onRateLimit: rateLimited("rate limit"),
      onSecondaryRateLimit: rateLimited("secondary rate limit"),
      ...(opts.timing?.pace === false ? { write: UNPACED as never, notifications: UNPACED as never } : {}),
    },
  });
  const { owner, repo } = opts;
  const headOwner = opts.headOwner ?? owner;
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw explain(e, what, opts.apiUrl);
    }
  };
  const findOpen = async (branch: string) =>
    (
      await call(`listing pull requests of ${owner}/${repo}`, () =>
        octokit.rest.pulls.list({ owner, repo, head: `${headOwner}:${branch}`, state: "open", per_page: 10 }),
      )
    ).data[0];

  return {
    owner,
    repo,
    async login() {
      return (await call("reading the token's user", () => octokit.rest.users.getAuthenticated())).data.login;
    },
    async openOrUpdatePullRequest(spec, pushedNewCommits) {
      type Pull = { number: number; html_url: string; title: string; body: string | null };
      let pr: Pull | undefined = await findOpen(spec.branch);
      let created = false;
      if (!pr) {
        try {
          const { data } = await octokit.rest.pulls.create({
            owner,
            repo,
            head: headOwner === owner ? spec.branch : `${headOwner}:${spec.branch}`,
            base: spec.base,
            title: spec.title,
            body: spec.body,
            maintainer_can_modify: true,
          });
          pr = data;
          created = true;
        } catch (e) {
          // Another run opened it between the listing and the create: use that one.
          if (
            (e as RequestFailure).status !== 422 ||
            !/already exists/i.test(
              JSON.stringify((e as { response?: { data?: unknown } }).response?.data ?? ""),
            )
          ) {
            throw explain(e, `opening a pull request for ${spec.branch}`, opts.apiUrl);
          }
          pr = await findOpen(spec.branch);
          if (!pr) throw explain(e, `opening a pull request for ${spec.branch}`, opts.apiUrl);
        }
      }
      if (!created) {
        if (pr.title !== spec.title || (pr.body ?? "") !== spec.body) {
          await call(`updating pull request #${pr.number}`, () =>
            octokit.rest.pulls.update({
              owner,
              repo,
              pull_number: pr.number,
              title: spec.title,
              body: spec.body,
            }),
          );
        }
        if (pushedNewCommits && spec.updateComment) {
          await call(`commenting on pull request #${pr.number}`, () =>
            octokit.rest.issues.createComment({
              owner,
              repo,
              issue_number: pr.number,
              body: spec.updateComment as string,
            }),
          );
        }
      }
      if (spec.labels.length) {
        await call(`labelling pull request #${pr.number}`, () =>
          octokit.rest.issues.addLabels({ owner, repo, issue_number: pr.number, labels: spec.labels }),
        );
      }
      return { number: pr.number, url: pr.html_url, created };
    },
    async isTeamMember(login, team) {
      const [org, slug] = team.split("/") as [string, string];
      try {
        const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
          org,
          team_slug: slug,
          username: login,
        });
        return data.state === "active";
      } catch (e) {
        const status = (e as RequestFailure).status;
        if (status === 404) return false;
        if (status === 403)
          throw new ExternalError(
            `GitHub (${opts.apiUrl}) refused to say whether ${login} is in team ${team} (403)`,
            "give the action a teams-token that may read the organization's members (fine-grained: Members read; classic: read:org)",
            { cause: e },
          );
        throw explain(e, `reading whether ${login} is in team ${team}`, opts.apiUrl);
      }
    },
    async close() {
      await dispatcher.close();
    },
  };
}

/** `owner/repo` of a github remote URL (https, ssh or scp-like), or undefined. */
export function githubRepoOf(url: string, host = "github.com"): { owner: string; repo: string } | undefined {
  const h = host.replace(/[.]/g, "\\.");
  const m = new RegExp(
    `^(?:https?://(?:[^@/]+@)?${h}/|ssh://(?:[^@/]+@)?${h}(?::\\d+)?/|[^@/:]+@${h}:)([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\\.git)?/?$`,
    "i",
  ).exec(url);
  return m ? { owner: m[1] as string, repo: m[2] as string } : undefined;
}
