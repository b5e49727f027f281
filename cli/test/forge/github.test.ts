import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ExternalError, UserError } from "../../src/base/errors.ts";
import { memoryLogger } from "../../src/base/logger.ts";
import {
  type GitHubForge,
  githubForge,
  githubHost,
  githubRepoOf,
  githubToken,
  type PullRequestSpec,
} from "../../src/forge/github.ts";
import { type FakeGitHub, startConnectProxy, startFakeGitHub } from "../helpers/github-server.ts";

const SPEC: PullRequestSpec = {
  branch: "fedeval/north-general/results-r1",
  base: "main",
  title: "Results",
  body: "body <b>",
  labels: ["fedeval", "results", "site:north-general"],
  updateComment: "added",
};

function forge(gh: FakeGitHub, env: NodeJS.ProcessEnv = {}, logger = memoryLogger()): GitHubForge {
  return githubForge({
    apiUrl: gh.apiUrl,
    owner: "demo-org",
    repo: "governance",
    token: gh.token,
    env,
    logger,
    timing: { unitMs: 1, pace: false },
  });
}

describe("GitHub forge (local HTTP server)", () => {
  let gh: FakeGitHub;
  before(async () => {
    gh = await startFakeGitHub();
  });
  after(() => gh.close());
  const fresh = () => {
    gh.pulls.length = 0;
    gh.requests.length = 0;
  };

  it("opens a pull request once, labels it, and on a re-run finds and updates it (commenting only when commits were added)", async () => {
    fresh();
    const f = forge(gh);
    const first = await f.openOrUpdatePullRequest(SPEC, false);
    assert.deepEqual(first, {
      number: 1,
      url: "https://github.example/demo-org/governance/pull/1",
      created: true,
    });
    const second = await f.openOrUpdatePullRequest({ ...SPEC, body: "new body" }, true);
    assert.deepEqual(second, { ...first, created: false });
    const third = await f.openOrUpdatePullRequest({ ...SPEC, body: "new body" }, false);
    assert.equal(third.created, false);
    await f.close();
    assert.equal(gh.pulls.length, 1);
    assert.deepEqual(gh.pulls[0]?.labels, ["fedeval", "results", "site:north-general"]);
    assert.equal(gh.pulls[0]?.body, "new body");
    assert.deepEqual(gh.pulls[0]?.comments, ["added"]);
    assert.equal(
      gh.requests.filter((r) => r.method === "PATCH").length,
      1,
      "an unchanged pull request is not patched",
    );
    assert.equal(
      gh.requests[0]?.path,
      "/repos/demo-org/governance/pulls?head=demo-org%3Afedeval%2Fnorth-general%2Fresults-r1&state=open&per_page=10",
    );
    assert.equal(gh.requests[0]?.authorization, "token test-token");
    assert.match(gh.requests[0]?.userAgent ?? "", /^fedeval\//);
  });

  it("when another run opened the pull request between listing and creating, uses that one", async () => {
    fresh();
    const f = forge(gh);
    await f.openOrUpdatePullRequest(SPEC, false);
    gh.fail("GET", /\/pulls$/, { status: 200, body: [] });
    const pr = await f.openOrUpdatePullRequest({ ...SPEC, title: "Results again" }, false);
    await f.close();
    assert.equal(pr.number, 1);
    assert.equal(gh.pulls.length, 1);
    assert.equal(gh.pulls[0]?.title, "Results again");
  });

  it("retries 5xx answers, then fails with what happened and what to do", async () => {
    fresh();
    const f = forge(gh);
    gh.fail("POST", /\/pulls$/, { status: 502 }, 2);
    assert.equal((await f.openOrUpdatePullRequest(SPEC, false)).created, true);
    assert.equal(gh.requests.filter((r) => r.method === "POST" && r.path.endsWith("/pulls")).length, 3);
    gh.fail("POST", /\/labels$/, { status: 503, body: { message: "Service Unavailable" } }, 4);
    await assert.rejects(f.openOrUpdatePullRequest(SPEC, false), (e: Error) => {
      assert.ok(e instanceof ExternalError);
      assert.match(
        e.message,
        /labelling pull request #1: GitHub \(http:\/\/127\.0\.0\.1:\d+\) answered 503 after retries: Service Unavailable/,
      );
      assert.match(e.hint ?? "", /githubstatus\.com/);
      return true;
    });
    await f.close();
    assert.equal(
      gh.requests.filter((r) => r.path.endsWith("/labels")).length,
      5,
      "1 + 3 retries, then one more call succeeds nothing",
    );
  });

  it("waits out a primary rate limit (403, x-ratelimit-remaining: 0) and a secondary one (429, retry-after)", async () => {
    fresh();
    const logger = memoryLogger();
    const f = forge(gh, {}, logger);
    const reset = String(Math.floor(Date.now() / 1000) + 1);
    gh.fail("GET", /\/pulls$/, {
      status: 403,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      body: { message: "API rate limit exceeded" },
    });
    gh.fail("POST", /\/pulls$/, {
      status: 429,
      headers: { "retry-after": "2" },
      body: { message: "You have exceeded a secondary rate limit" },
    });
    assert.equal((await f.openOrUpdatePullRequest(SPEC, false)).created, true);
    await f.close();
    assert.equal(gh.pulls.length, 1);
    assert.ok(
      logger.lines.some((l) => /^warning: GitHub rate limit on GET .*\/pulls; retrying in \d s$/.test(l)),
      logger.lines.join("\n"),
    );
    assert.ok(
      logger.lines.some((l) =>
        /^warning: GitHub secondary rate limit on POST .*\/pulls; retrying in 2 s$/.test(l),
      ),
      logger.lines.join("\n"),
    );
  });

  it("gives up on a rate limit that resets too late, saying when it resets", async () => {
    fresh();
    const f = forge(gh);
    const reset = Math.floor(Date.now() / 1000) + 3600;
    gh.fail("GET", /\/pulls$/, {
      status: 403,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      body: { message: "API rate limit exceeded" },
    });
    await assert.rejects(
      f.openOrUpdatePullRequest(SPEC, false),
      (e: Error) =>
        e instanceof ExternalError &&
        e.message.includes(`resets at ${new Date(reset * 1000).toISOString()}`) &&
        /wait until the limit resets/.test(e.hint ?? ""),
    );
    await f.close();
    assert.equal(gh.pulls.length, 0);
  });

  it("retries when the connection drops, then reports the network", async () => {
    fresh();
    const f = forge(gh);
    gh.fail("GET", /\/pulls$/, { close: true }, 1);
    assert.equal((await f.openOrUpdatePullRequest(SPEC, false)).created, true);
    gh.fail("GET", /\/pulls$/, { close: true }, 4);
    await assert.rejects(
      f.openOrUpdatePullRequest(SPEC, false),
      (e: Error) =>
        e instanceof ExternalError &&
        /could not be reached: other side closed/.test(e.message) &&
        /HTTPS_PROXY/.test(e.hint ?? ""),
    );
    await f.close();
  });

  it("a bad token is a 401 with what to do", async () => {
    fresh();
    const f = githubForge({
      apiUrl: gh.apiUrl,
      owner: "demo-org",
      repo: "governance",
      token: "wrong",
      env: {},
      logger: memoryLogger(),
      timing: { unitMs: 1, pace: false },
    });
    await assert.rejects(
      f.login(),
      (e: Error) => e instanceof ExternalError && /refused the token \(401\)/.test(e.message),
    );
    await f.close();
  });

  it("routes requests through the proxy named by HTTP_PROXY / HTTPS_PROXY, except hosts in NO_PROXY", async () => {
    fresh();
    const proxy = await startConnectProxy();
    try {
      const host = new URL(gh.apiUrl).host;
      const via = forge(gh, { HTTP_PROXY: proxy.url });
      assert.equal(await via.login(), "test-user");
      await via.close();
      assert.deepEqual(proxy.tunnels, [host]);
      const direct = forge(gh, { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" });
      assert.equal(await direct.login(), "test-user");
      await direct.close();
      assert.deepEqual(proxy.tunnels, [host], "NO_PROXY bypasses the proxy");
      // An https API root goes through HTTPS_PROXY. The tunnel is opened (recorded here); the TLS
      // handshake then fails, since the local server speaks plain HTTP, and that failure is reported.
      const https = githubForge({
        apiUrl: `https://${host}`,
        owner: "demo-org",
        repo: "governance",
        token: gh.token,
        env: { HTTPS_PROXY: proxy.url },
        logger: memoryLogger(),
        timing: { unitMs: 1, pace: false },
      });
      await assert.rejects(
        https.login(),
        (e: Error) => e instanceof ExternalError && /could not be reached/.test(e.message),
      );
      await https.close();
      assert.ok(
        proxy.tunnels.length > 1 && proxy.tunnels.slice(1).every((t) => t === host),
        proxy.tunnels.join(", "),
      );
    } finally {
      await proxy.close();
    }
  });
});

describe("GitHub token and repository", () => {
  it("takes the token from GITHUB_TOKEN, GH_TOKEN, then gh's hosts.yml; says how to fix a keyring-only or missing login", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedeval-gh-"));
    await mkdir(join(dir, "gh"), { recursive: true });
    const env = { GH_CONFIG_DIR: join(dir, "gh") };
    assert.deepEqual(await githubToken({ ...env, GITHUB_TOKEN: "a", GH_TOKEN: "b" }, "github.com"), {
      token: "a",
      source: "GITHUB_TOKEN",
    });
    assert.deepEqual(await githubToken({ ...env, GH_TOKEN: "b" }, "github.com"), {
      token: "b",
      source: "GH_TOKEN",
    });
    assert.deepEqual(await githubToken({ GH_ENTERPRISE_TOKEN: "e", GITHUB_TOKEN: "a" }, "ghe.example.com"), {
      token: "e",
      source: "GH_ENTERPRISE_TOKEN",
    });
    await assert.rejects(
      githubToken(env, "github.com"),
      (e: Error) =>
        e instanceof UserError && /set GITHUB_TOKEN .* or sign in with `gh auth login`/.test(e.message),
    );
    await writeFile(
      join(dir, "gh", "hosts.yml"),
      "github.com:\n    users:\n        north-it:\n            oauth_token: gho_multi\n    user: north-it\n",
    );
    assert.deepEqual(await githubToken(env, "github.com"), {
      token: "gho_multi",
      source: join(dir, "gh", "hosts.yml"),
    });
    await writeFile(
      join(dir, "gh", "hosts.yml"),
      "github.com:\n    oauth_token: gho_single\n    user: north-it\n",
    );
    assert.equal((await githubToken(env, "github.com")).token, "gho_single");
    await writeFile(
      join(dir, "gh", "hosts.yml"),
      "github.com:\n    user: north-it\n    git_protocol: https\n",
    );
    await assert.rejects(
      githubToken(env, "github.com"),
      /keyring.*export GH_TOKEN="\$\(gh auth token --hostname github.com\)"/,
    );
    // Without GH_CONFIG_DIR gh looks in $XDG_CONFIG_HOME/gh, then ~/.config/gh.
    assert.equal(
      (await githubToken({ XDG_CONFIG_HOME: dir }, "github.com").catch((e: Error) => e.message))
        .toString()
        .includes("keyring"),
      true,
    );
    await mkdir(join(dir, "home", ".config", "gh"), { recursive: true });
    await writeFile(
      join(dir, "home", ".config", "gh", "hosts.yml"),
      "github.com:\n    oauth_token: gho_home\n",
    );
    assert.equal((await githubToken({ HOME: join(dir, "home") }, "github.com")).token, "gho_home");
  });

  it("reads owner/repo from https, ssh and scp-like remote URLs, and the web host from the API root", () => {
    for (const url of [
      "https://github.com/demo-org/governance.git",
      "https://x-access-token@github.com/demo-org/governance",
      "git@github.com:demo-org/governance.git",
      "ssh://git@github.com/demo-org/governance.git",
    ]) {
      assert.deepEqual(githubRepoOf(url), { owner: "demo-org", repo: "governance" }, url);
    }
    assert.equal(githubRepoOf("https://gitlab.com/demo-org/governance.git"), undefined);
    assert.deepEqual(githubRepoOf("https://ghe.example.com/o/r.git", "ghe.example.com"), {
      owner: "o",
      repo: "r",
    });
    assert.equal(githubHost("https://api.github.com"), "github.com");
    assert.equal(githubHost("https://ghe.example.com/api/v3"), "ghe.example.com");
  });
});
