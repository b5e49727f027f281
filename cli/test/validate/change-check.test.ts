/**
 * The PR check (`validate --changed-since`) on real git history: what a change does to signed
 * committee decisions, and to the rest of the repository once merged into its base.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Diagnostic } from "../../src/base/diagnostics.ts";
import { editYaml } from "../../src/formats/yaml-write.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { BENCHMARK as BENCHMARK_ID, MEMBER, memberEntry } from "../helpers/fixtures.ts";
import { commitAll, gitIn } from "../helpers/git.ts";
import { decideIn, makeTree } from "../helpers/governance-tree.ts";

const B = `benchmarks/${BENCHMARK_ID}`;
const BENCHMARK = `${B}/benchmark.yaml`;
const MODEL = `${B}/models/effusion-net-v2.yaml`;
const SHORTCUT = `${B}/models/shortcut-cnn.yaml`;
const RESULT = `${B}/results/north-general-2026q4/effusion-net-v2.yaml`;

/** A committed test tree whose model effusion-net-v2 waits for the committee (status: proposed, unsigned). */
async function repo(): Promise<string> {
  const root = await makeTree((f) => {
    f.set(
      MODEL,
      editYaml(f.get(MODEL) as string, [
        [["approvals"], undefined],
        [["status"], "proposed"],
      ]),
    );
    for (const [path] of f)
      if (path.includes("/results/") && path.endsWith("/effusion-net-v2.yaml")) f.delete(path);
  });
  gitIn(root, "init", "-q", "--initial-branch=main");
  commitAll(root, "main");
  return root;
}

async function edit(root: string, path: string, change: (text: string) => string): Promise<void> {
  await writeFile(join(root, path), change(await readFile(join(root, path), "utf8")));
}

async function check(root: string, author?: string): Promise<Diagnostic[]> {
  const report = await validateRepository({
    root,
    changedSince: "main",
    author: author ? { login: author } : undefined,
  });
  return report.diagnostics.filter((d) => d.severity === "error");
}

const show = (d: Diagnostic[]) => d.map((x) => `${x.file}:${x.line} ${x.rule} ${x.message}`).join("\n");
const rules = (d: Diagnostic[]) => d.map((x) => `${x.file} ${x.rule}`).sort();

