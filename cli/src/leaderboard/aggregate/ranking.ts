/**
 * Ranking: models are ranked only against models whose primary metric pools over exactly the
 * same sites (a cohort). The cohort with the most models is the main ranking; a model in another
 * cohort carries a note saying it has partial coverage and whom it is ranked against. Suspended
 * and withdrawn models are shown but never ranked.
 */
import { getOrThrow } from "../../base/maps.ts";
import type { MetricSpec, Model } from "../../governance/types.ts";
import type { RankDatum, SiteInput } from "../../results/pooling/method.ts";
import { drawPool, rankData } from "../../results/pooling.ts";
import { bootstrapRanks, type RankInput } from "../../stats/ranks.ts";
import { isBetter } from "../../stats/shared.ts";
import type { Cohort, ModelBoard } from "../types.ts";
import { compareText } from "./compare.ts";

/** The rank bootstrap's settings. */
export interface RankSettings {
  /** Seed of the rank bootstrap: fixed, so the same repository gives the same pages. */
  seed: number;
  replicates: number;
  /** Coverage of the rank intervals. */
  level: number;
}

/** Approved models that report on the same sites. */
interface SiteGroup {
  models: string[];
  sites: string[];
}

const board = (boards: ReadonlyMap<string, ModelBoard>, model: string) =>
  getOrThrow(boards, model, "board of model");

/**
 * Fills every model's coverage (and the note of one not ranked for its status or for want of
 * sites); groups the approved models by the sites they report on, the largest group first.
 */
function groupBySites(
  models: readonly Model[],
  boards: ReadonlyMap<string, ModelBoard>,
  inputs: ReadonlyMap<string, SiteInput[]>,
  primary: MetricSpec,
): SiteGroup[] {
  const all = new Set<string>();
  for (const m of models)
    if (m.status === "approved") for (const s of inputs.get(m.id) ?? []) all.add(s.site);
  const groups = new Map<string, SiteGroup>();
  for (const m of models) {
    const sites = (inputs.get(m.id) ?? []).map((s) => s.site).sort();
    const mb = board(boards, m.id);
    mb.coverage = {
      sites: sites.length,
      of: all.size,
      full: sites.length > 0 && sites.length === all.size && sites.every((s) => all.has(s)),
      cohort: null,
    };
    if (m.status !== "approved") {
      mb.note = `${m.status}: shown for the record, not ranked`;
      continue;
    }
    if (sites.length === 0) {
      mb.note = `no site reports a usable ${primary.id}: not ranked`;
      continue;
    }
    const key = sites.join(",");
    const group = groups.get(key);
    if (group) group.models.push(m.id);
    else groups.set(key, { models: [m.id], sites });
  }
  return [...groups.values()].sort(
    (x, y) =>
      y.models.length - x.models.length ||
      y.sites.length - x.sites.length ||
      compareText(x.models[0] as string, y.models[0] as string),
  );
}

/** Ranks one cohort of more than one model by the rank bootstrap; fills their rank and note. */
function rankCohort(
  cohort: Cohort,
  boards: ReadonlyMap<string, ModelBoard>,
  inputs: ReadonlyMap<string, SiteInput[]>,
  primary: MetricSpec,
  pool: (draw: readonly RankDatum[], normal: () => number) => number | null,
  settings: RankSettings,
): void {
  const size = cohort.models.length;
  const rankInputs: RankInput<RankDatum>[] = cohort.models.map((m) => ({
    model: m,
    sites: new Map(rankData(primary, inputs.get(m) ?? []).map((d) => [d.input.site, d])),
  }));
  const ranks = bootstrapRanks(rankInputs, {
    pool,
    direction: primary.direction,
    seed: settings.seed,
    replicates: settings.replicates,
    level: settings.level,
  });
  cohort.models = ranks.map((r) => r.model);
  for (const r of ranks) {
    const mb = board(boards, r.model);
    if (r.rank === null) {
      mb.note = `${primary.id} could not be pooled: not ranked`;
      continue;
    }
    mb.ranked = true;
    mb.rank = {
      rank: r.rank,
      low: r.rank_low as number,
      high: r.rank_high as number,
      tie_group: r.group as number,
      cohort: cohort.id,
    };
    if (!mb.coverage.full) {
      mb.note = `partial coverage: ${mb.coverage.sites} of ${mb.coverage.of} sites; ranked only among the ${size} models with the same sites (cohort ${cohort.id})`;
    }
  }
}

/** Forms cohorts of approved models with the same primary-metric sites, ranks each, fills rank and coverage. */
export function rankModels(
  models: readonly Model[],
  boards: ReadonlyMap<string, ModelBoard>,
  inputs: ReadonlyMap<string, SiteInput[]>,
  primary: MetricSpec,
  settings: RankSettings,
): Cohort[] {
  const approved = models.filter((m) => m.status === "approved").length;
  const pool = drawPool(primary);
  return groupBySites(models, boards, inputs, primary).map((group, i) => {
    const id = `c${i + 1}`;
    const cohort: Cohort = {
      id,
      main: i === 0,
      ranked: group.models.length > 1,
      models: group.models,
      sites: group.sites,
    };
    for (const m of group.models) board(boards, m).coverage.cohort = id;
    if (cohort.ranked) rankCohort(cohort, boards, inputs, primary, pool, settings);
    else
      board(boards, group.models[0] as string).note =
        approved === 1
          ? "the only approved model: nothing to rank against"
          : `not ranked: no other model reports ${primary.id} on the same ${group.sites.length} site${group.sites.length === 1 ? "" : "s"}`;
    return cohort;
  });
}

/** Main cohort in rank order, then the other cohorts, then unranked approved models (best first), then the rest. */
export function orderModels(
  models: readonly Model[],
  boards: ReadonlyMap<string, ModelBoard>,
  cohorts: readonly Cohort[],
  primary: MetricSpec,
): ModelBoard[] {
  const out: ModelBoard[] = [];
  const placed = new Set<string>();
  for (const c of cohorts) {
    if (!c.ranked) continue;
    for (const m of c.models) {
      const mb = board(boards, m);
      if (mb.ranked) {
        out.push(mb);
        placed.add(m);
      }
    }
  }
  const estimate = (m: ModelBoard) => m.metrics[primary.id]?.pooled?.estimate ?? null;
  const statusOrder = { approved: 0, suspended: 1, withdrawn: 2, proposed: 3, rejected: 4 } as const;
  const rest = models
    .map((m) => board(boards, m.id))
    .filter((m) => !placed.has(m.id))
    .sort((x, y) => {
      const s = statusOrder[x.status] - statusOrder[y.status];
      if (s) return s;
      const a = estimate(x);
      const bb = estimate(y);
      if (a !== null && bb !== null && a !== bb) return isBetter(a, bb, primary.direction) ? -1 : 1;
      if ((a === null) !== (bb === null)) return a === null ? 1 : -1;
      return compareText(x.id, y.id);
    });
  return [...out, ...rest];
}
