/**
 * The action's bundled entry (action/dist/index.js) run the way the runner runs it: inputs as
 * INPUT_* variables with action.yml's defaults, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files,
 * a pull_request event payload at GITHUB_EVENT_PATH, and GITHUB_WORKSPACE a governance
 * repository with real git history.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cell, MAX_PROBLEM_ROWS, validationSummary } from "../../../action/src/summary.ts";
import { validateGovernance } from "../../src/app/validate.ts";
import { codeownersCommand } from "../../src/commands/codeowners.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { editYaml } from "../../src/formats/yaml-write.ts";
import { BENCHMARK } from "../helpers/fixtures.ts";
import { startFakeGitHub } from "../helpers/github-server.ts";
import { makeTree, testTreeFiles, writeTree } from "../helpers/governance-tree.ts";
import { ACTION, ENTRY, REPO, runAction } from "./action-runner.ts";

const B = `benchmarks/${BENCHMARK}`;
const NEW_MODEL = `${B}/models/shortcut-cnn.yaml`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    "git",
    ["-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=main", ...args],
    { cwd, encoding: "utf8" },
  ).trim();
}

function lineCol(text: string, needle: string): { line: number; col: number } {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `no ${needle}`);
  const before = text.slice(0, at).split("\n");
  return { line: before.length, col: (before.at(-1) as string).length + 1 };
}

/** A pull_request "opened" payload with the fields GitHub sends that the action could read. */
function pullRequestPayload(pr: { number: number; login: string; baseSha: string; headSha: string }) {
  const repo = { id: 812, name: "governance", full_name: "acme-consortium/governance", private: false };
  const user = { login: pr.login, id: 4211, type: "User" };
  return {
    action: "opened",
    number: pr.number,
    pull_request: {
      url: `https://api.github.com/repos/acme-consortium/governance/pulls/${pr.number}`,
      id: 1990001,
      html_url: `https://github.com/acme-consortium/governance/pull/${pr.number}`,
      number: pr.number,
      state: "open",
      locked: false,
      title: "Propose shortcut-cnn for the pleural effusion benchmark",
      user,
      body: "Opened with fedeval model propose",
      created_at: "2026-11-20T10:00:00Z",
      draft: false,
      merged: false,
      author_association: "CONTRIBUTOR",
      head: {
        label: `${pr.login}:propose-shortcut-cnn`,
        ref: "propose-shortcut-cnn",
        sha: pr.headSha,
        user,
        repo,
      },
      base: {
        label: "acme-consortium:main",
        ref: "main",
        sha: pr.baseSha,
        user: { login: "acme-consortium" },
        repo,
      },
      commits: 1,
      changed_files: 2,
    },
    repository: repo,
    sender: user,
  };
}

/** A governance repository at `<workspace>/<sub>` whose main lacks the model shortcut-cnn, and a PR commit on top. */
async function governanceRepo(sub: string, pr: (files: Map<string, string>) => void) {
  const workspace = await mkdtemp(join(tmpdir(), "fedeval-ws-"));
  const root = sub ? join(workspace, sub) : workspace;
  const all = testTreeFiles();
  const base = new Map(
    [...all].filter(([f]) => !f.endsWith("/shortcut-cnn.yaml") || f.includes("/containers/")),
  );
  await writeTree(base, root);
  git(workspace, "init", "-q");
  git(workspace, "add", "-A");
  git(workspace, "commit", "-qm", "main");
  const baseSha = git(workspace, "rev-parse", "HEAD");
  const head = new Map(base);
  head.set(NEW_MODEL, all.get(NEW_MODEL) as string);
  pr(head);
  await writeTree(head, root);
  git(workspace, "add", "-A");
  git(workspace, "commit", "-qm", "pull request");
  return { workspace, root, baseSha, headSha: git(workspace, "rev-parse", "HEAD"), files: head };
}

function annotations(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /^::(error|warning)/.test(l));
}

