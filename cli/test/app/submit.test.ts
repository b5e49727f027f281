/**
 * The submit app function's report, as both shells (`fedeval submit` and the action's submit
 * mode) format it: what went on which branch, what was held and why, and when nothing connects.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type SubmitRequest, submitResults } from "../../src/app/submit.ts";
import { memoryLogger } from "../../src/base/logger.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { outboxApproveCommand } from "../../src/commands/outbox-approve.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { remoteBranches } from "../helpers/git.ts";
import { NOW, OWNER, outboxOf, SITE, SITE_RESULTS, siteToSubmit } from "../helpers/site-workspace.ts";

/** A governance remote without north-general's results; the site's outbox with pending entries of run r1. */
async function site(models: string[]) {
  const { env, root, remote } = await siteToSubmit({ r1: models });
  const gov = { root, remote };
  const request = (extra: Partial<SubmitRequest> = {}): SubmitRequest => ({
    root: gov.root,
    dryRun: false,
    site: SITE,
    env,
    cwd: "/",
    now: () => NOW,
    logger: memoryLogger(),
    ...extra,
  });
  return { env, ...gov, request };
}

async function approveAll(env: NodeJS.ProcessEnv, root: string): Promise<void> {
  const io = bufferIO();
  const code = await outboxApproveCommand(
    { ids: [], root, yes: true, as: OWNER, policy: false, env, cwd: "/", now: () => NOW, stdinIsTTY: false },
    io,
  );
  assert.equal(code, 0, io.err.join(""));
}

describe("submitResults", () => {
  it("with nothing approved connects to nothing, unless asked to", async () => {
    const { env, remote, request } = await site(["effusion-net-v2", "shortcut-cnn"]);
    const idle = await submitResults(request());
    assert.deepEqual(idle, { site: SITE, pending: 2, groups: [], held: [], alreadyMerged: [], finished: [] });
    const connected = await submitResults(request({ connectWhenNothingApproved: true }));
    assert.equal(connected.base, "main");
    assert.deepEqual(connected.groups, []);
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
  });

  it("reports each run's branch and entries, and each held entry with why and what to do", async () => {
    const { env, root, remote, request } = await site(["effusion-net-v2", "shortcut-cnn"]);
    await approveAll(env, root);
    const outbox = outboxOf(env);
    const tampered = (await outbox.list()).find((e) => e.result.model === "effusion-net-v2");
    assert.ok(tampered);
    const file = join(outbox.dir, `${tampered.id}.json`);
    await writeFile(file, (await readFile(file, "utf8")).replace('"value": 0.86', '"value": 0.87'));

    const report = await submitResults(request());
    assert.equal(report.base, "main");
    assert.equal(report.pending, 0);
    assert.deepEqual(
      report.groups.map((g) => ({
        run: g.run,
        entries: g.entries,
        branch: g.outcome.branch,
        files: [...g.files.keys()],
      })),
      [
        {
          run: "r1",
          entries: [`${BENCHMARK}--north-general-2026q4--shortcut-cnn--r1`],
          branch: `fedeval/${SITE}/results-r1`,
          files: [`${SITE_RESULTS}/shortcut-cnn.yaml`],
        },
      ],
    );
    assert.equal(report.groups[0]?.outcome.pushed, true);
    assert.deepEqual(
      report.held.map((h) => h.id),
      [tampered.id],
    );
    assert.match(report.held[0]?.reasons[0] ?? "", /signature does not verify .*\[FE304\]$/);
    assert.match(report.held[0]?.next ?? "", /changed after it was approved and signed/);
    assert.deepEqual(report.alreadyMerged, []);
    assert.deepEqual(report.finished, []);
    assert.deepEqual(remoteBranches(remote, env), [`fedeval/${SITE}/results-r1`, "main"]);
  });
});
