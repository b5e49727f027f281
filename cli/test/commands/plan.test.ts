import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bufferIO } from "../../src/commands/io.ts";
import { planCommand } from "../../src/commands/plan.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { makeTree } from "../helpers/governance-tree.ts";

test("plan says which datasets cannot run and why, and warns about files that did not load", async () => {
  const root = await makeTree((files) => {
    for (const path of [...files.keys()]) if (path.includes("/results/")) files.delete(path);
    files.set(`benchmarks/${BENCHMARK}/models/broken.yaml`, "schema: fedeval/model@1\nid: [not, a, slug]\n");
  });
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const io = bufferIO();
  const code = await planCommand({ site: "east-valley", root, cwd: root, env: { FEDEVAL_HOME: home } }, io);
  assert.equal(code, 0);
  assert.equal(
    io.out.join(""),
    [
      "site east-valley: 0 triples to run",
      "datasets that cannot run (1):",
      `  ${BENCHMARK}  east-valley-2026q4 (3 models): not prepared in this workspace: run \`fedeval dataset prepare --benchmark ${BENCHMARK} --site east-valley --name east-valley-2026q4 ...\` on this machine`,
      "up to date: 0 results in the repository",
      "",
    ].join("\n"),
  );
  assert.match(
    io.err.join(""),
    /^warning: 1 file of the governance repository did not load and is ignored \(\d+ problems?; see `fedeval validate /,
  );

  const json = bufferIO();
  await planCommand({ site: "east-valley", root, json: true, cwd: root, env: { FEDEVAL_HOME: home } }, json);
  assert.equal(JSON.parse(json.out.join("")).blocked[0].dataset, "east-valley-2026q4");
});
