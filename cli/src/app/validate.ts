/**
 * Validating the governance repository, as `fedeval validate` and the action's `command: validate`
 * do: the whole tree, or only the files changed since a revision, with the ownership of the
 * changed paths checked for their author (whose `org/team` memberships GitHub may be asked about).
 */
import type { ChangeStatus, GitHistory } from "../base/git-history.ts";
import { type Logger, silentLogger } from "../base/logger.ts";
import { GITHUB_API, githubForge } from "../forge/github.ts";
import { classifyPath } from "../governance/layout.ts";
import type { Benchmark, Dataset, Model, Result, Site } from "../governance/types.ts";
import { type ValidationReport, validateRepository } from "../validate/validate-repository.ts";

export type { GovernanceIndex } from "../governance/loader.ts";

export interface ValidateRequest {
  /** The governance root (a relative path is relative to the working directory). */
  root: string;
  /** Report only problems in files changed since this revision (the whole tree is still loaded). */
  changedSince?: string;
  /** With `changedSince`: the login whose ownership of the changed paths is checked. */
  author?: string;
  /** A token that may read team membership on GitHub: `org/team` principals then count their members. */
  teamsToken?: string;
  /** Read with `teamsToken`: GITHUB_API_URL and the proxy settings. */
  env?: NodeJS.ProcessEnv;
  /** Progress of the GitHub client, with `teamsToken`. */
  logger?: Logger;
  /** Test seam: the history of `root` (default: git in `root`). */
  git?: GitHistory;
}

/** A changed site, benchmark, model, dataset or result, with what the tree holds of it now. */
export type ChangedEntity = {
  status: ChangeStatus;
  /** The changed file, relative to the root. */
  file: string;
} & (
  | { kind: "site"; site: string; data?: Site }
  | { kind: "benchmark"; benchmark: string; data?: Benchmark }
  | { kind: "model"; benchmark: string; model: string; data?: Model }
  | { kind: "dataset"; benchmark: string; dataset: string; data?: Dataset }
  | { kind: "result"; benchmark: string; dataset: string; model: string; data?: Result }
);

export interface ValidateReport extends ValidationReport {
  /**
   * With `changedSince`: the changed sites, benchmarks, models, datasets and results, in the order
   * of the changes; `data` is absent when the file was deleted or does not load.
   */
  changed?: ChangedEntity[];
}

/** Validates the repository at `root`; problems are the report's diagnostics, never thrown. */
export async function validateGovernance(request: ValidateRequest): Promise<ValidateReport> {
  const { author, teamsToken } = request;
  const env = request.env ?? {};
  const teams =
    author && teamsToken
      ? githubForge({
          apiUrl: env.GITHUB_API_URL || GITHUB_API,
          owner: "",
          repo: "",
          token: teamsToken,
          env,
          logger: request.logger ?? silentLogger,
        })
      : undefined;
  const report = await validateRepository({
    root: request.root,
    changedSince: request.changedSince,
    author: author
      ? { login: author, memberOf: teams && ((team) => teams.isTeamMember(author, team)) }
      : undefined,
    git: request.git,
  }).finally(() => teams?.close());
  return report.changes ? { ...report, changed: changedEntities(report) } : report;
}

function changedEntities({ changes = [], index }: ValidationReport): ChangedEntity[] {
  const out: ChangedEntity[] = [];
  for (const { file, status } of changes) {
    const where = classifyPath(file);
    const present = status !== "deleted";
    const folder = "benchmark" in where ? index.benchmarks.get(where.benchmark) : undefined;
    const found = <T>(entry: { data: T } | undefined): T | undefined => (present ? entry?.data : undefined);
    if (where.kind === "site") {
      out.push({ status, file, ...where, data: found(index.sites.get(where.site)) });
    } else if (where.kind === "benchmark") {
      out.push({ status, file, ...where, data: found(folder?.benchmark) });
    } else if (where.kind === "model") {
      out.push({ status, file, ...where, data: found(folder?.models.get(where.model)) });
    } else if (where.kind === "dataset") {
      out.push({ status, file, ...where, data: found(folder?.datasets.get(where.dataset)) });
    } else if (where.kind === "result") {
      const data = found(folder?.results.get(`${where.dataset}/${where.model}`));
      out.push({ status, file, ...where, data });
    }
  }
  return out;
}
