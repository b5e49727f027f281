import { resolve } from "node:path";
import { cloneFreshness, freshnessWarning } from "../base/clone-freshness.ts";
import { UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { type GovernanceIndex, loadGovernance } from "../governance/loader.ts";

/**
 * `check`: warn when the clone is behind its remote (asks the remote for its branch head);
 * `fetch`: fetch and fast-forward the clone first (base/clone-freshness.ts).
 */
export type RemoteCheck = "check" | "fetch";

/**
 * Loads the governance repository a site works from. Files with problems are left out of the
 * index (the loader already does); the site is told how many, and where to see them.
 */
export async function loadSiteGovernance(
  root: string,
  cwd: string,
  logger: Logger,
  remote?: RemoteCheck,
): Promise<GovernanceIndex> {
  if (remote) {
    const state = await cloneFreshness(resolve(cwd, root), remote === "fetch");
    const warning = freshnessWarning(root, state);
    if (warning) logger.warn(warning);
    if (state?.updated)
      logger.info(
        `fetched ${state.upstream}: ${root} moved forward by ${state.updated} commit${state.updated === 1 ? "" : "s"}`,
      );
  }
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
