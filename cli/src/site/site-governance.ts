import { resolve } from "node:path";
import { UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { type GovernanceIndex, loadGovernance } from "../governance/loader.ts";

/**
 * Loads the governance repository a site works from. Files with problems are left out of the
 * index (the loader already does); the site is told how many, and where to see them.
 */
export async function loadSiteGovernance(
  root: string,
  cwd: string,
  logger: Logger,
): Promise<GovernanceIndex> {
  const { index, diagnostics } = await loadGovernance(resolve(cwd, root));
  const broken = index.broken.size;
  if (broken) {
    logger.warn(
      `${broken} file${broken > 1 ? "s" : ""} of the governance repository did not load and ${broken > 1 ? "are" : "is"} ignored (${diagnostics.length} problem${diagnostics.length > 1 ? "s" : ""}; see \`fedeval validate ${root}\`)`,
    );
  }
  return index;
}

/**
 * Refuses a site the governance repository does not list, before anything is written for it (a
 * typo in --site must leave no workspace behind).
 */
export function requireSite(index: GovernanceIndex, site: string): void {
  if (!index.sites.has(site))
    throw new UserError(`site "${site}" is not in the governance repository (sites/${site}.yaml)`);
}