describe("the PR check: signed decisions in a change", () => {
  it("the vendor proposes, a member signs on the vendor's branch, the check passes whoever authored the commits", async () => {
    const root = await repo();
    gitIn(root, "checkout", "-qb", "vendor");
    await decideIn(root, MODEL, { setStatus: true });
    commitAll(root, "approval (commit author: anyone)");
    assert.deepEqual(await check(root, "acme-imaging"), []);
  });

  it("refuses an approval signed with a key the same change adds", async () => {
    const root = await repo();
    gitIn(root, "checkout", "-qb", "sneaky");
    const second = { ...memberEntry(MEMBER, "chair-2"), login: MEMBER };
    await edit(root, BENCHMARK, (t) =>
      editYaml(t, [[["members"], [{ login: MEMBER, keys: [...memberEntry().keys, ...second.keys] }]]]),
    );
    await decideIn(root, MODEL, { keyId: "chair-2", setStatus: true });
    commitAll(root, "new key and its approval");
    const d = await check(root, MEMBER);
    assert.deepEqual(rules(d), [`${BENCHMARK} FE609`, `${MODEL} FE607`], show(d));
    const fe607 = d.find((x) => x.rule === "FE607") as Diagnostic;
    assert.match(fe607.message, /committee-chair's key "chair-2" is added by this change/);
    const text = await readFile(join(root, MODEL), "utf8");
    assert.equal(fe607.line, text.split("\n").findIndex((l) => l.includes("key: chair-2")) + 1);
  });

  it("refuses a change that adds a member and approves with the new member's key at once", async () => {
    const root = await repo();
    gitIn(root, "checkout", "-qb", "takeover");
    await edit(root, BENCHMARK, (t) =>
      editYaml(t, [[["members"], [memberEntry(), memberEntry("mallory", "m-1")]]]),
    );
    await decideIn(root, MODEL, { login: "mallory", keyId: "m-1", setStatus: true });
    commitAll(root, "mallory joins and approves");
    const d = await check(root, "mallory");
    assert.ok(
      d.some((x) => x.rule === "FE607" && x.file === MODEL),
      show(d),
    );
    const fe609 = d.find((x) => x.rule === "FE609") as Diagnostic;
    assert.match(
      fe609.message,
      /this change to benchmark pleural-effusion-demo \(its members or their keys\) needs 1 signed approval by committee members listed before it \(committee-chair\), besides mallory who asks/,
    );
  });

  it("a benchmark change signed by a member listed before it passes; by its own author it does not count", async () => {
    const root = await repo();
    gitIn(root, "checkout", "-qb", "bump");
    await edit(root, BENCHMARK, (t) => t.replace("max_drop: 0.05", "max_drop: 0.04"));
    await decideIn(root, BENCHMARK);
    commitAll(root, "drift threshold, signed");
    assert.deepEqual(await check(root, "demo-committee"), []);
    const own = await check(root, MEMBER);
    assert.deepEqual(rules(own), [`${BENCHMARK} FE609`], show(own));
  });

  it("refuses a change that removes a recorded approval", async () => {
    const root = await repo();
    gitIn(root, "checkout", "-qb", "forget");
    await edit(root, SHORTCUT, (t) =>
      editYaml(t, [
        [["approvals"], undefined],
        [["status"], "proposed"],
      ]),
    );
    commitAll(root, "forget the approval");
    const d = await check(root);
    assert.ok(
      d.some((x) => x.rule === "FE608" && x.file === SHORTCUT),
      show(d),
    );
  });
});

describe("the PR check: no new error anywhere", () => {
  it("reports errors a change brings into files it does not touch, at their file and line, with the changed file that caused them", async () => {
    const root = await makeTree();
    gitIn(root, "init", "-q", "--initial-branch=main");
    commitAll(root, "main");
    gitIn(root, "checkout", "-qb", "unapprove");
    // the owner sets their approved model back to proposed: every result of it would become invalid on main
    await edit(root, MODEL, (t) => editYaml(t, [[["status"], "proposed"]]));
    commitAll(root, "re-propose");
    const d = await check(root);
    const results = d.filter((x) => x.rule === "FE205");
    assert.equal(results.length, 3, show(d));
    assert.ok(results.every((x) => x.file.endsWith("/effusion-net-v2.yaml") && x.file.includes("/results/")));
    const one = results.find((x) => x.file === RESULT) as Diagnostic;
    const text = await readFile(join(root, RESULT), "utf8");
    assert.equal(one.line, text.split("\n").findIndex((l) => l.startsWith("model:")) + 1);
    assert.match(one.message, new RegExp(`\\(brought in by this change to ${MODEL}\\)$`));
    const full = await validateRepository({ root });
    assert.equal(full.valid, false, "main would indeed be invalid after the merge");
  });

  it("judges the merge into the base as it is now, not the branch alone: a merge that would break main is refused", async () => {
    const root = await makeTree();
    gitIn(root, "init", "-q", "--initial-branch=main");
    commitAll(root, "main");
    // a site starts a branch that changes a result of shortcut-cnn
    gitIn(root, "checkout", "-qb", "site");
    const result = `${B}/results/north-general-2026q4/shortcut-cnn.yaml`;
    await edit(root, result, (t) => t.replace("n: 400", "n: 400\n"));
    commitAll(root, "touch a result");
    assert.deepEqual(await check(root), [], "against the base it started from, the branch is fine");
    // meanwhile the committee suspends shortcut-cnn on main
    gitIn(root, "checkout", "-q", "main");
    await decideIn(root, SHORTCUT, { decision: "suspend", setStatus: true });
    commitAll(root, "suspend shortcut-cnn");
    gitIn(root, "checkout", "-q", "site");
    const d = await check(root);
    assert.deepEqual(rules(d), [`${result} FE205`], show(d));
    assert.match((d[0] as Diagnostic).message, /model "shortcut-cnn" is suspended/);
  });

  it("a branch that no longer merges cleanly fails with the conflicting file", async () => {
    const root = await makeTree();
    gitIn(root, "init", "-q", "--initial-branch=main");
    commitAll(root, "main");
    gitIn(root, "checkout", "-qb", "branch");
    await edit(root, SHORTCUT, (t) => t.replace("priority: 5", "priority: 6"));
    commitAll(root, "branch");
    gitIn(root, "checkout", "-q", "main");
    await edit(root, SHORTCUT, (t) => t.replace("priority: 5", "priority: 7"));
    commitAll(root, "main");
    gitIn(root, "checkout", "-q", "branch");
    const d = await check(root);
    assert.ok(
      d.some((x) => x.rule === "FE611" && x.file === SHORTCUT),
      show(d),
    );
  });
});
