/**
 * The proposed files on top of the remote's base branch, through the same loader and cross-file
 * rules as `fedeval validate`, so what the pull request check would refuse never leaves the machine.
 */
import type { Diagnostic } from "../base/diagnostics.ts";
import type { GovernanceClone } from "../forge/git-remote.ts";
import { CODEOWNERS_PATH, codeownersState } from "../governance/codeowners.ts";
import { type GovernanceIndex, loadGovernance } from "../governance/loader.ts";
import { checkCrossFile } from "../validate/cross-file.ts";

export interface ProposalCheck {
  /** The remote's governance tree with the proposed files in it. */
  index: GovernanceIndex;
  /** Errors in the proposed files, by path. */
  errors: Map<string, Diagnostic[]>;
  /** Proposed paths whose content the base branch does not have yet. */
  differs: Set<string>;
  /** Warnings in the proposed files. */
  warnings: Diagnostic[];
}

/**
 * Checks proposed files on top of the remote's base branch with the validator's loader and
 * cross-file rules. History rules (a suspended model, a changed image) are errors here, as they are
 * for the files a pull request touches.
 */
export async function checkProposal(
  clone: GovernanceClone,
  files: ReadonlyMap<string, string | Buffer>,
): Promise<ProposalCheck> {
  await clone.checkoutBase();
  const differs = new Set(await clone.differsFromBase(files));
  await clone.writeFiles(files);
  const changed = new Set(files.keys());
  const { index, diagnostics } = await loadGovernance(clone.dir);
  const found = [...diagnostics, ...checkCrossFile(index, { changed })].filter((d) => changed.has(d.file));
  const errors = new Map<string, Diagnostic[]>();
  for (const d of found) if (d.severity === "error") errors.set(d.file, [...(errors.get(d.file) ?? []), d]);
  await clone.checkoutBase();
  return { index, errors, differs, warnings: found.filter((d) => d.severity === "warning") };
}

/**
 * The proposed files, plus `.github/CODEOWNERS` as the tree with them calls for when the base
 * branch has the file and it would differ (a new dataset gives its site's owners its results).
 * Reads the base's file: checkProposal leaves the clone at the base branch.
 */
export async function withCodeowners(
  check: ProposalCheck,
  files: ReadonlyMap<string, string | Buffer>,
): Promise<ReadonlyMap<string, string | Buffer>> {
  const { text, existing, current } = await codeownersState(check.index);
  if (existing === undefined || current || files.has(CODEOWNERS_PATH)) return files;
  return new Map([...files, [CODEOWNERS_PATH, text]]);
}
