/**
 * The local GitHub server's contract check can fail: requests and answers that GitHub's OpenAPI
 * description does not allow are refused and make `close()` fail, so every test that talks to the
 * server also checks fedeval against GitHub's published contract.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { githubContract } from "../helpers/github-contract.ts";
import { startFakeGitHub } from "../helpers/github-server.ts";

const u = (path: string) => new URL(path, "https://api.github.com");

describe("GitHub's REST contract (@octokit/openapi)", () => {
  it("is pinned to an exact version, as a devDependency", async () => {
    const pkg = JSON.parse(await readFile(resolve(import.meta.dirname, "../../../package.json"), "utf8"));
    assert.match(pkg.devDependencies["@octokit/openapi"], /^\d+\.\d+\.\d+$/);
  });

  it("a deliberately wrong request is answered 422 and fails the test that sent it", async () => {
    const gh = await startFakeGitHub();
    const post = (path: string, body: unknown) =>
      fetch(`${gh.apiUrl}${path}`, {
        method: "POST",
        headers: { authorization: `token ${gh.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // head must be a string; GitHub's description says so
    const wrong = await post("/repos/demo-org/governance/pulls", { head: 5, base: "main", title: "x" });
    assert.equal(wrong.status, 422);
    assert.deepEqual(gh.pulls, []);
    assert.deepEqual(gh.violations, ["POST /repos/{owner}/{repo}/pulls: body/head must be string"]);
    await assert.rejects(
      gh.close(),
      /outside GitHub's REST contract:\n {2}POST \/repos\/\{owner\}\/\{repo\}\/pulls: body\/head must be string/,
    );
  });

  it("the same request, right, is accepted and answered as GitHub's description says", async () => {
    const gh = await startFakeGitHub();
    const res = await fetch(`${gh.apiUrl}/repos/demo-org/governance/pulls`, {
      method: "POST",
      headers: { authorization: `token ${gh.token}`, "content-type": "application/json" },
      body: JSON.stringify({ head: "b", base: "main", title: "x" }),
    });
    assert.equal(res.status, 201);
    const pr = (await res.json()) as Record<string, unknown>;
    assert.equal(pr.number, 1);
    assert.deepEqual(githubContract().response("POST", u("/repos/o/r/pulls"), 201, pr), []);
    await gh.close();
  });

  it("knows what GitHub refuses: unknown operations, query parameters and values, missing bodies", () => {
    const c = githubContract();
    assert.match(c.request("POST", u("/repos/o/r/pulls/1/merge-now"), {}).join(), /is not an operation/);
    assert.deepEqual(c.request("GET", u("/repos/o/r/pulls?stat=open"), undefined), [
      "GET /repos/{owner}/{repo}/pulls: unknown query parameter stat",
    ]);
    assert.match(
      c.request("GET", u("/repos/o/r/pulls?state=merged"), undefined).join(),
      /state.*allowed values/,
    );
    assert.match(
      c.request("GET", u("/repos/o/r/pulls?per_page=ten"), undefined).join(),
      /per_page.*must be integer/,
    );
    assert.deepEqual(c.request("POST", u("/repos/o/r/issues/3/comments"), undefined), [
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments: missing body",
    ]);
    assert.deepEqual(c.request("GET", u("/repos/o/r/pulls?head=o:b&state=open&per_page=10"), undefined), []);
  });

  it("knows what GitHub answers: a bare object is not a pull request, and statuses are the operation's", () => {
    const c = githubContract();
    assert.match(
      c.response("POST", u("/repos/o/r/pulls"), 201, { number: 1, html_url: "x" }).join("\n"),
      /body must have required property/,
    );
    assert.match(
      c.response("POST", u("/repos/o/r/pulls"), 200, {}).join(),
      /does not answer this operation with 200 \(201, 403, 422\)/,
    );
  });
});
