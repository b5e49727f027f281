/**
 * What git knows that the work tree does not: the commit pages are built from, and earlier
 * versions of result files. A site that re-runs a model on the same dataset replaces the result
 * file, so its earlier runs live only in history; drift needs them. Read-only git queries.
 */
import { spawn } from "node:child_process";
import { simpleGit } from "simple-git";
import { ExternalError, UsageError } from "../base/errors.ts";
import { validateSchema } from "../formats/schema-registry.ts";
import { parseYaml } from "../formats/yaml-source.ts";
import { classifyPath } from "../governance/layout.ts";
import type { Result } from "../governance/types.ts";
import type { HistoricResult } from "./aggregate/runs.ts";

export interface BuildCommit {
  commit: string | null;
  /** Governance files differ from the commit (uncommitted or untracked changes). */
  dirty: boolean;
  /** Those files (relative to root), for resultHistory; null outside git. */
  changed: Set<string> | null;
}

const COMMIT = /^[0-9a-f]{7,64}$/;
const GOVERNANCE = ["sites", "benchmarks"];

async function isRepository(root: string): Promise<boolean> {
  try {
    return await simpleGit({ baseDir: root }).checkIsRepo();
  } catch {
    return false;
  }
}

/** Governance paths (relative to root) that differ from HEAD, or null outside git. */
async function changedPaths(root: string): Promise<Set<string> | null> {
  if (!(await isRepository(root))) return null;
  const git = simpleGit({ baseDir: root });
  try {
    const diff = await git.raw(["diff", "--name-only", "--relative", "HEAD", "--", ...GOVERNANCE]);
    const untracked = await git.raw(["ls-files", "--others", "--exclude-standard", "--", ...GOVERNANCE]);
    return new Set(`${diff}\n${untracked}`.split("\n").filter((l) => l !== ""));
  } catch (e) {
    throw new ExternalError(
      `git failed in ${root}: ${String((e as Error).message).split("\n")[0]}`,
      "check that the repository has at least one commit",
      { cause: e },
    );
  }
}

/**
 * The commit the pages describe: `--commit` when given (CI checks out a detached commit and says
 * which), else HEAD of the repository holding `root`; null outside git.
 */
export async function governanceCommit(root: string, given?: string): Promise<BuildCommit> {
  if (given !== undefined && !COMMIT.test(given))
    throw new UsageError(`--commit ${given}: not a commit id (7 to 64 lowercase hex characters)`);
  const changed = await changedPaths(root);
  if (given !== undefined) return { commit: given, dirty: changed !== null && changed.size > 0, changed };
  if (changed === null) return { commit: null, dirty: false, changed };
  const head = (await simpleGit({ baseDir: root }).revparse(["HEAD"])).trim();
  return { commit: head, dirty: changed.size > 0, changed };
}

interface Version {
  file: string;
  commit: string;
  blob: string;
}

/**
 * Earlier versions of the result files under `root`, from git history: every committed version
 * except the one the work tree holds (the newest, when the file is present and unchanged).
 * Versions that fail their schema are skipped; the aggregation checks signatures. Empty outside git.
 * `changed`: the governance files that differ from HEAD (governanceCommit's), null outside git.
 */
export async function resultHistory(
  root: string,
  present: ReadonlySet<string>,
  changed: ReadonlySet<string> | null,
): Promise<HistoricResult[]> {
  if (changed === null) return [];
  const log = await simpleGit({ baseDir: root }).raw([
    "log",
    "--format=%x01%H",
    "--raw",
    "--no-abbrev",
    "--no-renames",
    "--relative",
    "--",
    "benchmarks",
  ]);
  const versions = new Map<string, Version[]>();
  let commit = "";
  for (const line of log.split("\n")) {
    if (line.startsWith("\x01")) {
      commit = line.slice(1);
      continue;
    }
    // :100644 100644 <old blob> <new blob> M\t<path>
    const m = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) ([AMT])\d*\t(.+)$/.exec(line);
    if (!m) continue;
    const [, blob, , file] = m as unknown as [string, string, string, string];
    if (classifyPath(file).kind !== "result") continue;
    const list = versions.get(file);
    if (list) list.push({ file, commit, blob });
    else versions.set(file, [{ file, commit, blob }]);
  }
  const wanted: Version[] = [];
  for (const [file, list] of versions) {
    // log is newest first; the newest committed version is the work-tree file unless it changed since
    wanted.push(...(present.has(file) && !changed.has(file) ? list.slice(1) : list));
  }
  if (wanted.length === 0) return [];
  const texts = await readBlobs(root, [...new Set(wanted.map((v) => v.blob))]);
  const out: HistoricResult[] = [];
  for (const v of wanted) {
    const text = texts.get(v.blob);
    if (text === undefined) continue;
    const { source } = parseYaml(text, v.file);
    if (!source || validateSchema("result", source).length) continue;
    const data = source.data as Result;
    const where = classifyPath(v.file);
    if (
      where.kind !== "result" ||
      data.benchmark.id !== where.benchmark ||
      data.dataset !== where.dataset ||
      data.model !== where.model
    )
      continue;
    out.push({ file: v.file, commit: v.commit, data });
  }
  return out;
}

/** Blob contents by id, read through one `git cat-file --batch`. */
function readBlobs(root: string, blobs: readonly string[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", (e) =>
      reject(
        new ExternalError(`git cat-file failed: ${e.message}`, "check that git is installed", { cause: e }),
      ),
    );
    child.on("close", (code) => {
      if (code !== 0) {
        reject(
          new ExternalError(
            `git cat-file exited with ${code}: ${stderr.split("\n")[0]}`,
            "check the repository with `git fsck`",
          ),
        );
        return;
      }
      const all = Buffer.concat(chunks);
      const out = new Map<string, string>();
      let at = 0;
      while (at < all.length) {
        const eol = all.indexOf(10, at);
        if (eol < 0) break;
        const [id, type, size] = all.subarray(at, eol).toString().split(" ");
        at = eol + 1;
        if (type !== "blob" || size === undefined) continue;
        const length = Number(size);
        out.set(id as string, all.subarray(at, at + length).toString("utf8"));
        at += length + 1;
      }
      resolve(out);
    });
    child.stdin.end(`${blobs.join("\n")}\n`);
  });
}
