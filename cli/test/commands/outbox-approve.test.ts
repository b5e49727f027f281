import assert from "node:assert/strict";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { UserError } from "../../src/base/errors.ts";
import { workspace } from "../../src/base/workspace.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { type OutboxApproveOptions, outboxApproveCommand } from "../../src/commands/outbox-approve.ts";
import { outboxRejectCommand } from "../../src/commands/outbox-reject.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import type { Result } from "../../src/governance/types.ts";
import { signedDigest } from "../../src/results/approval.ts";
import type { OutboxEntry } from "../../src/results/outbox.ts";
import { checkResultSignature } from "../../src/results/signature.ts";
import { testSite } from "../helpers/fixtures.ts";
import { makeTree } from "../helpers/governance-tree.ts";
import {
  addPending,
  NOW,
  OWNER,
  outboxOf,
  pendingEntry,
  pendingSite,
  SITE,
} from "../helpers/site-workspace.ts";

const SITE_FILE = testSite(SITE);

async function setup(models = ["effusion-net-v2", "shortcut-cnn"]) {
  const { env, entries } = await pendingSite({ r1: models });
  const root = await makeTree();
  return { env, root, entries };
}

function approve(env: NodeJS.ProcessEnv, root: string, extra: Partial<OutboxApproveOptions> = {}) {
  const io = bufferIO();
  const run = outboxApproveCommand(
    { ids: [], root, yes: false, policy: false, env, cwd: "/", now: () => NOW, stdinIsTTY: false, ...extra },
    io,
  );
  return { io, run };
}

