/**
 * What survives of an evaluator's subgroup cells (results/build-result.ts): only cells of a
 * declared stratum whose label the benchmark declares; small cells lose their numbers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { poolingGap, readEvaluatorOutput, unpoolable } from "../../src/results/build-result.ts";
import { bitsPerReal, resultCapacity } from "../../src/results/precision.ts";
import { testBenchmark } from "../helpers/fixtures.ts";
import { TEST_IMAGES } from "../helpers/governance-tree.ts";

test("subgroup cells: declared labels only, small cells suppressed, the reasons quote no label", () => {
  // cells: sex [F, M], age_band [18-39, 40-64, 65+], scanner_vendor [vendor-a, vendor-b]; min_cell 20
  const output = readEvaluatorOutput(
    testBenchmark(TEST_IMAGES),
    {
      n: 400,
      metrics: { ece: { value: 0.05, se: 0.01 } },
      subgroups: [
        { stratum: "sex", cell: "F", n: 210, metrics: { ece: { value: 0.04 } } },
        { stratum: "sex", cell: "patient 0042 positive", n: 25, metrics: { ece: { value: 0.04 } } },
        { stratum: "scanner_vendor", cell: "vendor-b", n: 3, metrics: { ece: { value: 0.2 } } },
        { stratum: "scanner_vendor", cell: "p0043", n: 1 },
        { stratum: "ward", cell: "ICU", n: 30 },
      ],
    },
    400,
  );
  assert.deepEqual(output.subgroups, [
    { stratum: "sex", cell: "F", n: 210, metrics: { ece: { value: 0.04 } } },
    { stratum: "scanner_vendor", cell: "vendor-b", suppressed: true },
  ]);
  assert.deepEqual(output.dropped, [
    { path: "subgroups[1]", why: "not one of the cells the benchmark declares for its stratum" },
    { path: "subgroups[3]", why: "not one of the cells the benchmark declares for its stratum" },
    { path: "subgroups[4]", why: "not a cell of a declared stratum with a label and a count" },
  ]);
  assert.doesNotMatch(JSON.stringify(output.dropped), /patient|p0043|ICU/);
});

/** The test benchmark with MedPerf's chest X-ray metrics: AUC and Accuracy, pooled as declared. */
function chestXray(pooling: "mean" | "histogram") {
  const benchmark = testBenchmark(TEST_IMAGES);
  const bins = pooling === "histogram" ? { histogram_bins: 20 } : {};
  benchmark.metrics = [
    { id: "auc", key: "AUC", group: "accuracy", direction: "higher", range: [0, 1], pooling, ...bins },
    {
      id: "accuracy",
      key: "Accuracy",
      group: "accuracy",
      direction: "higher",
      range: [0, 1],
      pooling: "mean",
    },
  ];
  return benchmark;
}

test("metric keys: MedPerf's flat results.yaml is read through each metric's key", () => {
  const output = readEvaluatorOutput(chestXray("mean"), { AUC: 0.75, Accuracy: 0.8, auc: 0.99 }, 120);
  assert.deepEqual(output.metrics, { auc: { value: 0.75 }, accuracy: { value: 0.8 } });
  assert.equal(output.n, 120);
  // the id itself is no longer where auc is read: an `auc` key is undeclared
  assert.deepEqual(output.dropped, [{ path: "metrics.auc", why: "not a metric the benchmark declares" }]);
  assert.deepEqual(unpoolable(chestXray("mean"), output), []);
});

test("metric keys: nested keys read nested mappings; keys beside them are dropped", () => {
  const benchmark = testBenchmark(TEST_IMAGES);
  benchmark.metrics = [
    { id: "dice_et", key: ["Dice", "ET"], group: "accuracy", direction: "higher", pooling: "mean" },
    { id: "dice_tc", key: ["Dice", "TC"], group: "accuracy", direction: "higher", pooling: "mean" },
  ];
  const output = readEvaluatorOutput(
    benchmark,
    { Dice: { ET: 0.81, TC: { value: 0.7 }, WT: 0.9 }, Hausdorff95: { ET: 3.2 } },
    40,
  );
  assert.deepEqual(output.metrics, { dice_et: { value: 0.81 }, dice_tc: { value: 0.7 } });
  assert.deepEqual(
    output.dropped.map((d) => d.path),
    ["metrics.Dice.WT", "metrics.Hausdorff95"],
  );
});

