/**
 * Ownership by path (DESIGN.md section 2): who may touch which governance file in a change.
 *
 * - The benchmark committee owns benchmarks/<b>/{benchmark.yaml, containers/, models/, datasets/, demo/}.
 * - A model owner may propose or update their own model file, but only with `status: proposed`
 *   (or withdrawn) unless committee members signed its status (committee-approval.ts) or the
 *   benchmark's `policy.auto_approve` approves their request, and the container definition (and
 *   parameters) that only their model uses.
 * - A site's owners own sites/<site>.yaml, may propose their datasets (status: proposed, or
 *   approved when the benchmark's policy auto-approves the site), and own
 *   benchmarks/<b>/results/<dataset>/ for the datasets of their site.
 *
 * Who owns a file is always decided from the file *before* the change (an author cannot add
 * themselves to a committee and use it in the same change); new files fall back to the new text.
 * Paths outside sites/ and benchmarks/ are left to CODEOWNERS and branch protection.
 */
import type { Diagnostic } from "../base/diagnostics.ts";
import type { FileChange, GitHistory } from "../base/git-history.ts";
import { ruleName } from "../formats/rules.ts";
import { diagnosticAt, diagnosticAtPath, parseYaml } from "../formats/yaml-source.ts";
import { approvesWithoutReview } from "../governance/auto-approval.ts";
import { checkStatus } from "../governance/committee-approval.ts";
import { classifyPath, paths } from "../governance/layout.ts";
import type { BenchmarkFolder, Entry, GovernanceIndex } from "../governance/loader.ts";
import type { Benchmark, Dataset, Model, Principal, Site } from "../governance/types.ts";

export interface Author {
  login: string;
  /** Teams (`org/team`) the author belongs to, when the caller knows them. */
  teams?: string[];
  /**
   * Whether the author is an active member of team `org/team`, asked of the forge when a file
   * names a team (the action does, given a token that may read team membership).
   */
  memberOf?: (team: string) => Promise<boolean>;
}

export function isPrincipal(author: Author, principals: readonly Principal[] | undefined): boolean {
  const login = author.login.toLowerCase();
  const teams = new Set((author.teams ?? []).map((t) => t.toLowerCase()));
  return (principals ?? []).some((p) => {
    const q = p.toLowerCase();
    return q === login || teams.has(q);
  });
}