describe("fedeval outbox approve / reject", () => {
  it("--yes shows the exact file and the digest of the signed bytes, records who and when, then signs", async () => {
    const { env, root, entries } = await setup(["effusion-net-v2"]);
    const { io, run } = approve(env, root, { yes: true, as: OWNER });
    assert.equal(await run, 0);
    const entry = await outboxOf(env).read(entries[0]?.id as string);
    assert.equal(entry.state, "approved");
    const result = entry.result as Result;
    assert.deepEqual(result.approval, { by: OWNER, at: "2026-11-21T10:00:00Z", policy: "manual" });
    assert.equal(result.signature?.key, "demo-1");
    assert.equal(checkResultSignature(result, SITE_FILE).ok, true);
    const out = io.out.join("");
    assert.ok(
      out.includes(
        `--- benchmarks/pleural-effusion-demo/results/north-general-2026q4/effusion-net-v2.yaml (exactly as it will be submitted) ---\n${governanceFileText("result", result)}--- end of`,
      ),
      out,
    );
    assert.ok(out.includes(`sha256 ${signedDigest(result)}`));
    assert.match(io.err.join(""), /1 of 1 approved; submit with `fedeval submit --site north-general`/);
  });

  it("without a terminal and without --yes it refuses, and nothing is approved", async () => {
    const { env, root } = await setup();
    const { run } = approve(env, root, { as: OWNER });
    await assert.rejects(
      run,
      (e: Error) =>
        e instanceof UserError && /stdin is not a terminal: run it in a terminal, pass --yes/.test(e.message),
    );
    assert.deepEqual(
      (await outboxOf(env).list()).map((e) => e.state),
      ["pending", "pending"],
    );
  });

  it("asks for each entry: yes approves, no leaves it pending; the prompt is only reached with a terminal", async () => {
    const { env, root, entries } = await setup();
    const answers = [true, false];
    const asked: string[] = [];
    const { io, run } = approve(env, root, {
      as: OWNER,
      stdinIsTTY: true,
      confirm: async (m) => {
        asked.push(m);
        return answers.shift() as boolean;
      },
    });
    assert.equal(await run, 0);
    assert.equal(asked.length, 2);
    assert.match(asked[0] as string, /Approve this result as north-it and sign it/);
    const byId = new Map((await outboxOf(env).list()).map((e) => [e.id, e.state]));
    assert.equal(byId.get(entries[0]?.id as string), "approved");
    assert.equal(byId.get(entries[1]?.id as string), "pending");
    assert.match(io.out.join(""), /left .*shortcut-cnn--r1 pending/);
  });

  it("refuses an approver who is not an owner of the site, and a key file readable by others", async () => {
    const { env, root } = await setup(["effusion-net-v2"]);
    await assert.rejects(
      approve(env, root, { yes: true, as: "mallory" }).run,
      /mallory is not an owner of site north-general \(owners in sites\/north-general\.yaml: north-it\)/,
    );
    const key = join(workspace(env).site(SITE).keys, "demo-1.pem");
    await chmod(key, 0o640);
    await assert.rejects(approve(env, root, { yes: true, as: OWNER }).run, new RegExp(`chmod 600 ${key}`));
    assert.equal((await outboxOf(env).list())[0]?.state, "pending");
  });

  it("takes the approver from gh's signed-in user when --as is not given", async () => {
    const { env, root } = await setup(["effusion-net-v2"]);
    const gh = join(env.HOME as string, "gh");
    await mkdir(gh, { recursive: true });
    await writeFile(join(gh, "hosts.yml"), "github.com:\n    user: north-it\n    git_protocol: https\n");
    assert.equal(await approve({ ...env, GH_CONFIG_DIR: gh }, root, { yes: true }).run, 0);
    const [entry] = (await outboxOf(env).list()) as [OutboxEntry];
    assert.equal((entry.result as Result).approval?.by, "north-it");
  });

  it("--policy approves only what the site policy allows, as site-policy, and lists why the others wait", async () => {
    const { env, root, entries } = await setup(["effusion-net-v2", "shortcut-cnn", "reference-logistic"]);
    await addPending(env, [
      pendingEntry("effusion-net-v2", "r2", SITE, (r) => {
        r.n = 12;
      }),
    ]);
    await writeFile(
      workspace(env).site(SITE).policy,
      "schema: fedeval/site-policy@1\napprover: north-it\nauto_approve:\n  benchmarks: [pleural-effusion-demo]\n  models: [effusion-net-v2, reference-logistic]\n  min_n: 20\n  subgroups: allowed\n",
    );
    const { io, run } = approve(env, root, { policy: true });
    assert.equal(await run, 0);
    const states = new Map((await outboxOf(env).list()).map((e) => [e.id, e]));
    for (const e of [entries[0], entries[2]]) {
      const approved = states.get(e?.id as string) as OutboxEntry;
      assert.equal(approved.state, "approved");
      assert.deepEqual((approved.result as Result).approval, {
        by: "north-it",
        at: "2026-11-21T10:00:00Z",
        policy: "site-policy",
      });
    }
    assert.equal(states.get(entries[1]?.id as string)?.state, "pending");
    const out = io.out.join("");
    assert.match(
      out,
      /held pleural-effusion-demo--north-general-2026q4--shortcut-cnn--r1: model shortcut-cnn is not in auto_approve.models/,
    );
    assert.match(
      out,
      /held pleural-effusion-demo--north-general-2026q4--effusion-net-v2--r2: n = 12 is below min_n 20/,
    );
    assert.doesNotMatch(out, /auc/, "policy mode never prints metric values");
    assert.match(io.err.join(""), /2 approved by the site policy, 2 held for a person/);
  });

  it("reject moves the entry to rejected/ with the reason; it is never submitted", async () => {
    const { env, entries } = await setup(["effusion-net-v2"]);
    const id = entries[0]?.id as string;
    const io = bufferIO();
    assert.equal(
      await outboxRejectCommand({ id, reason: "wrong  dataset\nversion", env, cwd: "/", now: () => NOW }, io),
      0,
    );
    assert.deepEqual(await outboxOf(env).list(), []);
    const dir = workspace(env).site(SITE).outbox;
    assert.deepEqual(await readdir(join(dir, "rejected")), [`${id}.json`]);
    const kept = JSON.parse(await readFile(join(dir, "rejected", `${id}.json`), "utf8"));
    assert.deepEqual(kept.notes, ["rejected at 2026-11-21T10:00:00Z: wrong dataset version"]);
    await assert.rejects(
      outboxRejectCommand({ id, env, cwd: "/", now: () => NOW }, bufferIO()),
      /no outbox entry/,
    );
  });
});
