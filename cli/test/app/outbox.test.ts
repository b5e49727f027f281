import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { listOutbox, rejectOutboxEntry, showOutboxEntry } from "../../src/app/outbox.ts";
import { memoryLogger } from "../../src/base/logger.ts";
import { workspace } from "../../src/base/workspace.ts";
import { testEnv } from "../helpers/git.ts";
import { addPending, NOW, outboxOf, pendingEntry, SITE } from "../helpers/site-workspace.ts";

async function setup() {
  const env = await testEnv();
  const entries = [
    pendingEntry("effusion-net-v2", "r1"),
    pendingEntry("shortcut-cnn", "r1", SITE, (r) => {
      r.partial = true;
    }),
  ];
  await addPending(env, entries);
  return { env, entries, cwd: "/" };
}

describe("app: the outbox", () => {
  it("listOutbox summarizes each entry without its values", async () => {
    const { env, entries, cwd } = await setup();
    const rows = await listOutbox({ env, cwd });
    assert.deepEqual(
      rows.map((r) => [r.id, r.site, r.state, r.model, r.partial, r.dropped, r.pull_request]),
      entries.map((e) => [e.id, SITE, "pending", e.result.model, e.result.partial === true, 0, null]),
    );
    assert.doesNotMatch(JSON.stringify(rows), /auc|0\.86/);
    assert.deepEqual(await listOutbox({ env, cwd, sent: true }), []);
  });

  it("showOutboxEntry gives the file it would be submitted as and its text", async () => {
    const { env, entries, cwd } = await setup();
    const view = await showOutboxEntry({ id: entries[0]?.id as string, env, cwd });
    assert.equal(view.entry.id, entries[0]?.id);
    assert.equal(view.file, `benchmarks/pleural-effusion-demo/results/${SITE}-2026q4/effusion-net-v2.yaml`);
    assert.match(view.text, /^schema: fedeval\/result@1$/m);
    assert.equal(view.sent, false);
    await assert.rejects(showOutboxEntry({ id: "nothing-here", env, cwd }), /no outbox entry nothing-here/);
  });

  it("showOutboxEntry shows an entry that `outbox ls --sent` lists", async () => {
    const { env, entries, cwd } = await setup();
    const id = entries[0]?.id as string;
    await outboxOf(env).archive(id, "sent");
    assert.deepEqual(
      (await listOutbox({ env, cwd, sent: true })).map((r) => r.id),
      [id],
    );
    const view = await showOutboxEntry({ id, env, cwd });
    assert.equal(view.sent, true);
    assert.equal(view.entry.id, id);
    assert.match(view.text, /^schema: fedeval\/result@1$/m);
  });

  it("rejectOutboxEntry keeps the entry in rejected/ with the reason", async () => {
    const { env, entries, cwd } = await setup();
    const id = entries[0]?.id as string;
    const rejection = await rejectOutboxEntry({
      id,
      reason: "wrong dataset",
      env,
      cwd,
      now: () => NOW,
      logger: memoryLogger(),
    });
    const dir = workspace(env).site(SITE).outbox;
    assert.deepEqual(rejection, { id, site: SITE, keptIn: `${dir}/rejected` });
    assert.deepEqual(await readdir(join(dir, "rejected")), [`${id}.json`]);
    assert.deepEqual(
      (await outboxOf(env).list()).map((e) => e.id),
      [entries[1]?.id],
    );
  });
});
