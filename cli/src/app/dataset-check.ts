/**
 * `fedeval dataset check`: re-hashes a prepared dataset and compares it with the hash recorded
 * when it was prepared and, given the governance repository, with the hash registered there.
 */
import type { Logger } from "../base/logger.ts";
import { workspace } from "../base/workspace.ts";
import { checkDataset, type DatasetCheck } from "../site/prepare.ts";
import { loadSiteGovernance } from "../site/site-governance.ts";

export type { DatasetCheck } from "../site/prepare.ts";

export interface DatasetCheckRequest {
  benchmark: string;
  site: string;
  /** The dataset's id. */
  name: string;
  /** Also compare with the registered association in this governance repository (relative to `cwd`). */
  root?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Told when the dataset is not registered in `root`. */
  logger: Logger;
}

/** The comparison; a dataset that is not prepared in the workspace is a UserError. */
export async function checkPreparedDataset(req: DatasetCheckRequest): Promise<DatasetCheck> {
  const registered = req.root
    ? (await loadSiteGovernance(req.root, req.cwd, req.logger)).benchmarks
        .get(req.benchmark)
        ?.datasets.get(req.name)?.data
    : undefined;
  if (req.root && !registered)
    req.logger.warn(`dataset ${req.name} is not registered in benchmark ${req.benchmark} of ${req.root}`);
  return checkDataset(workspace(req.env, req.cwd).site(req.site), req.benchmark, req.name, registered);
}
