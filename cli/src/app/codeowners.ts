/**
 * `.github/CODEOWNERS` from the ownership the governance files declare (governance/codeowners.ts):
 * written when it is out of date, or only compared.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CODEOWNERS_PATH, codeownersState } from "../governance/codeowners.ts";
import { loadGovernance } from "../governance/loader.ts";

export interface CodeownersRequest {
  /** The governance root (a relative path is relative to the working directory). */
  root: string;
  /** Only compare: never write the file. */
  check: boolean;
}

export interface CodeownersReport {
  /** The file's path in the repository. */
  file: string;
  /** Whether the file matched the governance files before this call. */
  current: boolean;
  /** Whether this call wrote it. */
  written: boolean;
}

export async function updateCodeowners(request: CodeownersRequest): Promise<CodeownersReport> {
  const { index } = await loadGovernance(request.root);
  const { text, current } = await codeownersState(index);
  const written = !current && !request.check;
  if (written) {
    const path = join(request.root, CODEOWNERS_PATH);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return { file: CODEOWNERS_PATH, current, written };
}