describe("action.yml", () => {
  it("is a node24 action whose entry is the committed bundle", async () => {
    assert.equal(ACTION.runs.using, "node24");
    assert.equal(ACTION.runs.main, "dist/index.js");
    assert.ok((await readFile(ENTRY, "utf8")).length > 0);
  });

  it("declares every input the sources read", async () => {
    const source = await readFile(join(REPO, "action/src/main.ts"), "utf8");
    const read = [...source.matchAll(/(?:input|booleanInput|getInput)\("([\w-]+)"/g)].map(
      (m) => m[1] as string,
    );
    assert.ok(read.length >= 5, "the sources read their inputs through input()/booleanInput()");
    for (const name of read) assert.ok(name in ACTION.inputs, `input ${name} is declared in action.yml`);
  });

  it("the committed bundle is what the sources build to", () => {
    const r = spawnSync(process.execPath, ["scripts/build.mjs", "--check-action"], {
      cwd: REPO,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
  });
});

describe("action: command validate on a pull request", () => {
  it("annotates each problem at its file, line and column in the repository, writes outputs and summary, fails", async () => {
    // the model's owner adds their model as approved without a committee member's signature, and touches a site they do not own
    const repo = await governanceRepo("gov", (files) => {
      files.set(NEW_MODEL, editYaml(files.get(NEW_MODEL) as string, [[["approvals"], undefined]]));
      files.set("sites/north-general.yaml", `${files.get("sites/north-general.yaml")}# touched\n`);
    });
    const r = await runAction({
      workspace: repo.workspace,
      inputs: { command: "validate", root: "gov" },
      event: {
        name: "pull_request",
        payload: pullRequestPayload({
          number: 17,
          login: "fastlane-ai",
          baseSha: repo.baseSha,
          headSha: repo.headSha,
        }),
      },
    });
    assert.equal(r.code, 1, r.stderr);
    const status = lineCol(repo.files.get(NEW_MODEL) as string, "approved\n");
    const lines = annotations(r.stdout).filter((l) => l.startsWith("::error file="));
    assert.deepEqual(
      lines.map((l) => l.replace(/,title=.*/, "")),
      [
        `::error file=gov/${NEW_MODEL},line=${status.line},col=${status.col},endLine=${status.line},endColumn=${status.col + "approved".length}`,
        `::error file=gov/${NEW_MODEL},line=${status.line},col=${status.col},endLine=${status.line},endColumn=${status.col + "approved".length}`,
        "::error file=gov/sites/north-general.yaml,line=1,col=1",
      ],
    );
    assert.match(
      lines[0] as string,
      /title=FE402 self-approval-by-author::fastlane-ai owns this model and may only propose it/,
    );
    assert.match(
      lines[1] as string,
      /title=FE605 approval-quorum::status: approved needs 1 committee member's signed approve over this model as it is now/,
    );
    assert.match(
      lines[2] as string,
      /title=FE401 not-owner::fastlane-ai may not change this file: only the owners of site north-general may/,
    );
    assert.match(r.stdout, /^::error::governance files are invalid: 3 errors/m);
    assert.deepEqual(r.outputs, { valid: "false", errors: "3", warnings: "0" });
    for (const name of Object.keys(r.outputs))
      assert.ok(name in ACTION.outputs, `output ${name} is declared`);

    assert.match(r.summary, /^## fedeval validate: ❌ invalid: 3 errors$/m);
    assert.match(
      r.summary,
      new RegExp(
        `Pull request #17 by @fastlane-ai against base ${repo.baseSha.slice(0, 12)}: 2 changed files`,
      ),
    );
    assert.match(r.summary, /Ownership of the changed paths checked for @fastlane-ai\./);
    assert.ok(
      r.summary.includes(
        `| error | gov/${NEW_MODEL}:${status.line}:${status.col} | FE402 self-approval-by-author |`,
      ),
      r.summary,
    );
    assert.ok(
      r.summary.includes("| error | gov/sites/north-general.yaml:1:1 | FE401 not-owner |"),
      r.summary,
    );
    assert.ok(
      r.summary.includes(
        `| added | model | ${BENCHMARK} | shortcut-cnn | owner fastlane-ai; status approved; image sha256:`,
      ),
      r.summary,
    );
    assert.ok(
      r.summary.includes(
        "| changed | site |  | north-general | North General Hospital (demo); owners north-it |",
      ),
    );
  });

  it("passes a model proposal by its owner, and lists what the pull request adds", async () => {
    const repo = await governanceRepo("", (files) => {
      const text = (files.get(NEW_MODEL) as string).replace("status: approved", "status: proposed");
      files.set(NEW_MODEL, editYaml(text, [[["approvals"], undefined]]));
    });
    const r = await runAction({
      workspace: repo.workspace,
      inputs: { command: "validate" },
      event: {
        name: "pull_request",
        payload: pullRequestPayload({
          number: 18,
          login: "fastlane-ai",
          baseSha: repo.baseSha,
          headSha: repo.headSha,
        }),
      },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(annotations(r.stdout), []);
    assert.deepEqual(r.outputs, { valid: "true", errors: "0", warnings: "0" });
    assert.match(r.summary, /^## fedeval validate: ✅ valid$/m);
    assert.doesNotMatch(r.summary, /### Problems/);
    assert.ok(
      r.summary.includes(
        `| added | model | ${BENCHMARK} | shortcut-cnn | owner fastlane-ai; status proposed;`,
      ),
      r.summary,
    );
    assert.ok(r.summary.includes(`| ${NEW_MODEL} |`), "paths at the repository root have no prefix");
  });

  it("the same pull request by someone else fails the ownership check", async () => {
    const repo = await governanceRepo("", (files) => {
      files.set(NEW_MODEL, (files.get(NEW_MODEL) as string).replace("status: approved", "status: proposed"));
    });
    const payload = pullRequestPayload({
      number: 19,
      login: "mallory",
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const r = await runAction({
      workspace: repo.workspace,
      inputs: { command: "validate" },
      event: { name: "pull_request", payload },
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `^::error file=${NEW_MODEL},line=1,col=1,title=FE401 not-owner::mallory may not add this file`,
        "m",
      ),
    );
    const off = await runAction({
      workspace: repo.workspace,
      inputs: { command: "validate", ownership: "false" },
      event: { name: "pull_request", payload },
    });
    assert.equal(off.code, 0, off.stdout);
    assert.match(off.summary, /Ownership not checked\./);
  });

  it("says to fetch the history when the base commit is not in the checkout", async () => {
    const repo = await governanceRepo("", () => {});
    const payload = pullRequestPayload({
      number: 20,
      login: "fastlane-ai",
      baseSha: "0".repeat(40),
      headSha: repo.headSha,
    });
    const r = await runAction({
      workspace: repo.workspace,
      inputs: { command: "validate" },
      event: { name: "pull_request", payload },
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^::error::the pull request's base commit 0{40} is not in the checkout: use actions\/checkout with fetch-depth: 0/m,
    );
    assert.doesNotMatch(r.stdout, /internal error/);
  });

  it("refuses pull_request_target", async () => {
    const repo = await governanceRepo("", () => {});
    const payload = pullRequestPayload({
      number: 21,
      login: "fastlane-ai",
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    const r = await runAction({
      workspace: repo.workspace,
      inputs: { command: "validate" },
      event: { name: "pull_request_target", payload },
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^::error::fedeval validates pull requests on the pull_request event, never pull_request_target/m,
    );
    assert.deepEqual(r.outputs, {});
  });
});

describe("action: command validate outside pull requests", () => {
  it("validates the whole tree on push, without an ownership check", async () => {
    const root = await makeTree((files) => {
      files.set(NEW_MODEL, (files.get(NEW_MODEL) as string).replace("priority: 5", "priority: five"));
    });
    const r = await runAction({ workspace: root, inputs: { command: "validate" } });
    assert.equal(r.code, 1);
    const priority = lineCol(await readFile(join(root, NEW_MODEL), "utf8"), "five");
    assert.match(
      r.stdout,
      new RegExp(
        `^::error file=${NEW_MODEL},line=${priority.line},col=${priority.col},endLine=${priority.line},endColumn=${priority.col + 4},title=FE100 schema::priority must be integer`,
        "m",
      ),
    );
    assert.deepEqual(r.outputs, { valid: "false", errors: "1", warnings: "0" });
    assert.match(r.summary, /governance files checked\./);
    assert.doesNotMatch(r.summary, /Ownership|Pull request/);
  });

  it("fails with a message, not a stack, on a missing root or an unknown command", async () => {
    const workspace = await mkdtemp(join(tmpdir(), "fedeval-ws-"));
    const missing = await runAction({ workspace, inputs: { command: "validate", root: "nowhere" } });
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /^::error::.*nowhere: no such directory/m);
    const unknown = await runAction({ workspace, inputs: { command: "deploy" } });
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stdout,
      /^::error::input command must be one of validate, run, submit, publish \(got "deploy"\)/m,
    );
    const none = await runAction({ workspace, inputs: {} });
    assert.equal(none.code, 1);
    assert.match(none.stdout, /^::error::input command must be one of/m);
    assert.doesNotMatch(missing.stdout + unknown.stdout + none.stdout, /internal error|\s+at /);
  });
});

describe("action: validate with teams", () => {
  it("a committee named as a team counts its members when the action has a teams-token", async () => {
    const workspace = await mkdtemp(join(tmpdir(), "fedeval-ws-"));
    const files = testTreeFiles();
    const benchmark = `${B}/benchmark.yaml`;
    const edit = (from: string | RegExp, to: string) =>
      files.set(benchmark, (files.get(benchmark) as string).replace(from, to));
    edit("committee: [demo-committee]", "committee: [demo-org/cxr-committee]");
    await writeTree(files, workspace);
    git(workspace, "init", "-q");
    git(workspace, "add", "-A");
    git(workspace, "commit", "-qm", "main");
    const baseSha = git(workspace, "rev-parse", "HEAD");
    edit(/^title: .*$/m, "title: Pleural effusion on chest radiographs");
    await writeTree(files, workspace);
    git(workspace, "commit", "-qam", "pull request");
    const headSha = git(workspace, "rev-parse", "HEAD");
    const github = await startFakeGitHub({ teams: { "demo-org/cxr-committee": ["carol"] } });
    try {
      const as = (login: string, inputs: Record<string, string>) =>
        runAction({
          workspace,
          inputs: { command: "validate", compatibility: "false", ...inputs },
          event: {
            name: "pull_request",
            payload: pullRequestPayload({ number: 21, login, baseSha, headSha }),
          },
          env: { GITHUB_API_URL: github.apiUrl },
        });
      const member = await as("carol", { "teams-token": github.token });
      assert.equal(member.code, 0, member.stdout);
      const outsider = await as("mallory", { "teams-token": github.token });
      assert.equal(outsider.code, 1);
      assert.match(outsider.stdout, /FE401 not-owner::mallory may not change this file: only the committee/);
      const withoutToken = await as("carol", {});
      assert.equal(withoutToken.code, 1, "without a token only logins count");
      assert.match(withoutToken.stdout, /FE401 not-owner::carol may not change this file/);
      assert.deepEqual(
        github.requests.map((r) => r.path),
        [
          "/orgs/demo-org/teams/cxr-committee/memberships/carol",
          "/orgs/demo-org/teams/cxr-committee/memberships/mallory",
        ],
      );
    } finally {
      await github.close();
    }
  });
});

describe("action: command publish", () => {
  it("builds the leaderboard from the checkout into the out folder and names it in site-path", async () => {
    const root = await makeTree();
    git(root, "init", "-q");
    git(root, "add", "-A");
    git(root, "commit", "-qm", "main");
    const commit = git(root, "rev-parse", "HEAD");
    const r = await runAction({ workspace: root, inputs: { command: "publish" } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const site = join(root, "_site");
    assert.deepEqual(r.outputs, { "site-path": site });
    assert.match(await readFile(join(site, "index.html"), "utf8"), /<html/i);
    assert.equal(JSON.parse(await readFile(join(site, "leaderboard.json"), "utf8")).build.commit, commit);
    assert.match(r.summary, new RegExp(`leaderboard of 1 benchmark built from commit ${commit}`));
    // the tree has no CODEOWNERS yet: the committee is told, the build still publishes
    assert.match(
      r.stdout,
      /^::warning file=\.github\/CODEOWNERS::\.github\/CODEOWNERS is out of date with the governance files: the committee should run `fedeval codeowners`/m,
    );
    assert.match(r.summary, /> \[!WARNING\]\n> \.github\/CODEOWNERS is out of date/);
    assert.equal(await codeownersCommand({ root, check: false }, bufferIO()), 0);
    const again = await runAction({ workspace: root, inputs: { command: "publish" } });
    assert.equal(again.code, 0);
    assert.doesNotMatch(again.stdout + again.summary, /CODEOWNERS/);
  });
});

describe("validate summary", () => {
  it("escapes what the pull request wrote: file names and messages cannot inject HTML, links or table cells", async () => {
    const name = "<img src=x onerror=alert(1)>|[x](javascript:alert(1)).yaml";
    const root = await makeTree((files) => {
      files.set(`${B}/models/${name}`, "schema: fedeval/model@1\n");
    });
    const report = await validateGovernance({ root });
    const summary = validationSummary(report, { prefix: "" });
    assert.equal(report.diagnostics.length, 1);
    assert.ok(
      summary.includes("\\<img src=x onerror=alert(1)\\>\\|\\[x\\](javascript:alert(1)).yaml:1:1 |"),
      summary,
    );
    assert.doesNotMatch(summary, /(^|[^\\])[<>[\]]/m, "no unescaped HTML or link brackets");
    assert.equal(cell("a\nb | *c*"), "a b \\| \\*c\\*");
  });

  it("stays small when every file is broken", async () => {
    const root = await makeTree((files) => {
      for (let i = 0; i < MAX_PROBLEM_ROWS + 7; i++) files.set(`${B}/models/junk-${i}.txt`, "x\n");
    });
    const report = await validateGovernance({ root });
    const summary = validationSummary(report, { prefix: "" });
    assert.equal(report.diagnostics.length, MAX_PROBLEM_ROWS + 7);
    assert.equal(summary.split("\n").filter((l) => l.startsWith("| error |")).length, MAX_PROBLEM_ROWS);
    assert.match(summary, /… and 7 more problems: every one is annotated in the job log\./);
  });
});
