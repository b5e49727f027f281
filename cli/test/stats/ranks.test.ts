import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mulberry32 } from "../../src/stats/random.ts";
import { bootstrapRanks, type RankInput } from "../../src/stats/ranks.ts";

const mean = (values: readonly number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

/** Per-site values around `centre`, ±0.05, reproducible from `seed`. */
function model(name: string, centre: number, seed: number, sites = 20): RankInput<number> {
  const random = mulberry32(seed);
  return {
    model: name,
    sites: new Map(Array.from({ length: sites }, (_, i) => [`site-${i}`, centre + (random() - 0.5) * 0.1])),
  };
}

describe("bootstrapRanks", () => {
  const twin = model("twin-a", 0.8, 11);
  const models = [
    model("weak", 0.7, 3),
    { model: "twin-b", sites: twin.sites },
    model("strong", 0.95, 5),
    twin,
    model("near-twin", 0.805, 17),
  ];

  test("is deterministic for a seed", () => {
    const options = { pool: mean, direction: "higher" as const, seed: 42, replicates: 400 };
    assert.deepEqual(bootstrapRanks(models, options), bootstrapRanks(models, options));
  });

  test("a clearly better model ranks 1–1 alone; identical models are tied", () => {
    const ranks = bootstrapRanks(models, { pool: mean, direction: "higher", seed: 42, replicates: 400 });
    assert.deepEqual(
      ranks.map((r) => [r.model, r.group]),
      [
        ["strong", 1],
        ["near-twin", 2],
        ["twin-a", 2],
        ["twin-b", 2],
        ["weak", 3],
      ],
    );
    const byName = new Map(ranks.map((r) => [r.model, r]));
    const strong = byName.get("strong");
    assert.deepEqual([strong?.rank, strong?.rank_low, strong?.rank_high, strong?.group], [1, 1, 1, 1]);
    assert.equal(ranks.filter((r) => r.group === 1).length, 1);
    const a = byName.get("twin-a");
    const b = byName.get("twin-b");
    assert.ok(a && b);
    assert.equal(a.rank, b.rank);
    assert.deepEqual([a.rank_low, a.rank_high, a.group], [b.rank_low, b.rank_high, b.group]);
    assert.notEqual(a.group, 1);
    const weak = byName.get("weak");
    assert.deepEqual([weak?.rank, weak?.rank_low, weak?.rank_high], [5, 5, 5]);
    assert.ok((weak?.group as number) > (a.group as number));
    assert.equal(strong?.sites, 20);
    const strongValues = [...(models[2] as RankInput<number>).sites.values()];
    assert.equal(strong?.estimate, mean(strongValues));
  });

  test("direction lower turns the order around", () => {
    const ranks = bootstrapRanks(models, { pool: mean, direction: "lower", seed: 1, replicates: 200 });
    assert.equal(ranks[0]?.model, "weak");
    assert.deepEqual([ranks[0]?.rank_low, ranks[0]?.rank_high], [1, 1]);
    assert.equal(ranks.at(-1)?.model, "strong");
  });

  test("the interval is the 2.5th–97.5th percentile of the replicate ranks", () => {
    // Two models drawing from the same 2 sites: each replicate ranks them by which site came up.
    // a = {s0: 1, s1: 0}, b = {s0: 0, s1: 1}: a wins when s0 is drawn twice, b when s1 is, tie
    // otherwise, so both rank 1 in 3 of 4 replicates and 2 in 1 of 4: interval 1–2, one group.
    const ranks = bootstrapRanks(
      [
        {
          model: "a",
          sites: new Map([
            ["s0", 1],
            ["s1", 0],
          ]),
        },
        {
          model: "b",
          sites: new Map([
            ["s0", 0],
            ["s1", 1],
          ]),
        },
      ],
      { pool: mean, direction: "higher", seed: 9, replicates: 2000 },
    );
    for (const r of ranks) {
      assert.equal(r.rank, 1);
      assert.deepEqual([r.rank_low, r.rank_high, r.group], [1, 2, 1]);
    }
  });

  test("one site, two models whose intervals overlap: one tie group, ranks 1–2 (parametric draws)", () => {
    // The case of issue #15: AUC 0.860 [0.742, 0.978] and 0.824 [0.692, 0.955] at one site.
    // Resampling the one site alone gives the same data in every replicate ("rank 1", "rank 2"
    // in separate groups); drawing each value from its sampling distribution shows the overlap.
    type Site = { value: number; se: number };
    const one = (value: number, se: number) => new Map<string, Site>([["only", { value, se }]]);
    const pool = (draw: readonly Site[], normal: () => number) =>
      draw.reduce((acc, d) => acc + d.value + d.se * normal(), 0) / draw.length;
    const ranks = bootstrapRanks(
      [
        { model: "a", sites: one(0.86, (0.978 - 0.742) / (2 * 1.959964)) },
        { model: "b", sites: one(0.824, (0.955 - 0.692) / (2 * 1.959964)) },
      ],
      { pool, direction: "higher", seed: 7, replicates: 2000 },
    );
    assert.deepEqual(
      ranks.map((r) => [r.model, r.rank, r.rank_low, r.rank_high, r.group]),
      [
        ["a", 1, 1, 2, 1],
        ["b", 2, 1, 2, 1],
      ],
    );
    assert.equal(ranks[0]?.estimate, 0.86);
    // without the parametric draw (normal ignored) the one site gives one answer every time
    const fixed = bootstrapRanks(
      [
        { model: "a", sites: one(0.86, 0.06) },
        { model: "b", sites: one(0.824, 0.067) },
      ],
      { pool: (d) => d[0]?.value ?? null, direction: "higher", seed: 7, replicates: 200 },
    );
    assert.deepEqual(
      fixed.map((r) => [r.rank_low, r.rank_high, r.group]),
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
    );
  });

  test("a model with nothing to pool is listed last, unranked", () => {
    const ranks = bootstrapRanks([model("m", 0.8, 2), { model: "empty", sites: new Map<string, number>() }], {
      pool: mean,
      direction: "higher",
      seed: 3,
      replicates: 50,
    });
    assert.equal(ranks[0]?.rank, 1);
    assert.deepEqual(ranks[1], {
      model: "empty",
      estimate: null,
      rank: null,
      rank_low: null,
      rank_high: null,
      group: null,
      sites: 0,
    });
  });

  test("bad options are programming errors", () => {
    assert.throws(() => bootstrapRanks(models, { pool: mean, direction: "higher", seed: 1.5 }), RangeError);
    assert.throws(
      () => bootstrapRanks(models, { pool: mean, direction: "higher", seed: 1, replicates: 0 }),
      RangeError,
    );
  });
});
