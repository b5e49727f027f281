/**
 * `fedeval validate` as a library function: load, check schemas and cross-file rules, optionally
 * restrict the report to a change and check its author's ownership.
 */
import { compareDiagnostics, type Diagnostic } from "../base/diagnostics.ts";
import { type FileChange, type GitHistory, gitHistory } from "../base/git-history.ts";
import { type GovernanceIndex, loadGovernance } from "../governance/loader.ts";
import { checkCodeowners } from "./codeowners-rule.ts";
import { checkCrossFile } from "./cross-file.ts";
import { type Author, checkOwnership } from "./ownership.ts";
import { checkVersionBumps } from "./version-bump.ts";

export interface ValidateOptions {
  root: string;
  /** Report only problems in files changed since this revision (the whole repo is still loaded). */
  changedSince?: string;
  /** With `changedSince`: check that this author may touch the changed paths. */
  author?: Author;
  /** Injected for tests; defaults to git in `root`. */
  git?: GitHistory;
}

export interface ValidationReport {
  root: string;
  /** Governance files seen. */
  files: number;
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  valid: boolean;
  /** With `changedSince`: the changes the report is about. */
  changes?: FileChange[];
  index: GovernanceIndex;
}

export async function validateRepository(options: ValidateOptions): Promise<ValidationReport> {
  const { index, diagnostics: loadDiagnostics } = await loadGovernance(options.root);
  let changes: FileChange[] | undefined;
  let changed: Set<string> | undefined;
  let base: string | undefined;
  const git = options.changedSince ? (options.git ?? gitHistory(options.root)) : undefined;
  if (options.changedSince && git) {
    base = await git.baseOf(options.changedSince);
    changes = await git.changedSince(base);
    changed = new Set(changes.map((c) => c.file));
  }
  let diagnostics = [...loadDiagnostics, ...checkCrossFile(index, { changed })];
  if (changed) diagnostics = diagnostics.filter((d) => changed.has(d.file));
  // a change reports a stale CODEOWNERS only when it made it stale (an error); elsewhere a warning
  const codeowners = await checkCodeowners(index, changed);
  diagnostics.push(...(changed ? codeowners.filter((d) => d.severity === "error") : codeowners));
  if (changes && base && git) {
    diagnostics.push(...(await checkVersionBumps(index, changes, base, git)));
    if (options.author)
      diagnostics.push(...(await checkOwnership(index, changes, options.author, base, git)));
  }
  diagnostics.sort(compareDiagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  return {
    root: options.root,
    files: index.files.length,
    diagnostics,
    errors,
    warnings: diagnostics.length - errors,
    valid: errors === 0,
    changes,
    index,
  };
}
