/**
 * What survives of an evaluator's subgroup cells (results/build-result.ts): only cells of a
 * declared stratum whose label the benchmark declares; small cells lose their numbers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readEvaluatorOutput } from "../../src/results/build-result.ts";
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
