/**
 * FE403: a change that moves ownership (a new dataset gives its site the dataset's results; a
 * site's or committee's owners change) without regenerating `.github/CODEOWNERS` fails the pull
 * request check, naming the file that caused it; elsewhere a stale file is a warning.
 */
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { updateCodeowners } from "../../src/app/codeowners.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { commitAll, gitIn } from "../helpers/git.ts";
import { makeTree, testDataset } from "../helpers/governance-tree.ts";

const DATASET = `benchmarks/${BENCHMARK}/datasets/north-general-2027q1.yaml`;

/** A committed tree whose CODEOWNERS is current, on a branch `change` off main. */
async function repository(): Promise<string> {
  const root = await makeTree();
  await updateCodeowners({ root, check: false });
  commitAll(root, "governance");
  gitIn(root, "checkout", "-q", "-b", "change");
  return root;
}

const fe403 = async (root: string, changedSince?: string) =>
  (await validateRepository({ root, changedSince })).diagnostics
    .filter((d) => d.rule === "FE403")
    .map((d) => `${d.file}:${d.line} ${d.severity} ${d.message}`);

describe("FE403 codeowners-stale", () => {
  it("a new dataset without its CODEOWNERS line fails the change that adds it, naming the dataset", async () => {
    const root = await repository();
    const dataset = {
      ...testDataset("north-general"),
      id: "north-general-2027q1",
      status: "proposed" as const,
    };
    delete dataset.approvals;
    await writeFile(join(root, DATASET), governanceFileText("dataset", dataset));
    commitAll(root, "register");
    const [found, ...more] = await fe403(root, "main");
    assert.deepEqual(more, []);
    assert.match(
      found ?? "",
      /^\.github\/CODEOWNERS:\d+ error \.github\/CODEOWNERS no longer follows the owners the governance files declare after this change to benchmarks\/pleural-effusion-demo\/datasets\/north-general-2027q1\.yaml: run `fedeval codeowners` and commit \.github\/CODEOWNERS in this change$/,
    );
    // the line it points at is where the regenerated file first differs: the new results line goes there
    const line = Number(/:(\d+) /.exec(found ?? "")?.[1]);
    await updateCodeowners({ root, check: false });
    const fixed = (await readFile(join(root, ".github/CODEOWNERS"), "utf8")).split("\n");
    assert.match(fixed[line - 1] ?? "", /\/results\/north-general-2027q1\/ @north-it$/);
    // regenerated in the same change: nothing to report
    commitAll(root, "codeowners");
    assert.deepEqual(await fe403(root, "main"), []);
  });

  it("owners changed in a site file: an error in that change; on the whole repository a warning", async () => {
    const root = await repository();
    const site = join(root, "sites/north-general.yaml");
    await writeFile(
      site,
      (await readFile(site, "utf8")).replace("owners: [north-it]", "owners: [north-radiology]"),
    );
    commitAll(root, "new owners");
    const [inChange] = await fe403(root, "main");
    assert.match(inChange ?? "", / error .* after this change to sites\/north-general\.yaml: /);
    const [whole] = await fe403(root);
    assert.match(
      whole ?? "",
      / warning \.github\/CODEOWNERS does not follow the owners .* \(line \d+\): run `fedeval codeowners`/,
    );
    assert.equal((await validateRepository({ root })).valid, true);
  });

  it("a change that moves no ownership is not blamed for a stale file already on main; no CODEOWNERS, no rule", async () => {
    const root = await repository();
    const codeowners = join(root, ".github/CODEOWNERS");
    await writeFile(codeowners, (await readFile(codeowners, "utf8")).replace("@north-it", "@someone-else"));
    commitAll(root, "stale on main");
    gitIn(root, "branch", "-f", "main", "HEAD");
    const result = join(root, `benchmarks/${BENCHMARK}/results/north-general-2026q4`);
    await rm(result, { recursive: true });
    commitAll(root, "withdraw results");
    assert.deepEqual(await fe403(root, "main"), []);
    assert.equal((await fe403(root)).length, 1);
    await rm(codeowners);
    assert.deepEqual(await fe403(root), []);
  });
});
