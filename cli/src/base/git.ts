/**
 * Runs git for `run` and `plan`: directly through execFile, which starts no queue and loads no
 * library (simple-git costs tens of milliseconds per call), so independent calls run in parallel.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileText = promisify(execFile);

/** git's stdout in `root`; rejects with git's own message (its stderr) when git fails or is missing. */
export async function gitText(root: string, args: string[]): Promise<string> {
  try {
    return (await execFileText("git", args, { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }))
      .stdout;
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || (e as Error).message, { cause: e });
  }
}
