import assert from "node:assert/strict";
import { test } from "node:test";
import { driftAlerts } from "../../src/stats/drift.ts";

test("no alert while drops stay within max_drop (a drop equal to it does not cross it)", () => {
  const alerts = driftAlerts(
    [
      {
        model: "m",
        site: "s",
        runs: [
          { run: "r1", value: 0.9 },
          { run: "r2", value: 0.87 },
          { run: "r3", value: 0.85 },
          { run: "r4", value: 0.93 },
        ],
      },
    ],
    { maxDrop: 0.05, direction: "higher" },
  );
  assert.deepEqual(alerts, []);
});

test("a drop beyond max_drop from the best earlier run alerts", () => {
  const alerts = driftAlerts(
    [
      {
        model: "m",
        site: "s",
        runs: [
          { run: "r1", value: 0.9 },
          { run: "r2", value: 0.92 },
          { run: "r3", value: null },
          { run: "r4", value: 0.86 },
        ],
      },
      { model: "other", site: "s", runs: [{ run: "r1", value: 0.5 }] },
    ],
    { maxDrop: 0.05, direction: "higher" },
  );
  assert.equal(alerts.length, 1);
  const [alert] = alerts;
  assert.deepEqual(
    { ...alert, drop: undefined },
    {
      model: "m",
      site: "s",
      run: "r4",
      value: 0.86,
      baseline_run: "r2",
      baseline_value: 0.92,
      drop: undefined,
    },
  );
  assert.ok(Math.abs((alert?.drop as number) - 0.06) < 1e-12);
});

test("for a lower-is-better metric a rise is the drop", () => {
  const series = [
    {
      model: "m",
      site: "s",
      runs: [
        { run: "r1", value: 0.04 },
        { run: "r2", value: 0.03 },
        { run: "r3", value: 0.09 },
      ],
    },
  ];
  const alerts = driftAlerts(series, { maxDrop: 0.05, direction: "lower" });
  assert.deepEqual(
    alerts.map((a) => [a.run, a.baseline_run]),
    [["r3", "r2"]],
  );
  assert.deepEqual(driftAlerts(series, { maxDrop: 0.05, direction: "higher" }), []);
  assert.throws(() => driftAlerts(series, { maxDrop: -1, direction: "higher" }), RangeError);
});
