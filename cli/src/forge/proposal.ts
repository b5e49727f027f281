/**
 * Proposing a change to a governance repository: the common path of `submit`, `dataset register`
 * and `model propose`.
 *
 *   connect   clone or fetch the remote into the site workspace; on GitHub, an API client
 *   check     (app/check-proposal.ts) the proposed files on top of the remote's base branch
 *   propose   branch (reused when the remote has it unmerged), commit only the proposed files, push, then
 *             open or update the pull request (GitHub) or name the compare URL (other forges)
 *
 * Every step can be repeated: a branch the remote already has is checked out and added to, a
 * push of what the remote has is skipped, an open pull request of the branch is updated.
 */
import type { Diagnostic } from "../base/diagnostics.ts";
import { UsageError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import type { Workspace } from "../base/workspace.ts";
import { type GovernanceClone, governanceName, openGovernanceClone, originUrl } from "./git-remote.ts";
import {
  GITHUB_API,
  type GitHubForge,
  githubForge,
  githubHost,
  githubRepoOf,
  githubToken,
  type PullRequest,
  type PullRequestSpec,
} from "./github.ts";

export type ForgeKind = "github" | "git";

/** What the user chose on the command line (see `forgeOptions` in wiring/submission.ts). */
export interface ForgeSettings {
  /** A local governance checkout whose `origin` is the remote, when `remote` is not given. */
  root: string;
  remote?: string;
  forge?: ForgeKind;
  /** GitHub REST API root; default GITHUB_API_URL, else https://api.github.com. */
  githubApi?: string;
  /** OWNER/NAME on GitHub; default: from the remote URL. */
  githubRepo?: string;
  /** The remote branch to propose against; default: the remote's HEAD. */
  base?: string;
  /**
   * Without push access: the GitHub owner (user or organization) of a fork of the repository.
   * Branches are pushed to the fork and pull requests opened from `OWNER:branch`.
   */
  fork?: string;
  /** The fork's git URL; default: the remote's URL with the fork's owner in place of the repository's. */
  forkRemote?: string;
  dryRun: boolean;
}

/** What the process gives: environment, workspace, logger, and test seams. */
export interface ForgeRuntime {
  env: NodeJS.ProcessEnv;
  workspace: Workspace;
  logger: Logger;
  /** Tests: GitHub timing (see GitHubOptions.timing). */
  githubTiming?: { unitMs?: number; pace?: boolean };
  /** Tests: runs right before each push. */
  beforePush?: () => Promise<void>;
}

export interface Connection {
  kind: ForgeKind;
  clone: GovernanceClone;
  /** Absent on a plain git forge, and in a dry run without a token. */
  github?: GitHubForge;
  /** The owner of the fork that branches are pushed to, when the user has no push access. */
  fork?: string;
  dryRun: boolean;
  close(): Promise<void>;
}

/** Opens the clone and, on GitHub, the API client. */
export async function connect(settings: ForgeSettings, rt: ForgeRuntime): Promise<Connection> {
  const url = settings.remote ?? (await originUrl(settings.root));
  if (!url) {
    throw new UsageError(
      `${settings.root} has no git remote "origin"; name the governance repository with --remote URL`,
    );
  }
  const apiUrl = (settings.githubApi ?? rt.env.GITHUB_API_URL ?? GITHUB_API).replace(/\/+$/, "");
  const host = githubHost(apiUrl);
  const kind: ForgeKind =
    settings.forge ?? (githubRepoOf(url, "github.com") || githubRepoOf(url, host) ? "github" : "git");
  let github: GitHubForge | undefined;
  let auth: { prefix: string; header: string } | undefined;
  if (kind === "github") {
    const named = settings.githubRepo ?? "";
    const repo = named ? /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(named) : null;
    if (named && !repo) throw new UsageError(`--github-repo "${named}" is not OWNER/NAME`);
    const where = repo
      ? { owner: repo[1] as string, repo: repo[2] as string }
      : (githubRepoOf(url, host) ?? githubRepoOf(url, "github.com"));
    if (!where)
      throw new UsageError(
        `cannot tell the GitHub repository from the remote ${url}; name it with --github-repo OWNER/NAME`,
      );
    const token = await githubToken(rt.env, host).catch((e) => {
      if (settings.dryRun) return undefined;
      throw e;
    });
    if (token) {
      github = githubForge({
        apiUrl,
        owner: where.owner,
        repo: where.repo,
        headOwner: settings.fork,
        token: token.token,
        env: rt.env,
        logger: rt.logger,
        timing: rt.githubTiming,
      });
      if (url.startsWith(`https://${host}/`)) {
        auth = {
          prefix: `https://${host}/`,
          header: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token.token}`).toString("base64")}`,
        };
      }
    }
  }
  if (settings.fork !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(settings.fork))
    throw new UsageError(`--fork "${settings.fork}" is not a GitHub user or organization`);
  let forkUrl = settings.forkRemote;
  if (settings.fork && !forkUrl) {
    const repo = githubRepoOf(url, host) ?? githubRepoOf(url, "github.com");
    forkUrl = repo ? url.replace(`${repo.owner}/${repo.repo}`, `${settings.fork}/${repo.repo}`) : undefined;
    if (!forkUrl)
      throw new UsageError(
        `cannot tell the URL of ${settings.fork}'s fork from ${url}; name it with --fork-remote URL`,
      );
  }
  if (forkUrl && !settings.fork && kind === "github")
    throw new UsageError("--fork-remote needs --fork OWNER, the fork's owner on GitHub");
  try {
    const clone = await openGovernanceClone({
      url,
      forkUrl,
      dir: rt.workspace.governance(governanceName(url)),
      env: rt.env,
      base: settings.base,
      auth,
      logger: rt.logger,
      beforePush: rt.beforePush,
    });
    return {
      kind,
      clone,
      github,
      fork: settings.fork,
      dryRun: settings.dryRun,
      close: async () => github?.close(),
    };
  } catch (e) {
    await github?.close();
    throw e;
  }
}

