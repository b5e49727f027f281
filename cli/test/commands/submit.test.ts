import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { ExternalError } from "../../src/base/errors.ts";
import { acquireSiteLock } from "../../src/base/lock.ts";
import { workspace } from "../../src/base/workspace.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { outboxApproveCommand } from "../../src/commands/outbox-approve.ts";
import { outboxRejectCommand } from "../../src/commands/outbox-reject.ts";
import { type SubmitCommandOptions, submitCommand } from "../../src/commands/submit.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import type { Result } from "../../src/governance/types.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { branchFiles, git, pushAsSomeoneElse, remoteBranches, remoteFile } from "../helpers/git.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/github-server.ts";
import {
  addPending,
  NOW,
  OWNER,
  outboxOf,
  pendingEntry,
  SITE,
  SITE_RESULTS,
  siteToSubmit,
} from "../helpers/site-workspace.ts";

const resultFile = (model: string) => `${SITE_RESULTS}/${model}.yaml`;
const BRANCH_R1 = `fedeval/${SITE}/results-r1`;

/** A governance remote without north-general's results, a site workspace with approved entries. */
async function site(runs: Record<string, string[]> = { r1: ["effusion-net-v2", "shortcut-cnn"] }) {
  const { env, root, remote } = await siteToSubmit(runs);
  const gov = { root, remote };
  const io = bufferIO();
  assert.equal(
    await outboxApproveCommand(
      {
        ids: [],
        root: gov.root,
        yes: true,
        as: OWNER,
        policy: false,
        env,
        cwd: "/",
        now: () => NOW,
        stdinIsTTY: false,
      },
      io,
    ),
    0,
  );
  return { env, ...gov };
}

async function submit(env: NodeJS.ProcessEnv, root: string, extra: Partial<SubmitCommandOptions> = {}) {
  const io = bufferIO();
  const code = await submitCommand(
    { root, dryRun: false, site: SITE, env, cwd: "/", now: () => NOW, ...extra },
    io,
  );
  return { code, out: io.out.join(""), err: io.err.join("") };
}

const sent = async (env: NodeJS.ProcessEnv) =>
  (await readdir(join(workspace(env).site(SITE).outbox, "sent")).catch(() => [] as string[])).sort();
const states = async (env: NodeJS.ProcessEnv) =>
  (await outboxOf(env).list()).map((e) => `${e.id.split("--").slice(2).join("--")}:${e.state}`);