test("a metric whose pooling needs more than MedPerf's flat value is named with what is missing", () => {
  const benchmark = chestXray("histogram");
  const output = readEvaluatorOutput(benchmark, { AUC: 0.75, Accuracy: 0.8 }, 120);
  assert.deepEqual(output.metrics.auc, { value: 0.75 });
  assert.deepEqual(unpoolable(benchmark, output), [
    'auc pools by "histogram" across sites and needs "histogram" beside its value',
  ]);
  const spec = testBenchmark(TEST_IMAGES).metrics.find((m) => m.id === "sensitivity");
  assert.ok(spec);
  assert.deepEqual(poolingGap(spec, { value: 0.7 }), {
    field: [],
    message: 'sensitivity pools by "counts" across sites and needs "counts" beside its value',
  });
  assert.equal(
    poolingGap(spec, { value: null, reason: "undefined" }),
    undefined,
    "a null value needs nothing",
  );
});

test("every real number is rounded to the metric's precision before anyone sees it: a covert channel of bounded width", () => {
  const benchmark = testBenchmark(TEST_IMAGES);
  const ece = benchmark.metrics.find((m) => m.id === "ece");
  assert.ok(ece);
  // 32 bits hidden in the low digits of each number, as a hostile evaluator did
  const raw = { value: 0.0512345678, se: 0.0101234567, ci: [0.0312345678, 0.0712345678], n: 400 };
  const output = readEvaluatorOutput(benchmark, { n: 400, metrics: { ece: raw } }, 400);
  assert.deepEqual(output.metrics.ece, { value: 0.05123, se: 0.01012, ci: [0.03123, 0.07123], n: 400 });
  assert.deepEqual(output.dropped, []);

  // a declared precision of 2 digits, in subgroup cells too
  ece.precision = 2;
  const two = readEvaluatorOutput(
    benchmark,
    {
      n: 400,
      metrics: { ece: raw },
      subgroups: [{ stratum: "sex", cell: "F", n: 210, metrics: { ece: { value: 0.04449 } } }],
    },
    400,
  );
  assert.deepEqual(two.metrics.ece, { value: 0.051, se: 0.01, ci: [0.031, 0.071], n: 400 });
  assert.deepEqual(two.subgroups, [
    { stratum: "sex", cell: "F", n: 210, metrics: { ece: { value: 0.044 } } },
  ]);
});

test("the most bits a result can carry: each rounded real, each count, each optional field", () => {
  const benchmark = testBenchmark(TEST_IMAGES);
  assert.equal(bitsPerReal(4).toFixed(2), "23.44");
  assert.ok(bitsPerReal(2) < bitsPerReal(4) && bitsPerReal(4) < bitsPerReal(6));
  const one = resultCapacity({ n: 400, metrics: { ece: { value: 0.05, se: 0.01 } } }, benchmark.metrics);
  // n, then value (or null) + 5 optional fields + se
  assert.equal(one.bits, Math.log2(401) + bitsPerReal(4) + 5 + bitsPerReal(4));
  assert.deepEqual([one.reals, one.counts], [2, 1]);
  const counts = { tp: 90, fp: 30, tn: 250, fn: 30 };
  const more = resultCapacity(
    {
      n: 400,
      metrics: { sensitivity: { value: 0.75, counts } },
      subgroups: [
        { stratum: "sex", cell: "F", n: 210, metrics: { sensitivity: { value: 0.7, counts } } },
        { stratum: "sex", cell: "M", suppressed: true },
      ],
    },
    benchmark.metrics,
  );
  assert.deepEqual([more.reals, more.counts], [2, 1 + 4 + 1 + 4]);
  assert.equal(Math.round(more.bits), Math.round(10 * Math.log2(401) + 2 * (bitsPerReal(4) + 5) + 2));
});
