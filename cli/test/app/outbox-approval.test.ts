import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { type ApprovalRequest, approveOutbox, type ReviewAnswer } from "../../src/app/outbox-approval.ts";
import { workspace } from "../../src/base/workspace.ts";
import type { Result } from "../../src/governance/types.ts";
import { resultCapacity } from "../../src/results/precision.ts";
import { testBenchmark } from "../helpers/fixtures.ts";
import { makeTree, TEST_IMAGES } from "../helpers/governance-tree.ts";
import { NOW, OWNER, outboxOf, pendingSite, SITE } from "../helpers/site-workspace.ts";

async function setup(models: string[]) {
  const { env, entries } = await pendingSite({ r1: models });
  const root = await makeTree();
  const request = (extra: Partial<ApprovalRequest>): ApprovalRequest => ({
    ids: [],
    root,
    policy: false,
    env,
    cwd: "/",
    now: () => NOW,
    ...extra,
  });
  return { env, entries, request };
}

describe("app: outbox approval", () => {
  it("by policy: approves what the policy allows and reports why the others are held", async () => {
    const { env, entries, request } = await setup(["effusion-net-v2", "shortcut-cnn"]);
    await writeFile(
      workspace(env).site(SITE).policy,
      `schema: fedeval/site-policy@1\napprover: ${OWNER}\nauto_approve:\n  benchmarks: [pleural-effusion-demo]\n  models: [effusion-net-v2]\n  min_n: 20\n  subgroups: allowed\n`,
    );
    const report = await approveOutbox(request({ policy: true }));
    assert.deepEqual(report, {
      site: SITE,
      pending: 2,
      interrupted: false,
      decisions: [
        { id: entries[0]?.id, outcome: "approved", by: OWNER, policy: "site-policy", key: "demo-1" },
        {
          id: entries[1]?.id,
          outcome: "held",
          reasons: ["model shortcut-cnn is not in auto_approve.models"],
        },
      ],
    });
    assert.deepEqual(
      (await outboxOf(env).list()).map((e) => e.state),
      ["approved", "pending"],
    );
  });

  it("by a person: each entry is reviewed with its screen; stop leaves the rest pending", async () => {
    const { env, entries, request } = await setup(["effusion-net-v2", "reference-logistic", "shortcut-cnn"]);
    const answers: ReviewAnswer[] = ["leave", "approve", "stop"];
    const screens: string[] = [];
    const report = await approveOutbox(
      request({
        as: OWNER,
        review: async ({ by, screen }) => {
          assert.equal(by, OWNER);
          screens.push(screen);
          return answers.shift() as ReviewAnswer;
        },
      }),
    );
    assert.equal(screens.length, 3);
    assert.match(screens[0] as string, /\(exactly as it will be submitted\)[\s\S]*sha256 [0-9a-f]{64}/);
    // the covert channel's width, from the entry's own numbers and the benchmark's precision
    const { bits, reals, counts } = resultCapacity(
      entries[0]?.result as Result,
      testBenchmark(TEST_IMAGES).metrics,
    );
    assert.ok(bits > 100 && reals > 0 && counts > 0);
    assert.match(
      screens[0] as string,
      new RegExp(
        `\n {2}its numbers can carry at most ${Math.ceil(bits)} bits \\(${reals} rounded reals, ${counts} counts\\): the most a hostile evaluator could hide in them\n`,
      ),
    );
    assert.deepEqual(report.decisions, [
      { id: entries[0]?.id, outcome: "left" },
      { id: entries[1]?.id, outcome: "approved", by: OWNER, policy: "manual", key: "demo-1" },
    ]);
    assert.equal(report.interrupted, true);
    const states = new Map((await outboxOf(env).list()).map((e) => [e.id, e.state]));
    assert.deepEqual(
      entries.map((e) => states.get(e.id)),
      ["pending", "approved", "pending"],
    );
  });

  it("refuses without a review or the policy; names an entry that is not pending as skipped", async () => {
    const { request, entries } = await setup(["effusion-net-v2"]);
    await assert.rejects(approveOutbox(request({ as: OWNER })), /approving needs a person to confirm/);
    const id = entries[0]?.id as string;
    await approveOutbox(request({ as: OWNER, review: async () => "approve" }));
    const again = await approveOutbox(request({ ids: [id], as: OWNER, review: async () => "approve" }));
    assert.deepEqual(again, {
      site: SITE,
      pending: 0,
      interrupted: false,
      decisions: [{ id, outcome: "skipped", state: "approved" }],
    });
  });
});
