/**
 * `fedeval doctor`: whether this machine can run a site (site/site-checks.ts): one result per
 * check, `ok`, `warn` or `fail`, with what to fix.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import Docker from "dockerode";
import { workspace } from "../base/workspace.ts";
import { loadGovernance } from "../governance/loader.ts";
import { type Exec, execText } from "../site/hardware.ts";
import { type CheckResult, runSiteChecks } from "../site/site-checks.ts";

export type { Exec } from "../site/hardware.ts";
export type { CheckResult } from "../site/site-checks.ts";

export interface MachineCheckRequest {
  /** Also checks this site's workspace (its signing key). */
  site?: string;
  /** With `site`: the governance repository whose sites/<site>.yaml must list that key. */
  root?: string;
  /** Default: the clock. */
  now?: () => Date;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Default: the Docker Engine of DOCKER_HOST (or the default socket). */
  docker?: Docker;
  /** Runs git and nvidia-smi; default: the real programs on PATH. */
  exec?: Exec;
  /** The gh CLI's config folder; default GH_CONFIG_DIR, else ~/.config/gh. */
  ghConfigDir?: string;
}

export interface MachineCheckReport {
  checks: CheckResult[];
  /** How many required checks failed (warnings are allowed). */
  failed: number;
}

export async function checkSiteMachine(req: MachineCheckRequest): Promise<MachineCheckReport> {
  const ws = workspace(req.env, req.cwd);
  const checks = await runSiteChecks({
    docker: req.docker ?? new Docker(),
    env: req.env,
    exec: req.exec ?? execText,
    home: ws.home,
    ghConfigDir: req.ghConfigDir ?? req.env.GH_CONFIG_DIR ?? join(homedir(), ".config", "gh"),
    site: req.site
      ? { id: req.site, workspace: ws.site(req.site), registered: await registered(req) }
      : undefined,
  });
  return { checks, failed: checks.filter((c) => c.status === "fail").length };
}

/** The site's file in the governance repository, when one is given. */
async function registered(req: MachineCheckRequest) {
  if (!req.site || req.root === undefined) return undefined;
  const { index } = await loadGovernance(resolve(req.cwd, req.root));
  return { file: index.sites.get(req.site)?.data ?? null, now: (req.now ?? (() => new Date()))() };
}
