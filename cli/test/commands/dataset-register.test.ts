import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { updateCodeowners } from "../../src/app/codeowners.ts";
import { UserError } from "../../src/base/errors.ts";
import { workspace } from "../../src/base/workspace.ts";
import { type DatasetRegisterOptions, datasetRegisterCommand } from "../../src/commands/dataset-register.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import type { Dataset } from "../../src/governance/types.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { branchFiles, git, governanceRemote, remoteBranches, remoteFile, testEnv } from "../helpers/git.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/github-server.ts";
import { testDataset } from "../helpers/governance-tree.ts";
import { SITE } from "../helpers/site-workspace.ts";

const ID = "north-general-2027q1";
const PATH = `benchmarks/${BENCHMARK}/datasets/${ID}.yaml`;
const BRANCH = `fedeval/${SITE}/dataset-${BENCHMARK}-${ID}`;

/** The benchmark's policy without auto-approval: the committee reviews every dataset. */
const committeeReviews = (files: Map<string, string>) => {
  const path = `benchmarks/${BENCHMARK}/benchmark.yaml`;
  files.set(path, (files.get(path) as string).replace("datasets: ALLOWLIST", "datasets: NEVER"));
};

async function prepared(change?: (d: Dataset) => void, edit = committeeReviews) {
  const env = await testEnv();
  const gov = await governanceRemote(env, edit);
  const { approvals: _a, ...dataset }: Dataset = {
    ...testDataset(SITE),
    id: ID,
    status: "approved",
    prepared_at: "2027-01-05T08:00:00Z",
  };
  change?.(dataset);
  const dir = workspace(env).site(SITE).dataset(BENCHMARK, ID);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "dataset.yaml"), toYaml(dataset));
  return { env, ...gov };
}

