/**
 * FE403: `.github/CODEOWNERS` follows the ownership the governance files declare, so code-owner
 * reviews ask the right people. A repository without the file is left alone (a forge without code
 * owners). An error in a change that touches the file or a file it is derived from (a site, a
 * benchmark, a dataset: governance/codeowners.ts), naming those files; a warning elsewhere, as
 * the history rules are, so a stale file already on main does not fail every later change.
 */
import type { Diagnostic } from "../base/diagnostics.ts";
import { ruleName } from "../formats/rules.ts";
import { CODEOWNERS_PATH, codeownersState, firstDifferentLine } from "../governance/codeowners.ts";
import { classifyPath } from "../governance/layout.ts";
import type { GovernanceIndex } from "../governance/loader.ts";

/** Kinds of governance file that CODEOWNERS is rendered from. */
const OWNERSHIP_KINDS = new Set(["site", "benchmark", "dataset"]);

export async function checkCodeowners(
  index: GovernanceIndex,
  changed?: ReadonlySet<string>,
): Promise<Diagnostic[]> {
  const { text, existing, current } = await codeownersState(index);
  if (existing === undefined || current) return [];
  const causes = [...(changed ?? [])]
    .filter((f) => f === CODEOWNERS_PATH || OWNERSHIP_KINDS.has(classifyPath(f).kind))
    .sort();
  const line = firstDifferentLine(existing, text);
  const fix = "run `fedeval codeowners` and commit .github/CODEOWNERS";
  return [
    {
      file: CODEOWNERS_PATH,
      line,
      col: 1,
      severity: causes.length ? "error" : "warning",
      rule: "FE403",
      name: ruleName("FE403"),
      message: causes.length
        ? `.github/CODEOWNERS no longer follows the owners the governance files declare after this change to ${causes.join(", ")}: ${fix} in this change`
        : `.github/CODEOWNERS does not follow the owners the governance files declare (line ${line}): ${fix}`,
    },
  ];
}
