import assert from "node:assert/strict";
import { test } from "node:test";
import { subgroupGaps } from "../../src/stats/subgroups.ts";

test("gap is max − min over visible cells; suppressed cells are listed, never counted as 0", () => {
  const gaps = subgroupGaps([
    { stratum: "sex", cell: "F", value: 0.897 },
    { stratum: "scanner_vendor", cell: "vendor-a", value: 0.91 },
    { stratum: "sex", cell: "M", value: 0.882 },
    { stratum: "scanner_vendor", cell: "vendor-b", value: 0.86 },
    // A suppressed cell that (wrongly) carries a 0 must not become the minimum.
    { stratum: "scanner_vendor", cell: "vendor-c", value: 0, suppressed: true },
    { stratum: "scanner_vendor", cell: "vendor-d", value: null },
  ]);
  assert.deepEqual(
    gaps.map((g) => g.stratum),
    ["sex", "scanner_vendor"],
  );
  const [sex, vendor] = gaps;
  assert.ok(sex && vendor);
  assert.ok(Math.abs((sex.gap as number) - 0.015) < 1e-12);
  assert.deepEqual(sex.lowest, { cell: "M", value: 0.882 });
  assert.ok(Math.abs((vendor.gap as number) - 0.05) < 1e-12);
  assert.deepEqual(vendor.lowest, { cell: "vendor-b", value: 0.86 });
  assert.deepEqual(vendor.highest, { cell: "vendor-a", value: 0.91 });
  assert.equal(vendor.visible, 2);
  assert.deepEqual(vendor.suppressed, ["vendor-c"]);
  assert.deepEqual(vendor.missing, ["vendor-d"]);
});

test("all cells suppressed, or one visible cell: no gap", () => {
  const [allSuppressed, single] = subgroupGaps([
    { stratum: "age_band", cell: "18-40", value: null, suppressed: true },
    { stratum: "age_band", cell: "40-65", value: null, suppressed: true },
    { stratum: "sex", cell: "F", value: 0.9 },
    { stratum: "sex", cell: "M", value: null, suppressed: true },
  ]);
  assert.deepEqual(allSuppressed, {
    stratum: "age_band",
    gap: null,
    lowest: null,
    highest: null,
    visible: 0,
    suppressed: ["18-40", "40-65"],
    missing: [],
  });
  assert.equal(single?.gap, null);
  assert.equal(single?.visible, 1);
  assert.deepEqual(single?.suppressed, ["M"]);
});
