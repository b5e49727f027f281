/**
 * `fedeval dataset prepare`: prepares a site's raw data with the benchmark's preparation
 * container and writes the dataset association the site would propose, then runs the reference
 * test on it (MedPerf's association test); `fedeval dataset test` runs that test again on a
 * prepared dataset. A failed reference test keeps the prepared data (algorithm and workspace
 * layout: site/prepare.ts). Nothing leaves the machine.
 */
import { resolve } from "node:path";
import type Docker from "dockerode";
import type { Logger } from "../base/logger.ts";
import { workspace } from "../base/workspace.ts";
import { treeBytes } from "../containers/runner.ts";
import {
  type PrepareOutcome,
  prepareDataset,
  type ReferenceOutcome,
  testReferenceModel,
} from "../site/prepare.ts";
import { createRunner, type LimitFlags, type RunnerKind, siteLimits } from "../site/runners.ts";
import { loadSiteGovernance } from "../site/site-governance.ts";

export type { PrepareOutcome, ReferenceOutcome } from "../site/prepare.ts";

export interface DatasetPrepareRequest extends LimitFlags {
  benchmark: string;
  site: string;
  /** The raw data and labels, relative to `cwd`. */
  data: string;
  labels: string;
  /** The dataset's id. */
  name: string;
  /** Governance repository root, relative to `cwd`. */
  root: string;
  runner: RunnerKind;
  /** GitHub login recorded as the association's `requested_by`. */
  as?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Default: a client of DOCKER_HOST, loaded only for the docker runner. */
  docker?: Docker;
  /** Aborting stops the running container; the outcome is then a failed step. */
  signal?: AbortSignal;
  now?: () => Date;
}

export interface DatasetPrepareReport {
  preparation: PrepareOutcome;
  /** The reference test, run once the preparation succeeded. */
  reference?: ReferenceOutcome;
}

/**
 * Prepares the dataset, then runs its reference test. A failed preparation step keeps nothing but
 * the log; a failed reference test keeps the prepared data (`dataset test` runs it again).
 */
export async function prepareSiteDataset(req: DatasetPrepareRequest): Promise<DatasetPrepareReport> {
  const index = await loadSiteGovernance(req.root, req.cwd, req.logger);
  const ws = workspace(req.env, req.cwd);
  const data = resolve(req.cwd, req.data);
  const labels = resolve(req.cwd, req.labels);
  // the prepared data may be as large as the raw data: allow twice its size (at least 4 GiB)
  const rawBytes = await treeBytes([data, labels]);
  const limits = siteLimits(req, { outputBytes: Math.max(4 * 2 ** 30, 2 * rawBytes) });
  const runner = await createRunner(req.runner, {
    home: ws.home,
    cwd: req.cwd,
    env: req.env,
    docker: req.docker,
  });
  const site = ws.site(req.site);
  const common = { index, benchmark: req.benchmark, site: req.site, dataset: req.name, runner, limits };
  const more = { workspace: site, logger: req.logger, env: req.env, now: req.now, signal: req.signal };
  const preparation = await prepareDataset({ ...common, ...more, data, labels, requestedBy: req.as });
  if (!preparation.ok || req.signal?.aborted) return { preparation };
  return { preparation, reference: await testReferenceModel({ ...common, ...more }) };
}

export interface DatasetTestRequest extends LimitFlags {
  benchmark: string;
  site: string;
  /** The prepared dataset's id. */
  name: string;
  root: string;
  runner: RunnerKind;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  docker?: Docker;
  signal?: AbortSignal;
  now?: () => Date;
}

/** `fedeval dataset test`: the reference test of a dataset prepared in this workspace. */
export async function testSiteDataset(req: DatasetTestRequest): Promise<ReferenceOutcome> {
  const index = await loadSiteGovernance(req.root, req.cwd, req.logger);
  const ws = workspace(req.env, req.cwd);
  return testReferenceModel({
    index,
    benchmark: req.benchmark,
    site: req.site,
    dataset: req.name,
    runner: await createRunner(req.runner, { home: ws.home, cwd: req.cwd, env: req.env, docker: req.docker }),
    limits: siteLimits(req),
    workspace: ws.site(req.site),
    logger: req.logger,
    env: req.env,
    now: req.now,
    signal: req.signal,
  });
}
