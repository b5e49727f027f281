import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import schema from "../../../schemas/site-policy.schema.json" with { type: "json" };
import { UserError } from "../../src/base/errors.ts";
import { policyHolds, readSitePolicy, type SitePolicy } from "../../src/results/site-policy.ts";
import { NOW, pendingEntry } from "../helpers/site-workspace.ts";

async function policyFile(text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "fedeval-policy-")), "policy.yaml");
  await writeFile(file, text);
  return file;
}

const POLICY: SitePolicy = {
  schema: "fedeval/site-policy@1",
  approver: "north-it",
  auto_approve: { benchmarks: ["pleural-effusion-demo"], min_n: 20, subgroups: "allowed" },
};

describe("site policy", () => {
  it("reads the schema's own example, and approves an entry that meets every condition", async () => {
    const example = schema.examples[0] as SitePolicy;
    assert.deepEqual(await readSitePolicy(await policyFile(stringify(example))), example);
    assert.deepEqual(policyHolds(POLICY, pendingEntry("effusion-net-v2", "r1"), NOW), []);
  });

  it("holds an entry for each condition it fails, saying which", () => {
    const held = (policy: SitePolicy, change: Parameters<typeof pendingEntry>[3], dropped = false) => {
      const entry = pendingEntry("effusion-net-v2", "r1", undefined, change);
      if (dropped) entry.dropped = [{ path: "metrics.auc.note", why: "not a declared field" }];
      return policyHolds(policy, entry, NOW);
    };
    const rule = (extra: Partial<SitePolicy["auto_approve"]>): SitePolicy => ({
      ...POLICY,
      auto_approve: { ...POLICY.auto_approve, ...extra },
    });
    assert.deepEqual(held(rule({ benchmarks: ["other"] }), undefined), [
      "benchmark pleural-effusion-demo is not in auto_approve.benchmarks",
    ]);
    assert.deepEqual(held(rule({ models: ["reference-logistic"] }), undefined), [
      "model effusion-net-v2 is not in auto_approve.models",
    ]);
    assert.deepEqual(
      held(POLICY, (r) => {
        r.n = 19;
      }),
      ["n = 19 is below min_n 20"],
    );
    assert.deepEqual(held(POLICY, undefined, true), [
      "the evaluator wrote 1 thing fedeval dropped (metrics.auc.note)",
    ]);
    assert.deepEqual(held(rule({ require_no_dropped: false }), undefined, true), []);
    assert.deepEqual(
      held(POLICY, (r) => {
        r.partial = true;
      }),
      ["the result is partial"],
    );
    assert.deepEqual(held(rule({ subgroups: "suppressed-only" }), undefined), [
      "2 subgroup cells with metrics (policy: subgroups: suppressed-only)",
    ]);
    assert.deepEqual(
      held(rule({ subgroups: undefined }), (r) => {
        r.subgroups = [{ stratum: "sex", cell: "F", suppressed: true }];
      }),
      [],
    );
    assert.deepEqual(
      held(rule({ max_age_days: 1 }), (r) => {
        r.provenance.finished_at = "2026-11-10T00:00:00Z";
      }),
      ["the run finished 11 days ago, more than max_age_days 1"],
    );
  });

  it("refuses an invalid policy file with file:line:col for each problem", async () => {
    const file = await policyFile(
      'schema: fedeval/site-policy@1\napprover: north-it\nauto_approve:\n  benchmarks: [pleural-effusion-demo]\n  min_n: "20"\n  everything: true\n',
    );
    await assert.rejects(readSitePolicy(file), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, new RegExp(`${file}:5:10: auto_approve.min_n must be integer, not string`));
      assert.match(e.message, new RegExp(`${file}:6:3: unknown field "everything" in auto_approve`));
      return true;
    });
    await assert.rejects(readSitePolicy(await policyFile("auto_approve: [")), /site policy is invalid/);
    await assert.rejects(
      readSitePolicy(join(tmpdir(), "no-such-dir-fedeval", "policy.yaml")),
      /no site policy at .*approve by hand/,
    );
  });

  it("is tagged fedeval/site-policy@1 (descriptions: schemas/meta.test.ts)", () => {
    assert.equal(schema.properties.schema.const, "fedeval/site-policy@1");
  });
});