describe("fedeval dataset register", () => {
  let gh: FakeGitHub;
  before(async () => {
    gh = await startFakeGitHub({ login: "north-it" });
  });
  after(() => gh.close());

  const register = async (
    env: NodeJS.ProcessEnv,
    root: string,
    extra: Partial<DatasetRegisterOptions> = {},
  ) => {
    const io = bufferIO();
    const code = await datasetRegisterCommand(
      {
        benchmark: BENCHMARK,
        site: SITE,
        name: ID,
        root,
        dryRun: false,
        env: { ...env, GITHUB_TOKEN: gh.token },
        cwd: "/",

        forge: "github",
        githubApi: gh.apiUrl,
        githubRepo: "demo-org/governance",
        githubTiming: { unitMs: 1, pace: false },
        ...extra,
      },
      io,
    );
    return { code, out: io.out.join("") };
  };

  it("proposes the prepared association as a pull request: status proposed, requested by the token's user, only that file", async () => {
    const { env, root, remote } = await prepared();
    const { code, out } = await register(env, root);
    assert.equal(code, 0, out);
    assert.deepEqual(branchFiles(remote, BRANCH, env), [PATH]);
    const proposed = parse(remoteFile(remote, BRANCH, PATH, env) as string) as Dataset;
    assert.equal(proposed.status, "proposed");
    assert.equal(proposed.requested_by, "north-it");
    assert.equal(proposed.approvals, undefined);
    const pr = gh.pulls.find((p) => p.head === BRANCH);
    assert.equal(pr?.title, `Register dataset ${ID} (${SITE}) for ${BENCHMARK}`);
    assert.deepEqual(pr?.labels, ["fedeval", "dataset", `site:${SITE}`]);
    assert.match(
      pr?.body ?? "",
      /- `num_cases`: 400\n- `label_counts`: \{&quot;effusion&quot;:120,&quot;no_effusion&quot;:280\}/,
    );
    assert.match(pr?.body ?? "", /\| prepared at \| 2027-01-05T08:00:00Z \|/);
    assert.doesNotMatch(pr?.body ?? "", /MedPerf uid/);
    // A re-run finds the same branch and pull request.
    const again = await register(env, root);
    assert.match(again.out, /branch .* is already on the remote\npull request #\d+ updated/);
    assert.equal(gh.pulls.filter((p) => p.head === BRANCH).length, 1);
  });

  it("updates .github/CODEOWNERS in the same commit when main has one: the site's owners own the new dataset's results", async () => {
    const { env, root, remote } = await prepared();
    assert.equal((await updateCodeowners({ root, check: false })).written, true);
    git(root, ["add", "-A"], env);
    git(root, ["commit", "--quiet", "-m", "CODEOWNERS"], env);
    git(root, ["push", "--quiet", "origin", "main"], env);
    const { code, out } = await register(env, root);
    assert.equal(code, 0, out);
    assert.deepEqual(branchFiles(remote, BRANCH, env), [".github/CODEOWNERS", PATH]);
    assert.equal(git(remote, ["rev-list", "--count", `main..${BRANCH}`], env).trim(), "1");
    assert.match(
      remoteFile(remote, BRANCH, ".github/CODEOWNERS", env) ?? "",
      new RegExp(`^/benchmarks/${BENCHMARK}/results/${ID}/ @north-it$`, "m"),
    );
    // the branch as the pull request check sees it: CODEOWNERS is current (no FE403)
    git(root, ["fetch", "--quiet", "origin"], env);
    git(root, ["checkout", "--quiet", `origin/${BRANCH}`], env);
    const report = await validateRepository({ root, changedSince: "origin/main" });
    assert.deepEqual(report.diagnostics, []);
  });

  it("without push access, from a fork: the branch goes to the fork, the pull request comes from fork-owner:branch", async () => {
    const { env, root, remote } = await prepared();
    const fork = await mkdtemp(join(tmpdir(), "fedeval-fork-"));
    git(fork, ["clone", "--quiet", "--bare", remote, "."], env);
    const { code, out } = await register(env, root, { fork: "north-fork", forkRemote: fork });
    assert.equal(code, 0, out);
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
    assert.deepEqual(branchFiles(fork, BRANCH, env), [PATH]);
    const create = gh.requests
      .filter((r) => r.method === "POST" && r.path === "/repos/demo-org/governance/pulls")
      .at(-1);
    assert.equal((create?.body as { head?: string } | undefined)?.head, `north-fork:${BRANCH}`);
    const pr = gh.pulls.find((p) => p.head === BRANCH && p.headOwner === "north-fork");
    assert.equal(pr?.base, "main");
    // a re-run finds the fork's branch and its pull request
    const again = await register(env, root, { fork: "north-fork", forkRemote: fork });
    assert.match(again.out, /branch .* is already on the remote\npull request #\d+ updated/);
    assert.equal(gh.pulls.filter((p) => p.head === BRANCH && p.headOwner === "north-fork").length, 1);
    assert.ok(
      gh.requests.some((r) => r.path.includes(`head=north-fork%3A${encodeURIComponent(BRANCH)}`)),
      gh.requests.map((r) => r.path).join("\n"),
    );
    await assert.rejects(
      register(env, root, { fork: "not/an owner" }),
      /--fork "not\/an owner" is not a GitHub user/,
    );
  });

  it("registers the dataset approved when the benchmark's policy auto-approves the site", async () => {
    // the demo benchmark: auto_approve: {datasets: ALLOWLIST, allowlist: [north-general]}
    const { env, root, remote } = await prepared(undefined, () => {});
    const { code, out } = await register(env, root);
    assert.equal(code, 0, out);
    assert.match(
      out,
      /^status: approved: benchmark pleural-effusion-demo approves datasets of north-general without a committee review \(policy\.auto_approve\)$/m,
    );
    const file = parse(remoteFile(remote, BRANCH, PATH, env) as string) as Dataset;
    assert.deepEqual([file.status, file.requested_by, file.approvals], ["approved", "north-it", undefined]);
  });

  it("--dry-run prints the file and the pull request text and pushes nothing", async () => {
    const { env, root, remote } = await prepared();
    const { code, out } = await register(env, root, { dryRun: true, env });
    assert.equal(code, 0);
    assert.match(
      out,
      new RegExp(
        `branch ${BRANCH} \\(new\\) against main\nfiles:\n--- ${PATH} ---\n# yaml-language-server: \\$schema=../../../schemas/dataset.schema.json\nschema: fedeval/dataset@1\nid: ${ID}`,
      ),
    );
    assert.match(out, /status: proposed/);
    assert.match(out, /pull request: Register dataset/);
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
  });

  it("refuses, before pushing, what the pull request check would refuse (a statistic the benchmark does not publish)", async () => {
    const { env, root, remote } = await prepared((d) => {
      d.statistics = { ...d.statistics, patient_ages: { "83": 1 } };
    });
    await assert.rejects(
      register(env, root),
      (e: Error) =>
        e instanceof UserError &&
        e.message.includes(`${PATH}:`) &&
        /statistic "patient_ages" is not in the benchmark.s statistics_published; it must stay at the site \[FE214\]/.test(
          e.message,
        ),
    );
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
  });

  it("says to prepare the dataset first when the workspace has none", async () => {
    const env = await testEnv();
    const { root } = await governanceRemote(env);
    await assert.rejects(
      register(env, root, { name: "never-prepared" }),
      /no prepared dataset at .*never-prepared\/dataset\.yaml; prepare it first with `fedeval dataset prepare/,
    );
  });
});
