/**
 * The site's clone of a governance repository (`$FEDEVAL_HOME/governance/<name>`), used to
 * propose changes: check out a branch, write only the intended files, commit, push. Works with
 * any git remote: a bare repository on disk, SSH, HTTPS.
 *
 * The clone belongs to fedeval: every checkout is forced and cleaned, so nothing left over from
 * an earlier attempt can slip into a commit. Git never prompts (`GIT_TERMINAL_PROMPT=0`): an
 * unattended runner fails with a message instead of hanging on a password prompt.
 */
import { createHash } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type SimpleGit, simpleGit } from "simple-git";
import { ExternalError, UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";

export interface GitRemoteOptions {
  url: string;
  /** Where the clone lives (`workspace.governance(governanceName(url))`). */
  dir: string;
  /** The operator's environment, passed to git (identity, SSH and credential settings). */
  env: NodeJS.ProcessEnv;
  /** The remote's branch to start from; default: the remote's HEAD. */
  base?: string;
  /** An HTTP header for URLs under `prefix` (a forge token), given to git through its environment, never argv or a file. */
  auth?: { prefix: string; header: string };
  logger: Logger;
  /** Runs right before `git push`. A test seam: tests move the remote branch here. */
  beforePush?: () => Promise<void>;
  /**
   * Branches live in this fork of the remote (a site without push access): fetched as the git
   * remote `fork`, pushed there; the base branch still comes from the remote.
   */
  forkUrl?: string;
}

export type GitFailure = "diverged" | "auth" | "refused" | "network" | "other";

export class GitRemoteError extends ExternalError {
  constructor(
    message: string,
    readonly failure: GitFailure,
    hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}

/** A folder name for a remote's clone: readable, and distinct per URL. */
export function governanceName(url: string): string {
  const readable = url
    .replace(/^[a-z+]+:\/\//i, "")
    .replace(/^[^@/]*@/, "")
    .replace(/\.git\/?$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(-40)
    .replace(/^-+/, "");
  return `${readable || "remote"}-${createHash("sha256").update(url).digest("hex").slice(0, 8)}`;
}

/** Environment keys git may use for transport, credentials, configuration and identity. Editors and pagers are dropped: fedeval never opens one. */
const DROPPED_ENV = new Set([
  "editor",
  "visual",
  "pager",
  "git_editor",
  "git_sequence_editor",
  "git_pager",
  "git_external_diff",
  "git_exec_path",
  "git_template_dir",
  "prefix",
]);

function gitEnvironment(opts: GitRemoteOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env))
    if (v !== undefined && !DROPPED_ENV.has(k.toLowerCase())) env[k] = v;
  env.GIT_TERMINAL_PROMPT = "0";
  if (opts.auth) {
    const n = Number.parseInt(env.GIT_CONFIG_COUNT ?? "0", 10) || 0;
    env[`GIT_CONFIG_KEY_${n}`] = `http.${opts.auth.prefix}.extraheader`;
    env[`GIT_CONFIG_VALUE_${n}`] = opts.auth.header;
    env.GIT_CONFIG_COUNT = String(n + 1);
  }
  return env;
}

/** The lines of git's error output that say what went wrong. */
function gitMessage(e: unknown): string {
  const text = String((e as Error)?.message ?? e);
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^(fatal|error|remote|!|\[)/.test(l) || /rejected|denied/i.test(l));
  return (lines.length ? lines : [text.split("\n")[0] ?? text]).slice(0, 6).join("; ");
}

function classify(message: string): GitFailure {
  if (/non-fast-forward|fetch first|\[rejected\]/i.test(message)) return "diverged";
  if (
    /could not read (username|password)|authentication failed|permission denied|access denied|denied to|returned error: 40[13]|invalid credentials|publickey/i.test(
      message,
    )
  )
    return "auth";
  if (/remote rejected|hook declined|protected branch/i.test(message)) return "refused";
  if (
    /could not resolve|connection (refused|reset|timed out)|timed out|unable to access|network is unreachable|early eof/i.test(
      message,
    )
  )
    return "network";
  return "other";
}

const HINTS: Record<GitFailure, (url: string, branch?: string) => string> = {
  diverged: (_url, branch) =>
    `someone else pushed to branch ${branch} after fedeval fetched it; run the command again: it fetches the branch and adds to it`,
  auth: (url) =>
    `check that you may push to ${url}: over HTTPS a credential helper (or, with --forge github, GITHUB_TOKEN), over SSH your key (\`ssh -T\` to the host)`,
  refused: (url) =>
    `the remote at ${url} refused the push (a server-side rule or hook; see the remote's message above); ask the governance repository's maintainers`,
  network: (url) => `check the network connection to ${url} (and the proxy settings git uses)`,
  other: (url) => `run the same git command by hand in the clone to see more (remote ${url})`,
};

export interface GovernanceClone {
  readonly dir: string;
  readonly url: string;
  /** The remote branch changes are proposed against. */
  readonly base: string;
  /** Checks out the remote's base branch (detached, clean). */
  checkoutBase(): Promise<void>;
  /** Checks out `branch` as the remote has it, or starts it from the base branch; clean either way. */
  checkoutBranch(branch: string): Promise<{ existed: boolean }>;
  /** `branch`, or `branch-2`, `-3`, …: the first the remote lacks or has but the base branch has not merged. */
  unmergedBranch(branch: string): Promise<string>;
  /** Writes files (paths relative to the root, forward slashes). */
  writeFiles(files: ReadonlyMap<string, string | Buffer>): Promise<void>;
  /** The paths whose content differs from the remote's base branch. */
  differsFromBase(files: ReadonlyMap<string, string | Buffer>): Promise<string[]>;
  /** Stages exactly `paths` and commits them; false when they match HEAD already. */
  commit(paths: string[], message: string): Promise<boolean>;
  /** Pushes the checked-out branch unless the remote has it already; true when it pushed. */
  push(branch: string): Promise<boolean>;
  /** Files changed on the checked-out branch since it left the base branch. */
  changedSinceBase(): Promise<string[]>;
}

/** Clones the remote, or fetches when the clone exists; then finds the base branch. */
export async function openGovernanceClone(opts: GitRemoteOptions): Promise<GovernanceClone> {
  const env = gitEnvironment(opts);
  const make = (baseDir: string): SimpleGit =>
    simpleGit({
      baseDir,
      allowEnvironment: Object.keys(env),
      // The operator's own environment is trusted; what fedeval passes in arguments is slugs and paths it built.
      unsafe: {
        allowUnsafeSshCommand: true,
        allowUnsafeAskPass: true,
        allowUnsafeConfigPaths: true,
        allowUnsafeConfigEnvCount: true,
        allowUnsafeGitProxy: true,
      },
    }).env(env);
  /** Where branches are pushed: the remote itself, or the fork. */
  const branches = opts.forkUrl ? { name: "fork", url: opts.forkUrl } : { name: "origin", url: opts.url };
  const fail = (e: unknown, what: string, branch?: string, url = opts.url): never => {
    const message = gitMessage(e);
    const failure = classify(message);
    throw new GitRemoteError(`${what} failed: ${message}`, failure, HINTS[failure](url, branch), {
      cause: e,
    });
  };

  const cloned = await stat(join(opts.dir, ".git")).then(
    () => true,
    () => false,
  );
  let git: SimpleGit;
  if (cloned) {
    git = make(opts.dir);
    const origin = (await git.raw(["remote", "get-url", "origin"]).catch(() => "")).trim();
    if (origin !== opts.url) await git.raw(["remote", origin ? "set-url" : "add", "origin", opts.url]);
    opts.logger.info(`fetching ${opts.url}`);
    await git.raw(["fetch", "--prune", "origin"]).catch((e) => fail(e, `git fetch ${opts.url}`));
  } else {
    await mkdir(dirname(opts.dir), { recursive: true });
    opts.logger.info(`cloning ${opts.url} into ${opts.dir}`);
    await make(dirname(opts.dir))
      .raw(["clone", "--no-checkout", "--origin", "origin", "--", opts.url, opts.dir])
      .catch((e) => fail(e, `git clone ${opts.url}`));
    git = make(opts.dir);
  }

  if (opts.forkUrl) {
    const fork = (await git.raw(["remote", "get-url", "fork"]).catch(() => "")).trim();
    if (fork !== opts.forkUrl) await git.raw(["remote", fork ? "set-url" : "add", "fork", opts.forkUrl]);
    opts.logger.info(`fetching ${opts.forkUrl}`);
    await git
      .raw(["fetch", "--prune", "fork"])
      .catch((e) => fail(e, `git fetch ${opts.forkUrl}`, undefined, opts.forkUrl));
  }

  let base = opts.base;
  if (!base) {
    const head = await git
      .raw(["ls-remote", "--symref", "origin", "HEAD"])
      .catch((e) => fail(e, `git ls-remote ${opts.url}`));
    base = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(head)?.[1];
    if (!base)
      throw new UserError(
        `${opts.url} has no default branch (an empty repository?); push the governance repository first, or name the branch with --base`,
      );
  }
  const baseRef = `refs/remotes/origin/${base}`;
  if (!(await git.raw(["rev-parse", "--verify", "--quiet", baseRef]).catch(() => "")).trim()) {
    throw new UserError(`${opts.url} has no branch "${base}"`);
  }

  const remoteHas = async (branch: string) =>
    (
      await git
        .raw(["rev-parse", "--verify", "--quiet", `refs/remotes/${branches.name}/${branch}`])
        .catch(() => "")
    ).trim();
  const clean = async () => {
    await git.raw(["clean", "-ffdqx"]);
  };
  const resolvePath = (path: string) => {
    if (path.startsWith("/") || path.split("/").some((p) => p === "" || p === "." || p === ".."))
      throw new Error(`not a relative path: ${path}`);
    return join(opts.dir, path);
  };
  const identity = async (): Promise<string[]> => {
    const args: string[] = [];
    for (const [key, fallback] of [
      ["user.name", "fedeval"],
      ["user.email", "fedeval@localhost.invalid"],
    ] as const) {
      const set = (await git.raw(["config", "--get", key]).catch(() => "")).trim();
      if (!set) args.push("-c", `${key}=${fallback}`);
    }
    return args;
  };

  return {
    dir: opts.dir,
    url: opts.url,
    base,
    async checkoutBase() {
      await git.raw(["checkout", "--quiet", "--force", "--detach", baseRef]);
      await clean();
    },
    async unmergedBranch(branch) {
      for (let n = 1; ; n++) {
        const name = n === 1 ? branch : `${branch}-${n}`;
        const tip = await remoteHas(name);
        if (!tip) return name;
        const common = (await git.raw(["merge-base", tip, baseRef]).catch(() => "")).trim();
        if (common !== tip) return name;
      }
    },
    async checkoutBranch(branch) {
      const existed = Boolean(await remoteHas(branch));
      await git.raw([
        "checkout",
        "--quiet",
        "--force",
        "--no-track",
        "-B",
        branch,
        existed ? `refs/remotes/${branches.name}/${branch}` : baseRef,
      ]);
      await clean();
      return { existed };
    },
    async writeFiles(files) {
      for (const [path, content] of files) {
        const abs = resolvePath(path);
        await mkdir(dirname(abs), { recursive: true });
        await writeFile(abs, content);
      }
    },
    async differsFromBase(files) {
      const out: string[] = [];
      for (const [path, content] of files) {
        resolvePath(path);
        const before = await git.raw(["cat-file", "blob", `${baseRef}:${path}`]).catch(() => undefined);
        const now = typeof content === "string" ? content : content.toString("utf8");
        if (before !== now) out.push(path);
      }
      return out;
    },
    async commit(paths, message) {
      await git.raw(["add", "--", ...paths]);
      const staged = (await git.raw(["diff", "--cached", "--name-only"])).trim();
      if (!staged) return false;
      await git.raw([...(await identity()), "commit", "--quiet", "--no-verify", "-m", message]);
      return true;
    },
    async push(branch) {
      const head = (await git.raw(["rev-parse", "HEAD"])).trim();
      if ((await remoteHas(branch)) === head) return false;
      await opts.beforePush?.();
      opts.logger.info(`pushing branch ${branch} to ${branches.url}`);
      await git
        .raw(["push", "--quiet", branches.name, `HEAD:refs/heads/${branch}`])
        .catch((e) => fail(e, `git push ${branch}`, branch, branches.url));
      await git.raw(["update-ref", `refs/remotes/${branches.name}/${branch}`, head]);
      return true;
    },
    async changedSinceBase() {
      const out = await git.raw(["diff", "--name-only", "--no-renames", `${baseRef}...HEAD`]);
      return out.split("\n").filter(Boolean);
    },
  };
}

/** The remote URL of a local repository's `origin`, or undefined. */
export async function originUrl(root: string): Promise<string | undefined> {
  try {
    const url = (await simpleGit({ baseDir: root }).raw(["remote", "get-url", "origin"])).trim();
    return url || undefined;
  } catch {
    return undefined;
  }
}