describe("fedeval submit on a plain git remote", () => {
  it("pushes one branch per run with exactly the result files; entries move to sent/ after the push", async () => {
    const { env, root, remote } = await site({
      r1: ["effusion-net-v2", "shortcut-cnn"],
      r2: ["reference-logistic"],
    });
    const { code, out, err } = await submit(env, root);
    assert.equal(code, 0, out + err);
    assert.deepEqual(remoteBranches(remote, env), [BRANCH_R1, `fedeval/${SITE}/results-r2`, "main"]);
    assert.deepEqual(branchFiles(remote, BRANCH_R1, env), [
      resultFile("effusion-net-v2"),
      resultFile("shortcut-cnn"),
    ]);
    assert.deepEqual(branchFiles(remote, `fedeval/${SITE}/results-r2`, env), [
      resultFile("reference-logistic"),
    ]);
    const pushed = parse(
      remoteFile(remote, BRANCH_R1, resultFile("effusion-net-v2"), env) as string,
    ) as Result;
    const kept = JSON.parse(
      await readFile(
        join(
          workspace(env).site(SITE).outbox,
          "sent",
          `${BENCHMARK}--north-general-2026q4--effusion-net-v2--r1.json`,
        ),
        "utf8",
      ),
    ) as { result: Result; state: string; submission: { branch: string; pushed_at: string } };
    assert.deepEqual(pushed, kept.result, "the remote has exactly the approved, signed result");
    assert.equal(kept.state, "submitted");
    assert.deepEqual(kept.submission, { branch: BRANCH_R1, pushed_at: "2026-11-21T10:00:00Z" });
    assert.equal(
      git(remote, ["log", "-1", "--format=%s", BRANCH_R1], env).trim(),
      "Results from north-general: 2 results of run r1",
    );
    assert.match(
      out,
      new RegExp(`pushed branch ${BRANCH_R1}\nopen a pull request from ${BRANCH_R1} into main on your forge`),
    );
    assert.deepEqual(await states(env), []);
    assert.equal((await sent(env)).length, 3);
    assert.match(err, /3 results submitted, 0 held/);
    const again = await submit(env, root);
    assert.equal(again.code, 0);
    assert.match(again.err, /nothing approved to submit/);
  });

  it("--dry-run prints branch, files and pull request text, and pushes and records nothing", async () => {
    const { env, root, remote } = await site({ r1: ["effusion-net-v2"] });
    const { code, out } = await submit(env, root, { dryRun: true });
    assert.equal(code, 0);
    assert.match(
      out,
      new RegExp(
        `branch ${BRANCH_R1} \\(new\\) against main\nfiles:\n--- ${resultFile("effusion-net-v2")} ---\n# yaml-language-server`,
      ),
    );
    assert.match(
      out,
      /pull request: Results from north-general: 1 result \(run r1\)\nlabels: fedeval, results, site:north-general/,
    );
    assert.match(
      out,
      /\| pleural-effusion-demo v1 \| north-general-2026q4 \| effusion-net-v2 \| 400 \| auc 0.86 \| north-it, 2026-11-21T10:00:00Z \(manual\) \|/,
    );
    assert.match(out, /dry run: nothing was committed to the remote, pushed or opened/);
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
    assert.deepEqual(await states(env), ["effusion-net-v2--r1:approved"]);
    assert.equal((await outboxOf(env).list())[0]?.submission, undefined);
  });

  it("a tampered entry is refused with what to do; the others still go", async () => {
    const { env, root, remote } = await site();
    const outbox = outboxOf(env);
    const [tampered] = await outbox.list();
    const file = join(outbox.dir, `${tampered?.id}.json`);
    await writeFile(file, (await readFile(file, "utf8")).replace('"value": 0.86', '"value": 0.87'));
    const { code, out, err } = await submit(env, root);
    assert.equal(code, 1);
    assert.match(
      out,
      /held .*effusion-net-v2--r1:\n {2}signature does not verify with key "demo-1" of site north-general: the result was changed after signing/,
    );
    assert.match(
      out,
      /what to do: the entry was changed after it was approved and signed .* Discard it with `fedeval outbox reject/,
    );
    assert.match(err, /1 result submitted, 1 held/);
    assert.deepEqual(branchFiles(remote, BRANCH_R1, env), [resultFile("shortcut-cnn")]);
    assert.deepEqual(await states(env), ["effusion-net-v2--r1:approved"]);
    assert.match((await outbox.list())[0]?.notes?.[0] ?? "", /^not submitted: signature does not verify/);
  });

  it("an entry whose model was suspended since approval stays in the outbox with the reason", async () => {
    const { env, root, remote } = await site();
    const model = `benchmarks/${BENCHMARK}/models/shortcut-cnn.yaml`;
    const text = remoteFile(remote, "main", model, env) as string;
    await pushAsSomeoneElse(
      remote,
      "main",
      { [model]: text.replace("status: approved", "status: suspended") },
      env,
      "Suspend shortcut-cnn",
    );
    const { code, out } = await submit(env, root);
    assert.equal(code, 1);
    assert.match(
      out,
      /held .*shortcut-cnn--r1:\n {2}model "shortcut-cnn" is suspended; its results are kept for history and not ranked \[FE205\]\n {2}what to do: the committee has not approved this model or dataset \(or has suspended or withdrawn it\)/,
    );
    assert.deepEqual(branchFiles(remote, BRANCH_R1, env), [resultFile("effusion-net-v2")]);
    assert.deepEqual(await states(env), ["shortcut-cnn--r1:approved"]);
  });

  it("a push rejected because the branch moved loses nothing; the next run adds to the branch", async () => {
    const { env, root, remote } = await site();
    const other = { "benchmarks/README.md": "someone else's note\n" };
    const first = submit(env, root, { beforePush: () => pushAsSomeoneElse(remote, BRANCH_R1, other, env) });
    await assert.rejects(first, (e: Error) => {
      assert.ok(e instanceof ExternalError);
      assert.match(e.message, /git push fedeval\/north-general\/results-r1 failed/);
      assert.match(
        e.hint ?? "",
        /someone else pushed .* Nothing was lost: 2 approved results stay in the outbox; run `fedeval submit --site north-general` again to retry without duplicating anything/,
      );
      return true;
    });
    assert.deepEqual(await states(env), ["effusion-net-v2--r1:approved", "shortcut-cnn--r1:approved"]);
    assert.equal(
      (await outboxOf(env).list())[0]?.submission?.branch,
      BRANCH_R1,
      "the branch was recorded before the push",
    );
    const second = await submit(env, root);
    assert.equal(second.code, 0, second.out + second.err);
    assert.deepEqual(branchFiles(remote, BRANCH_R1, env), [
      "benchmarks/README.md",
      resultFile("effusion-net-v2"),
      resultFile("shortcut-cnn"),
    ]);
    assert.equal((await sent(env)).length, 2);
  });

  it("a remote that refuses credentials loses nothing and says what to check", async () => {
    const { env, root } = await site({ r1: ["effusion-net-v2"] });
    const gh = await startFakeGitHub();
    try {
      const url = `${gh.apiUrl}/demo-org/governance.git`;
      await assert.rejects(submit(env, root, { remote: url, forge: "git" }), (e: Error) => {
        assert.ok(e instanceof ExternalError);
        assert.match(e.message, /git clone .* failed: .*could not read Username/);
        assert.match(
          e.hint ?? "",
          /check that you may push to http:\/\/127\.0\.0\.1:\d+\/demo-org\/governance\.git/,
        );
        return true;
      });
    } finally {
      await gh.close();
    }
    assert.deepEqual(await states(env), ["effusion-net-v2--r1:approved"]);
  });

  it("two submissions (or a submission and a reject) never run at once for one site", async () => {
    const { env, root, remote } = await site({ r1: ["effusion-net-v2"] });
    const outbox = outboxOf(env);
    const held = await acquireSiteLock(outbox.submitLock, "the outbox of site north-general");
    try {
      await assert.rejects(
        submit(env, root),
        /the outbox of site north-general is in use by another fedeval run \(pid \d+/,
      );
      await assert.rejects(
        outboxRejectCommand(
          { id: (await outbox.list())[0]?.id as string, env, cwd: "/", now: () => NOW },
          bufferIO(),
        ),
        /is in use/,
      );
    } finally {
      await held.release();
    }
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
    assert.equal((await submit(env, root)).code, 0);
  });

  it("a result the base branch already has (merged after an earlier crash) goes to sent/ without a new branch", async () => {
    const { env, root, remote } = await site({ r1: ["effusion-net-v2"] });
    const entry = (await outboxOf(env).list())[0];
    await pushAsSomeoneElse(
      remote,
      "main",
      { [resultFile("effusion-net-v2")]: governanceFileText("result", entry?.result as Result) },
      env,
      "Merge results",
    );
    const { code, out } = await submit(env, root);
    assert.equal(code, 0);
    assert.match(out, /effusion-net-v2--r1: already in main; moved to sent\//);
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
    assert.equal((await sent(env)).length, 1);
  });
});

describe("fedeval submit on GitHub (local API server)", () => {
  let gh: FakeGitHub;
  before(async () => {
    gh = await startFakeGitHub();
  });
  after(() => gh.close());
  const github = (extra: Partial<SubmitCommandOptions> = {}): Partial<SubmitCommandOptions> => ({
    forge: "github",
    githubApi: gh.apiUrl,
    githubRepo: "demo-org/governance",
    githubTiming: { unitMs: 1, pace: false },
    ...extra,
  });
  const withToken = (env: NodeJS.ProcessEnv) => ({ ...env, GITHUB_TOKEN: gh.token });
  const reset = () => {
    gh.pulls.length = 0;
    gh.requests.length = 0;
  };

  it("opens one labelled pull request per run, and entries record it before they move to sent/", async () => {
    reset();
    const { env, root, remote } = await site();
    const { code, out } = await submit(withToken(env), root, github());
    assert.equal(code, 0, out);
    assert.equal(gh.pulls.length, 1);
    const pr = gh.pulls[0];
    assert.equal(pr?.head, BRANCH_R1);
    assert.equal(pr?.title, "Results from north-general: 2 results (run r1)");
    assert.deepEqual(pr?.labels, ["fedeval", "results", "site:north-general"]);
    assert.match(pr?.body ?? "", /^<!-- fedeval:results site=north-general run=r1 -->/);
    assert.match(
      pr?.body ?? "",
      /\| pleural-effusion-demo v1 \| north-general-2026q4 \| shortcut-cnn \| 400 \| auc 0.86 \|/,
    );
    assert.match(out, /pull request #1 opened: https:\/\/github\.example\/demo-org\/governance\/pull\/1/);
    assert.deepEqual(branchFiles(remote, BRANCH_R1, env), [
      resultFile("effusion-net-v2"),
      resultFile("shortcut-cnn"),
    ]);
    const kept = JSON.parse(
      await readFile(join(workspace(env).site(SITE).outbox, "sent", (await sent(env))[0] as string), "utf8"),
    );
    assert.deepEqual(kept.submission, {
      branch: BRANCH_R1,
      pushed_at: "2026-11-21T10:00:00Z",
      pr_url: "https://github.example/demo-org/governance/pull/1",
      pr_number: 1,
    });
  });

  it("a site without push access submits from its fork: branch on the fork, pull request from fork-owner:branch", async () => {
    reset();
    const { env, root, remote } = await site();
    const fork = await mkdtemp(join(tmpdir(), "fedeval-fork-"));
    git(fork, ["clone", "--quiet", "--bare", remote, "."], env);
    const { code, out } = await submit(
      withToken(env),
      root,
      github({ fork: "north-fork", forkRemote: fork }),
    );
    assert.equal(code, 0, out);
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
    assert.deepEqual(branchFiles(fork, BRANCH_R1, env), [
      resultFile("effusion-net-v2"),
      resultFile("shortcut-cnn"),
    ]);
    assert.deepEqual(
      gh.pulls.map((p) => [p.headOwner, p.head, p.base]),
      [["north-fork", BRANCH_R1, "main"]],
    );
    const create = gh.requests.find((r) => r.method === "POST" && r.path.endsWith("/pulls"));
    assert.equal((create?.body as { head?: string } | undefined)?.head, `north-fork:${BRANCH_R1}`);
    assert.equal((await sent(env)).length, 2);
  });

  it("GitHub 5xx answers are retried and the submission completes", async () => {
    reset();
    const { env, root } = await site({ r1: ["effusion-net-v2"] });
    gh.fail("POST", /\/pulls$/, { status: 502 }, 2);
    const { code } = await submit(withToken(env), root, github());
    assert.equal(code, 0);
    assert.equal(gh.pulls.length, 1);
    assert.equal((await sent(env)).length, 1);
  });

  it("killed between push and pull request (the PR call fails): nothing lost, the re-run opens exactly one pull request", async () => {
    reset();
    const { env, root, remote } = await site();
    gh.fail("POST", /\/pulls$/, { status: 503 }, 4);
    await assert.rejects(submit(withToken(env), root, github()), (e: Error) => {
      assert.ok(e instanceof ExternalError);
      assert.match(e.message, /answered 503 after retries/);
      assert.match(
        e.hint ?? "",
        /Nothing was lost: 2 approved results stay in the outbox \(branch fedeval\/north-general\/results-r1 is pushed\); run `fedeval submit --site north-general` again to finish/,
      );
      return true;
    });
    const waiting = await outboxOf(env).list();
    assert.deepEqual(
      waiting.map((e) => [e.state, e.submission?.branch, e.submission?.pushed_at]),
      [
        ["approved", BRANCH_R1, "2026-11-21T10:00:00Z"],
        ["approved", BRANCH_R1, "2026-11-21T10:00:00Z"],
      ],
    );
    assert.equal(gh.pulls.length, 0);
    const head = git(remote, ["rev-parse", BRANCH_R1], env);
    const again = await submit(withToken(env), root, github());
    assert.equal(again.code, 0, again.out + again.err);
    assert.match(
      again.out,
      /branch fedeval\/north-general\/results-r1 is already on the remote\npull request #1 opened/,
    );
    assert.equal(git(remote, ["rev-parse", BRANCH_R1], env), head, "nothing pushed twice");
    assert.equal(gh.pulls.length, 1);
    assert.deepEqual(await states(env), []);
    const third = await submit(withToken(env), root, github());
    assert.match(third.err, /nothing approved to submit/);
    assert.equal(gh.pulls.length, 1);
  });

  it("network gone mid-submit (the server closes the socket): nothing lost; the re-run finds the open pull request and updates it", async () => {
    reset();
    const { env, root } = await site({ r1: ["effusion-net-v2"] });
    gh.fail("POST", /\/labels$/, { close: true }, 4);
    await assert.rejects(
      submit(withToken(env), root, github()),
      (e: Error) =>
        e instanceof ExternalError &&
        /could not be reached/.test(e.message) &&
        /Nothing was lost: 1 approved result stays in the outbox/.test(e.hint ?? ""),
    );
    assert.equal(gh.pulls.length, 1, "the pull request was opened before the network went");
    assert.deepEqual(await states(env), ["effusion-net-v2--r1:approved"]);
    const again = await submit(withToken(env), root, github());
    assert.equal(again.code, 0);
    assert.match(again.out, /pull request #1 updated/);
    assert.equal(gh.pulls.length, 1);
    assert.deepEqual(gh.pulls[0]?.labels, ["fedeval", "results", "site:north-general"]);
    assert.equal((await sent(env)).length, 1);
  });

  it("a later approval from the same run is added to the open pull request, with a comment", async () => {
    reset();
    const { env, root, remote } = await site({ r1: ["effusion-net-v2"] });
    assert.equal((await submit(withToken(env), root, github())).code, 0);
    await addPending(env, [pendingEntry("shortcut-cnn", "r1")]);
    await outboxApproveCommand(
      {
        ids: [],
        root,
        yes: true,
        as: OWNER,
        policy: false,
        env,
        cwd: "/",
        now: () => NOW,
        stdinIsTTY: false,
      },
      bufferIO(),
    );
    const { code, out } = await submit(withToken(env), root, github());
    assert.equal(code, 0, out);
    assert.match(out, /pull request #1 updated/);
    assert.equal(gh.pulls.length, 1);
    assert.equal(gh.pulls[0]?.title, "Results from north-general: 2 results (run r1)");
    assert.deepEqual(gh.pulls[0]?.comments, [
      `fedeval added 1 result to this pull request:\n- \`${resultFile("shortcut-cnn")}\``,
    ]);
    assert.deepEqual(branchFiles(remote, BRANCH_R1, env), [
      resultFile("effusion-net-v2"),
      resultFile("shortcut-cnn"),
    ]);
  });

  it("without a token it says how to provide one before anything is pushed", async () => {
    reset();
    const { env, root, remote } = await site({ r1: ["effusion-net-v2"] });
    await assert.rejects(
      submit(env, root, github()),
      /no GitHub token for 127\.0\.0\.1:\d+: set GITHUB_TOKEN/,
    );
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
    assert.deepEqual(await states(env), ["effusion-net-v2--r1:approved"]);
  });
});
