import { mulberry32, standardNormal } from "./random.ts";
import { type Direction, isBetter } from "./shared.ts";

/** A model's per-site data for the primary metric (a value, counts, a histogram…), keyed by site id. */
export interface RankInput<T> {
  model: string;
  sites: ReadonlyMap<string, T>;
}

export interface RankOptions<T> {
  /**
   * Pools a model's data over a set of sites (duplicates included, as drawn) into one value;
   * null when it cannot. `normal` gives standard normal draws: a replicate moves each drawn
   * site's value by its own sampling error (se·normal() on the working scale); for the
   * observed estimate it always gives 0.
   */
  pool: (draw: readonly T[], normal: () => number) => number | null;
  direction: Direction;
  /** Seed of the generator: the same seed and data give the same intervals. */
  seed: number;
  /** Bootstrap replicates; default 1000. */
  replicates?: number;
  /** Coverage of the rank interval; default 0.95 (2.5th to 97.5th percentile). */
  level?: number;
}

export interface ModelRank {
  model: string;
  /** Pooled value over all the model's sites; null when it cannot be pooled (then it is not ranked). */
  estimate: number | null;
  /** Rank of `estimate` among the ranked models, 1 = best; tied values share the best rank (1, 2, 2, 4). */
  rank: number | null;
  /** Percentile interval of the bootstrap ranks: the page says "ranks 1–3". */
  rank_low: number | null;
  rank_high: number | null;
  /** Statistically tied models share a group number (1 = top group); see `bootstrapRanks`. */
  group: number | null;
  /** Sites this model has data for. */
  sites: number;
}

/**
 * Rank intervals by a seeded bootstrap that carries both sources of uncertainty: each replicate
 * draws as many sites as there are (the union over models, in sorted id order) with
 * replacement, and `pool` draws each drawn site's value from its sampling distribution (a
 * parametric bootstrap), so two models on one site whose intervals overlap share ranks. Every
 * model is pooled over the drawn sites it has data for, and the models are ranked (1 = best in `direction`, ties
 * sharing the best rank; a model with nothing pooled in a replicate ranks after all others).
 * A model's interval runs from the ⌈B·α/2⌉-th to the ⌈B·(1 − α/2)⌉-th smallest of its B ranks.
 *
 * Grouping rule: models in rank order; a model joins the current group when its rank interval
 * overlaps that of the group's first (best) model, otherwise it starts the next group. So a
 * group's members are all statistically tied with its leader.
 *
 * Models with different site coverage are ranked together here; `sites` tells the page so.
 */
export function bootstrapRanks<T>(models: readonly RankInput<T>[], options: RankOptions<T>): ModelRank[] {
  const replicates = options.replicates ?? 1000;
  const level = options.level ?? 0.95;
  if (!(Number.isInteger(replicates) && replicates > 0)) {
    throw new RangeError(`replicates must be a positive integer, got ${replicates}`);
  }
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const { pool, direction } = options;
  const zero = () => 0;
  const estimates = models.map((m) => pool([...m.sites.values()], zero));
  const ranked = models.map((_, i) => i).filter((i) => estimates[i] !== null);

  const siteIds = [...new Set(models.flatMap((m) => [...m.sites.keys()]))].sort();
  const aligned = ranked.map((i) => siteIds.map((id) => (models[i] as RankInput<T>).sites.get(id)));
  const draws: number[][] = ranked.map(() => []);
  const random = mulberry32(options.seed);
  const normal = standardNormal(random);
  const picked = new Array<number>(siteIds.length);
  for (let r = 0; r < replicates; r++) {
    for (let j = 0; j < picked.length; j++) picked[j] = Math.floor(random() * siteIds.length);
    const values = aligned.map((data) => {
      const drawn: T[] = [];
      for (const j of picked) {
        const d = data[j];
        if (d !== undefined) drawn.push(d);
      }
      return drawn.length === 0 ? null : pool(drawn, normal);
    });
    const ranks = competitionRanks(values, direction);
    ranks.forEach((rank, m) => {
      (draws[m] as number[]).push(rank);
    });
  }

  const observed = competitionRanks(
    ranked.map((i) => estimates[i] as number),
    direction,
  );
  const lowIndex = Math.max(0, Math.ceil((replicates * (1 - level)) / 2) - 1);
  const highIndex = Math.min(replicates - 1, Math.ceil(replicates * (1 - (1 - level) / 2)) - 1);
  const results: ModelRank[] = ranked.map((i, m) => {
    const sorted = (draws[m] as number[]).sort((a, b) => a - b);
    const model = models[i] as RankInput<T>;
    return {
      model: model.model,
      estimate: estimates[i] as number,
      rank: observed[m] as number,
      rank_low: sorted[lowIndex] as number,
      rank_high: sorted[highIndex] as number,
      group: null,
      sites: model.sites.size,
    };
  });
  results.sort(
    (a, b) =>
      (a.rank as number) - (b.rank as number) ||
      (a.rank_low as number) - (b.rank_low as number) ||
      (a.model < b.model ? -1 : a.model > b.model ? 1 : 0),
  );
  let group = 0;
  let leader: ModelRank | undefined;
  for (const result of results) {
    if (leader === undefined || (result.rank_low as number) > (leader.rank_high as number)) {
      group++;
      leader = result;
    }
    result.group = group;
  }
  const unranked = models
    .filter((_, i) => estimates[i] === null)
    .map((m) => ({
      model: m.model,
      estimate: null,
      rank: null,
      rank_low: null,
      rank_high: null,
      group: null,
      sites: m.sites.size,
    }));
  return [...results, ...unranked];
}

/** 1 + the number of strictly better values; nulls rank after every value. */
function competitionRanks(values: readonly (number | null)[], direction: Direction): number[] {
  const present = values.filter((v): v is number => v !== null);
  return values.map((v) =>
    v === null ? present.length + 1 : 1 + present.filter((other) => isBetter(other, v, direction)).length,
  );
}