export async function checkOwnership(
  index: GovernanceIndex,
  changes: FileChange[],
  author: Author,
  rev: string,
  git: GitHistory,
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const memberships = new Map<string, Promise<boolean>>();
  /** The author is one of `principals`: by login, by a team they are known to be in, or by asking. */
  const allowed = async (principals: readonly Principal[] | undefined): Promise<boolean> => {
    if (isPrincipal(author, principals)) return true;
    const ask = author.memberOf;
    if (!ask) return false;
    for (const team of (principals ?? []).filter((p) => p.includes("/"))) {
      const key = team.toLowerCase();
      if (!memberships.has(key)) memberships.set(key, ask(team));
      if (await memberships.get(key)) return true;
    }
    return false;
  };
  /** Whether the benchmark's policy lets this request approve itself (auto-approval.ts). */
  const approvesItself = (benchmark: Benchmark | undefined, kind: "models" | "datasets", site?: string) =>
    approvesWithoutReview(benchmark, kind, site, allowed);
  const folderOf = (entry: Entry<unknown>) => index.benchmarks.get(entry.file.split("/")[1] ?? "");
  const earlier = new Map<string, Promise<unknown>>();
  const before = <T>(file: string): Promise<T | undefined> => {
    let found = earlier.get(file);
    if (!found) {
      found = git
        .readAt(rev, file)
        .then((text) => (text === undefined ? undefined : parseYaml(text, file).source?.data));
      earlier.set(file, found);
    }
    return found as Promise<T | undefined>;
  };
  const ownerOf = async <T>(file: string, now: T | undefined): Promise<T | undefined> =>
    (await before<T>(file)) ?? now;

  /**
   * An owner who is not on the committee may propose an association (or withdraw it, or propose an
   * update beside the approved version), never decide it: a decided status stands only on the
   * committee members' signatures (FE605), whoever authored the commits.
   */
  const proposeOnly = (entry: Entry<Model | Dataset>, role: string, kind: "model" | "dataset") => {
    if (entry.data.status === "proposed" || entry.data.status === "withdrawn") return;
    if (
      folderOf(entry) &&
      checkStatus(folderOf(entry) as BenchmarkFolder, kind, entry.data).count.members.length
    )
      return;
    const message = `${author.login} ${role} and may only propose it (status: proposed); approval is the committee's`;
    out.push(diagnosticAtPath(entry.source, ["status"], "FE402", ruleName("FE402"), message));
  };

  for (const change of changes) {
    const where = classifyPath(change.file);
    const deny = (who: string) =>
      out.push(
        diagnosticAt(
          { file: change.file },
          undefined,
          "FE401",
          ruleName("FE401"),
          `${author.login} may not ${change.status === "deleted" ? "delete" : change.status === "added" ? "add" : "change"} this file: ${who}`,
        ),
      );
    if (where.kind === "unknown" || where.kind === "doc") continue;
    if (where.kind === "site") {
      const site = await ownerOf<Site>(change.file, index.sites.get(where.site)?.data);
      if (!(await allowed(site?.owners))) deny(`only the owners of site ${where.site} may`);
      continue;
    }
    const folder = index.benchmarks.get(where.benchmark);
    const benchmark = await ownerOf<Benchmark>(paths.benchmark(where.benchmark), folder?.benchmark?.data);
    // the committee: its principals, and the members who sign its decisions (as the file said before)
    const committee = await allowed([
      ...(benchmark?.committee ?? []),
      ...(benchmark?.members ?? []).map((m) => m.login),
    ]);
    if (where.kind === "container" || where.kind === "parameters" || where.kind === "additional-files") {
      if (committee) continue;
      // a model owner brings their model's own container definition with the model
      const config = `containers/${where.name}.yaml`;
      const benchmarkUses = Object.values(benchmark?.containers ?? {}).some((c) => c.config === config);
      const models = [...(folder?.models.values() ?? [])].filter(
        (m) => m.data.container.config === config || m.data.update?.container.config === config,
      );
      const owns = async (m: (typeof models)[number]) =>
        allowed((await before<Model>(m.file))?.owner ?? m.data.owner);
      const ownsAll = models.length > 0 && (await Promise.all(models.map(owns))).every(Boolean);
      if (benchmarkUses || !ownsAll)
        deny(`only the committee of benchmark ${where.benchmark}, or the owners of the model using it, may`);
      continue;
    }
    if (where.kind === "benchmark" || where.kind === "demo-data") {
      if (!committee) deny(`only the committee of benchmark ${where.benchmark} may`);
      continue;
    }
    if (where.kind === "model") {
      if (committee) continue;
      const now = folder?.models.get(where.model);
      const prior = await before<Model>(change.file);
      const owners = prior?.owner ?? now?.data.owner;
      if (!(await allowed(owners))) {
        deny(`only the model's owners or the committee of benchmark ${where.benchmark} may`);
      } else if (
        change.status !== "deleted" &&
        now &&
        !onlyKeyGrants(prior, now.data) &&
        !(await approvesItself(benchmark, "models"))
      ) {
        proposeOnly(now, "owns this model", "model");
      }
      continue;
    }
    if (where.kind === "dataset") {
      if (committee) continue;
      const now = folder?.datasets.get(where.dataset);
      const dataset = (await before<Dataset>(change.file)) ?? now?.data;
      const site = dataset
        ? await ownerOf<Site>(paths.site(dataset.site), index.sites.get(dataset.site)?.data)
        : undefined;
      if (!(await allowed(site?.owners))) {
        deny(`only the owners of the dataset's site or the committee of benchmark ${where.benchmark} may`);
      } else if (
        change.status !== "deleted" &&
        now &&
        !(await approvesItself(benchmark, "datasets", dataset?.site))
      ) {
        proposeOnly(now, "owns this dataset's site", "dataset");
      }
      continue;
    }
    // results/<dataset>/<model>.yaml: the owners of the dataset's site, and nobody else
    const dataset =
      (await before<Dataset>(paths.dataset(where.benchmark, where.dataset))) ??
      folder?.datasets.get(where.dataset)?.data;
    const site = dataset
      ? await ownerOf<Site>(paths.site(dataset.site), index.sites.get(dataset.site)?.data)
      : undefined;
    if (!(await allowed(site?.owners)))
      deny(
        `results of dataset ${where.dataset} belong to the owners of ${dataset ? `site ${dataset.site}` : "its site"}`,
      );
  }
  return out;
}

/**
 * The change grants or revokes access to a private model and nothing else: its owners do that
 * without a new approval (key_grants are not part of what the committee approves).
 */
function onlyKeyGrants(prior: Model | undefined, now: Model): boolean {
  if (!prior) return false;
  const { key_grants: _before, ...rest } = prior;
  const { key_grants: _after, ...restNow } = now;
  return JSON.stringify(rest) === JSON.stringify(restNow);
}
