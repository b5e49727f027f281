/**
 * Real git for tests: a governance tree committed and pushed to a bare repository on disk, an
 * isolated HOME (no user or system git configuration leaks in), and an identity from the environment;
 * and, for a repository on disk alone, git as a fixed test identity (`gitIn`, `commitAll`).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { makeTree } from "./governance-tree.ts";

/** An environment for git and fedeval with its own HOME and FEDEVAL_HOME. */
export async function testEnv(): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  return {
    PATH: process.env.PATH,
    HOME: home,
    FEDEVAL_HOME: join(home, "fedeval"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Site Robot",
    GIT_AUTHOR_EMAIL: "robot@site.example",
    GIT_COMMITTER_NAME: "Site Robot",
    GIT_COMMITTER_EMAIL: "robot@site.example",
  };
}

export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs git in `dir` as a fixed test identity, unsigned, new repositories on main; returns its output, trimmed. */
export function gitIn(dir: string, ...args: string[]): string {
  const config = [
    "user.name=fedeval test",
    "user.email=test@example.org",
    "commit.gpgsign=false",
    "init.defaultBranch=main",
  ];
  return execFileSync("git", [...config.flatMap((c) => ["-c", c]), ...args], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
}

/** Stages and commits everything in `dir` (initializing a repository the first time); returns the commit. */
export function commitAll(dir: string, message: string): string {
  if (!existsSync(join(dir, ".git"))) gitIn(dir, "init", "-q");
  gitIn(dir, "add", "-A");
  gitIn(dir, "commit", "-q", "--allow-empty", "-m", message);
  return gitIn(dir, "rev-parse", "HEAD");
}

export interface GovernanceRemote {
  /** A working clone whose origin is the bare remote. */
  root: string;
  /** The bare repository. */
  remote: string;
}

/** makeTree (optionally edited), committed on main and pushed to a new bare repository. */
export async function governanceRemote(
  env: NodeJS.ProcessEnv,
  edit?: (files: Map<string, string>) => void,
): Promise<GovernanceRemote> {
  const root = await makeTree(edit);
  const remote = await mkdtemp(join(tmpdir(), "fedeval-remote-"));
  git(remote, ["init", "--quiet", "--bare", "-b", "main"], env);
  git(root, ["init", "--quiet", "-b", "main"], env);
  git(root, ["add", "-A"], env);
  git(root, ["commit", "--quiet", "-m", "Governance repository"], env);
  git(root, ["remote", "add", "origin", remote], env);
  git(root, ["push", "--quiet", "origin", "main"], env);
  return { root, remote };
}

/** A file as a branch of the bare remote has it, or undefined. */
export function remoteFile(
  remote: string,
  branch: string,
  path: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  try {
    return git(remote, ["show", `${branch}:${path}`], env);
  } catch {
    return undefined;
  }
}

export function remoteBranches(remote: string, env: NodeJS.ProcessEnv): string[] {
  return git(remote, ["for-each-ref", "--format=%(refname:short)", "refs/heads"], env)
    .split("\n")
    .filter(Boolean)
    .sort();
}

/** Files a branch changes against main on the bare remote. */
export function branchFiles(remote: string, branch: string, env: NodeJS.ProcessEnv): string[] {
  return git(remote, ["diff", "--name-only", `main...${branch}`], env)
    .split("\n")
    .filter(Boolean)
    .sort();
}

/** Someone else commits `files` to `branch` (created from main when missing) and pushes. */
export async function pushAsSomeoneElse(
  remote: string,
  branch: string,
  files: Record<string, string>,
  env: NodeJS.ProcessEnv,
  message = "someone else",
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "fedeval-other-"));
  git(dir, ["clone", "--quiet", remote, "."], env);
  const exists = git(dir, ["ls-remote", "--heads", "origin", branch], env).trim() !== "";
  git(dir, ["checkout", "--quiet", "-B", branch, exists ? `origin/${branch}` : "origin/main"], env);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  git(dir, ["add", "-A"], env);
  git(dir, ["commit", "--quiet", "-m", message], env);
  git(dir, ["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`], env);
}
