/**
 * Read-only git queries the validator needs for `--changed-since`: which governance files a
 * change touches, and what a file said before it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { ExternalError, UsageError } from "./errors.ts";

export type ChangeStatus = "added" | "modified" | "deleted";

export interface FileChange {
  /** Path relative to the governance root. */
  file: string;
  status: ChangeStatus;
}

export interface GitHistory {
  /**
   * The commit a change is measured from: the merge base of `rev` and HEAD, as a pull request's
   * diff is (so files merged into the base since the branch started are not the branch's changes).
   */
  baseOf(rev: string): Promise<string>;
  /** Files changed between `rev` and the work tree (committed or not, and untracked files). */
  changedSince(rev: string): Promise<FileChange[]>;
  /** A file's text at `rev`, or undefined when it did not exist there. */
  readAt(rev: string, file: string): Promise<string | undefined>;
  /** The commit `rev` names. */
  commitOf(rev: string): Promise<string>;
  /**
   * The tree of merging HEAD into `rev` (what main would hold after the merge), or the files
   * that conflict, relative to the governance root.
   */
  mergeTree(rev: string): Promise<{ tree: string } | { conflicts: string[] }>;
  /** Files changed between two commits or trees. */
  changedBetween(from: string, to: string): Promise<FileChange[]>;
  /**
   * Writes `sites/` and `benchmarks/` of a commit or tree into `dir` (without touching the
   * repository's index or work tree) and returns the governance root inside it.
   */
  materialize(treeish: string, dir: string): Promise<string>;
}

export function gitHistory(root: string): GitHistory {
  const git = simpleGit({ baseDir: root });
  const run = async (args: string[]) => {
    try {
      return await git.raw(args);
    } catch (e) {
      const message = String((e as Error).message).split("\n")[0] ?? "";
      if (/unknown revision|bad revision|ambiguous argument/i.test(message)) {
        throw new UsageError(
          `--changed-since: git does not know revision "${args.find((a) => !a.startsWith("-") && a !== "diff")}" (${message})`,
        );
      }
      throw new ExternalError(
        `git failed in ${root}: ${message}`,
        "check that the governance root is inside a git work tree and that the revision was fetched (actions/checkout needs fetch-depth: 0)",
        { cause: e },
      );
    }
  };
  const nameStatus = (diff: string): FileChange[] => {
    const parts = diff.split("\0").filter((p) => p !== "");
    const changes: FileChange[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const code = parts[i] as string;
      const status: ChangeStatus = code.startsWith("A")
        ? "added"
        : code.startsWith("D")
          ? "deleted"
          : "modified";
      changes.push({ file: parts[i + 1] as string, status });
    }
    return changes;
  };
  const prefix = async () => (await run(["rev-parse", "--show-prefix"])).trim();
  return {
    async commitOf(rev) {
      const commit = (
        await git.raw(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).catch(() => "")
      ).trim();
      if (!commit) {
        await run(["rev-parse", "--git-dir"]); // not a repository: git's own message
        throw new UsageError(`--changed-since: git does not know revision "${rev}"`);
      }
      return commit;
    },
    async mergeTree(rev) {
      const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
        execFile(
          "git",
          ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", rev, "HEAD"],
          { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
          (error, stdout) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout }),
        ),
      );
      const [tree = "", ...files] = out.stdout.split("\0").filter((p) => p !== "");
      if (out.code === 0) return { tree };
      if (out.code !== 1)
        throw new ExternalError(
          `git merge-tree failed in ${root}`,
          "git 2.38 or later is needed to check the merge of a change into its base",
        );
      const at = await prefix();
      return {
        conflicts: [...new Set(files)].filter((f) => f.startsWith(at)).map((f) => f.slice(at.length)),
      };
    },
    async changedBetween(from, to) {
      return nameStatus(
        await run(["diff", "--name-status", "--no-renames", "--relative", "-z", from, to, "--"]),
      );
    },
    async materialize(treeish, dir) {
      const scratch = await mkdtemp(join(tmpdir(), "fedeval-index-"));
      const index = join(scratch, "index");
      const env = { ...process.env, GIT_INDEX_FILE: index };
      const git = (args: string[], input?: string) =>
        new Promise<string>((resolve, reject) => {
          const child = execFile(
            "git",
            args,
            { cwd: root, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
            (error, stdout, stderr) =>
              error
                ? reject(new ExternalError(`git ${args[0]} failed in ${root}: ${stderr.trim()}`, ""))
                : resolve(stdout),
          );
          if (input !== undefined) child.stdin?.end(input);
        });
      try {
        await git(["read-tree", treeish]);
        const files = await git(["ls-files", "-z", "--", "sites", "benchmarks"]);
        await git(["checkout-index", "-z", "--stdin", "-f", `--prefix=${dir}/`], files);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
      return join(dir, await prefix());
    },
    async baseOf(rev) {
      await run(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
      const base = await git.raw(["merge-base", rev, "HEAD"]).catch(() => "");
      return base.trim() || rev;
    },
    async changedSince(rev) {
      await run(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
      const changes = nameStatus(
        await run(["diff", "--name-status", "--no-renames", "--relative", "-z", rev, "--"]),
      );
      const untracked = await run(["ls-files", "--others", "--exclude-standard", "-z"]);
      for (const file of untracked.split("\0").filter((p) => p !== ""))
        changes.push({ file, status: "added" });
      return changes.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    },
    async readAt(rev, file) {
      try {
        return await git.show([`${rev}:./${file}`]);
      } catch {
        return undefined;
      }
    },
  };
}
