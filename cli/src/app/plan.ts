/**
 * `fedeval plan` (and the action's dry run): the (benchmark, model, dataset) triples a site should
 * run, in order, with why; what waits in the outbox; and datasets that cannot run yet.
 * Rules: site/plan.ts.
 */
import type { Logger } from "../base/logger.ts";
import { workspace } from "../base/workspace.ts";
import { Outbox } from "../results/outbox.ts";
import { type Plan, planSite } from "../site/plan.ts";
import { loadSiteGovernance, type RemoteCheck } from "../site/site-governance.ts";

export type { Plan } from "../site/plan.ts";

export interface SitePlanRequest {
  site: string;
  /** Governance repository root, relative to `cwd`. */
  root: string;
  cwd: string;
  /** Warn when the clone is behind its remote (`check`), or fetch and fast-forward it first (`fetch`); default neither. */
  remote?: RemoteCheck;
  env: NodeJS.ProcessEnv;
  /** Told about governance files that did not load. */
  logger: Logger;
}

/** The site's plan against the governance repository and the site's outbox (sent entries included). */
export async function planSiteWork(req: SitePlanRequest): Promise<Plan> {
  const index = await loadSiteGovernance(req.root, req.cwd, req.logger, req.remote);
  const site = workspace(req.env, req.cwd).site(req.site);
  return planSite({
    index,
    site: req.site,
    workspace: site,
    outbox: await new Outbox(site.outbox).listWithSent(),
  });
}
