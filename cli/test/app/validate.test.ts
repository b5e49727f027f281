/** validateGovernance's typed report: the problems of a change, its author's ownership, the changed entities. */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { validateGovernance } from "../../src/app/validate.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { commitAll } from "../helpers/git.ts";
import { makeTree } from "../helpers/governance-tree.ts";

const RESULT = `benchmarks/${BENCHMARK}/results/north-general-2026q4/effusion-net-v2.yaml`;

describe("validateGovernance", () => {
  it("checks the ownership of a changed result for its author, and names the changed result", async () => {
    const root = await makeTree();
    const base = commitAll(root, "base");
    const text = await readFile(join(root, RESULT), "utf8");
    await writeFile(join(root, RESULT), `${text}\n`);

    const owner = await validateGovernance({ root, changedSince: base, author: "north-it" });
    assert.equal(owner.valid, true);
    assert.deepEqual(owner.diagnostics, []);
    assert.deepEqual(
      owner.changes?.map((c) => [c.status, c.file]),
      [["modified", RESULT]],
    );
    const [entity] = owner.changed ?? [];
    assert.ok(entity?.kind === "result", `a changed result, not ${entity?.kind}`);
    assert.deepEqual(
      [entity.benchmark, entity.dataset, entity.model],
      [BENCHMARK, "north-general-2026q4", "effusion-net-v2"],
    );
    assert.equal(entity.data?.model, "effusion-net-v2");

    const other = await validateGovernance({ root, changedSince: base, author: "east-valley-radiology" });
    assert.equal(other.valid, false);
    assert.equal(other.errors, 1);
    const [problem] = other.diagnostics;
    assert.equal(problem?.rule, "FE401");
    assert.equal(problem?.file, RESULT);
    assert.match(problem?.message ?? "", /^east-valley-radiology may not change this file/);

    const unchecked = await validateGovernance({ root, changedSince: base });
    assert.equal(unchecked.valid, true, "without an author, ownership is not checked");
  });
});
