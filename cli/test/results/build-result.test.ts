/**
 * What survives of an evaluator's subgroup cells (results/build-result.ts): only cells of a
 * declared stratum whose label the benchmark declares; small cells lose their numbers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { poolingGap, readEvaluatorOutput, unpoolable } from "../../src/results/build-result.ts";
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
