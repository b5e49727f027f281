import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { planSiteWork } from "../../src/app/plan.ts";
import { memoryLogger } from "../../src/base/logger.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { git, governanceRemote, pushAsSomeoneElse, testEnv } from "../helpers/git.ts";
import { makeTree } from "../helpers/governance-tree.ts";

test("planSiteWork: a dataset not prepared here is blocked, with what to do; broken files are told to the logger", async () => {
  const root = await makeTree((files) => {
    files.set(`benchmarks/${BENCHMARK}/models/broken.yaml`, "schema: fedeval/model@1\nid: [not, a, slug]\n");
  });
  const logger = memoryLogger();
  const plan = await planSiteWork({
    site: "east-valley",
    root,
    cwd: root,
    env: { FEDEVAL_HOME: await mkdtemp(join(tmpdir(), "fedeval-home-")) },
    logger,
  });
  assert.equal(plan.site, "east-valley");
  assert.deepEqual(plan.triples, []);
  assert.deepEqual(
    plan.blocked.map((b) => [b.benchmark, b.dataset, b.models]),
    [[BENCHMARK, "east-valley-2026q4", 3]],
  );
  assert.match(plan.blocked[0]?.reason ?? "", /^not prepared in this workspace/);
  assert.match(logger.lines.join("\n"), /^warning: 1 file of the governance repository did not load/);
});

test("planSiteWork warns when the clone is behind its remote, and --fetch brings it forward first", async () => {
  const env = await testEnv();
  const model = `benchmarks/${BENCHMARK}/models/reference-logistic.yaml`;
  let proposed = "";
  const { remote } = await governanceRemote(env, (files) => {
    proposed = (files.get(model) as string).replace("status: approved", "status: proposed");
    files.set(model, proposed);
  });
  const root = await mkdtemp(join(tmpdir(), "fedeval-clone-"));
  git(root, ["clone", "--quiet", remote, "."], env);
  // the committee approves the model on the remote after the site cloned
  await pushAsSomeoneElse(
    remote,
    "main",
    { [model]: proposed.replace("status: proposed", "status: approved") },
    env,
  );
  const plan = async (remoteCheck: "check" | "fetch") => {
    const logger = memoryLogger();
    const p = await planSiteWork({ site: "north-general", root, cwd: "/", env, logger, remote: remoteCheck });
    return { pending: p.pending.map((x) => x.id), log: logger.lines.join("\n") };
  };
  const before = await plan("check");
  assert.deepEqual(before.pending, ["reference-logistic"]);
  assert.match(
    before.log,
    new RegExp(
      `^warning: ${root} is behind origin/main: the plan uses the local files, which may lack approvals already merged; run again with --fetch`,
      "m",
    ),
  );
  const fetched = await plan("fetch");
  assert.deepEqual(fetched.pending, []);
  assert.match(fetched.log, new RegExp(`^fetched origin/main: ${root} moved forward by 1 commit$`, "m"));
  const after = await plan("check");
  assert.doesNotMatch(after.log, /behind/);
  // a remote that cannot be reached is said, and the local files still give a plan
  await rm(remote, { recursive: true });
  assert.match(
    (await plan("check")).log,
    /^warning: could not ask origin\/main's remote whether .* is up to date/m,
  );
  await assert.rejects(plan("fetch"), /could not fetch origin\/main into/);
});
