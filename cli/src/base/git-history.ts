/**
 * Read-only git queries the validator needs for `--changed-since`: which governance files a
 * change touches, and what a file said before it.
 */
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
  return {
    async baseOf(rev) {
      await run(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
      const base = await git.raw(["merge-base", rev, "HEAD"]).catch(() => "");
      return base.trim() || rev;
    },
    async changedSince(rev) {
      await run(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
      const diff = await run(["diff", "--name-status", "--no-renames", "--relative", "-z", rev, "--"]);
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