export interface Change {
  branch: string;
  /**
   * Never add to a branch the base already merged: start a fresh one from the base instead
   * (`<branch>-2`, `-3`, …). An open branch of an earlier attempt is still added to.
   */
  fresh?: boolean;
  files: ReadonlyMap<string, string | Buffer>;
  message: string;
  /** The pull request, given the files the branch changes against the base (after the commit). */
  pullRequest(changedOnBranch: string[]): Promise<Omit<PullRequestSpec, "branch" | "base">>;
}

export interface ProposalOutcome {
  branch: string;
  base: string;
  /** Whether the remote had the branch before. */
  existed: boolean;
  committed: boolean;
  pushed: boolean;
  pullRequestText: Omit<PullRequestSpec, "branch" | "base">;
  /** GitHub: the pull request opened or updated. */
  pullRequest?: PullRequest;
  /** Other forges: where to open one, when the URL form is known. */
  compareUrl?: string;
}

export interface ProposalHooks {
  /** Before the push: record where the change is going (so a crash after the push can resume). */
  beforePush?(branch: string): Promise<void>;
  afterPush?(branch: string, pushed: boolean): Promise<void>;
}

/** Branch, commit, push, pull request. In a dry run it stops before the push. */
export async function propose(
  conn: Connection,
  change: Change,
  hooks: ProposalHooks = {},
): Promise<ProposalOutcome> {
  const { clone } = conn;
  const branch = change.fresh ? await clone.unmergedBranch(change.branch) : change.branch;
  const { existed } = await clone.checkoutBranch(branch);
  await clone.writeFiles(change.files);
  const committed = await clone.commit([...change.files.keys()], change.message);
  const pullRequestText = await change.pullRequest(await clone.changedSinceBase());
  const outcome: ProposalOutcome = {
    branch,
    base: clone.base,
    existed,
    committed,
    pushed: false,
    pullRequestText,
  };
  if (conn.dryRun) return outcome;
  await hooks.beforePush?.(branch);
  outcome.pushed = await clone.push(branch);
  await hooks.afterPush?.(branch, outcome.pushed);
  if (conn.github) {
    outcome.pullRequest = await conn.github.openOrUpdatePullRequest(
      { ...pullRequestText, branch, base: clone.base },
      outcome.pushed && existed,
    );
  } else {
    outcome.compareUrl = compareUrl(
      clone.url,
      clone.base,
      conn.fork ? `${conn.fork}:${branch}` : branch,
      conn.kind,
    );
  }
  return outcome;
}

/** Where a person opens a pull (merge) request for a pushed branch, for forges whose URL form is known. */
export function compareUrl(
  remote: string,
  base: string,
  branch: string,
  kind: ForgeKind = "git",
): string | undefined {
  const m =
    /^(?:https?:\/\/(?:[^@/]+@)?([^/]+)\/|ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/|[^@/:]+@([^:/]+):)(.+?)(?:\.git)?\/?$/.exec(
      remote,
    );
  if (!m) return undefined;
  const host = (m[1] ?? m[2] ?? m[3] ?? "").toLowerCase();
  const path = m[4] as string;
  const web = `https://${host}/${path}`;
  const q = encodeURIComponent;
  if (kind === "github" || host === "github.com" || host === "codeberg.org" || /gitea|forgejo/.test(host))
    return `${web}/compare/${base}...${branch}`;
  if (/gitlab/.test(host))
    return `${web}/-/merge_requests/new?merge_request%5Bsource_branch%5D=${q(branch)}&merge_request%5Btarget_branch%5D=${q(base)}`;
  if (host === "bitbucket.org") return `${web}/pull-requests/new?source=${q(branch)}&dest=${q(base)}`;
  return undefined;
}

/** What a proposal did (or, in a dry run, would do), for people. */
export function describeProposal(
  outcome: ProposalOutcome,
  files: ReadonlyMap<string, string | Buffer>,
  dryRun: boolean,
): string {
  const lines: string[] = [];
  const pr = outcome.pullRequestText;
  if (dryRun) {
    lines.push(
      `branch ${outcome.branch} (${outcome.existed ? "exists on the remote; would be added to" : "new"}) against ${outcome.base}`,
      "files:",
    );
    for (const [path, content] of files) lines.push(`--- ${path} ---`, String(content).trimEnd());
    lines.push(
      "--- end of files ---",
      `pull request: ${pr.title}`,
      `labels: ${pr.labels.join(", ")}`,
      "",
      pr.body.trimEnd(),
      "",
      "dry run: nothing was committed to the remote, pushed or opened",
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    outcome.pushed ? `pushed branch ${outcome.branch}` : `branch ${outcome.branch} is already on the remote`,
  );
  if (outcome.pullRequest) {
    lines.push(
      `pull request #${outcome.pullRequest.number} ${outcome.pullRequest.created ? "opened" : "updated"}: ${outcome.pullRequest.url}`,
    );
  } else if (outcome.compareUrl) {
    lines.push(`open a pull request: ${outcome.compareUrl}`);
  } else {
    lines.push(`open a pull request from ${outcome.branch} into ${outcome.base} on your forge`);
  }
  return `${lines.join("\n")}\n`;
}

/** Errors in proposed files as one message. */
export function refusal(errors: Map<string, Diagnostic[]>): string {
  const all = [...errors.values()].flat();
  return `the governance repository's checks would refuse this change:\n${all.map((d) => `  ${d.file}:${d.line}:${d.col}: ${d.message} [${d.rule}]`).join("\n")}`;
}
