import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { memoryLogger } from "../../src/base/logger.ts";
import { workspace } from "../../src/base/workspace.ts";
import { GitRemoteError, governanceName, openGovernanceClone } from "../../src/forge/git-remote.ts";
import { compareUrl } from "../../src/forge/proposal.ts";
import {
  branchFiles,
  git,
  governanceRemote,
  pushAsSomeoneElse,
  remoteBranches,
  remoteFile,
  testEnv,
} from "../helpers/git.ts";

async function clone(
  env: NodeJS.ProcessEnv,
  remote: string,
  extra: { beforePush?: () => Promise<void> } = {},
) {
  return openGovernanceClone({
    url: remote,
    dir: workspace(env).governance(governanceName(remote)),
    env,
    logger: memoryLogger(),
    ...extra,
  });
}

describe("governance clone (real git, bare remote on disk)", () => {
  it("clones, branches from the default branch, commits only the intended files with the environment's identity, pushes", async () => {
    const env = await testEnv();
    const { remote } = await governanceRemote(env);
    const c = await clone(env, remote);
    assert.equal(c.base, "main");
    assert.deepEqual(await c.checkoutBranch("fedeval/x/one"), { existed: false });
    await c.writeFiles(
      new Map([
        ["sites/extra-note.txt", "stray\n"],
        ["benchmarks/pleural-effusion-demo/README.md", "# notes\n"],
      ]),
    );
    await writeFile(join(c.dir, "untracked-leftover.txt"), "must not be committed\n");
    assert.equal(await c.commit(["benchmarks/pleural-effusion-demo/README.md"], "Add notes"), true);
    assert.equal(
      await c.commit(["benchmarks/pleural-effusion-demo/README.md"], "again"),
      false,
      "nothing new to commit",
    );
    assert.equal(await c.push("fedeval/x/one"), true);
    assert.equal(await c.push("fedeval/x/one"), false, "the remote has it already");
    assert.deepEqual(branchFiles(remote, "fedeval/x/one", env), [
      "benchmarks/pleural-effusion-demo/README.md",
    ]);
    assert.equal(
      git(remote, ["log", "-1", "--format=%an <%ae>|%s", "fedeval/x/one"], env).trim(),
      "Site Robot <robot@site.example>|Add notes",
    );
    assert.deepEqual(await c.changedSinceBase(), ["benchmarks/pleural-effusion-demo/README.md"]);
  });

  it("reuses an existing clone: fetches what moved, and continues a branch the remote already has", async () => {
    const env = await testEnv();
    const { remote } = await governanceRemote(env);
    await clone(env, remote);
    await pushAsSomeoneElse(remote, "main", { "sites/README.md": "moved\n" }, env);
    await pushAsSomeoneElse(remote, "fedeval/x/two", { "benchmarks/README.md": "first\n" }, env);
    const c = await clone(env, remote);
    assert.deepEqual(await c.differsFromBase(new Map([["sites/README.md", "moved\n"]])), []);
    assert.deepEqual(
      await c.differsFromBase(
        new Map([
          ["sites/README.md", "other\n"],
          ["sites/new.yaml", "x"],
        ]),
      ),
      ["sites/README.md", "sites/new.yaml"],
    );
    assert.deepEqual(await c.checkoutBranch("fedeval/x/two"), { existed: true });
    await c.writeFiles(new Map([["benchmarks/README.md", "second\n"]]));
    assert.equal(await c.commit(["benchmarks/README.md"], "second"), true);
    assert.equal(await c.push("fedeval/x/two"), true);
    assert.equal(git(remote, ["rev-list", "--count", "main..fedeval/x/two"], env).trim(), "2");
    assert.equal(remoteFile(remote, "fedeval/x/two", "benchmarks/README.md", env), "second\n");
  });

  it("a push the remote rejects as non-fast-forward says someone else pushed, and what to do", async () => {
    const env = await testEnv();
    const { remote } = await governanceRemote(env);
    const branch = "fedeval/x/race";
    const c = await clone(env, remote, {
      beforePush: () => pushAsSomeoneElse(remote, branch, { "sites/README.md": "theirs\n" }, env),
    });
    await c.checkoutBranch(branch);
    await c.writeFiles(new Map([["benchmarks/README.md", "ours\n"]]));
    await c.commit(["benchmarks/README.md"], "ours");
    await assert.rejects(c.push(branch), (e: Error) => {
      assert.ok(e instanceof GitRemoteError);
      assert.equal(e.failure, "diverged");
      assert.match(e.message, /git push fedeval\/x\/race failed: .*rejected/);
      assert.match(e.hint ?? "", /someone else pushed to branch fedeval\/x\/race .* run the command again/);
      return true;
    });
    assert.equal(
      remoteFile(remote, branch, "benchmarks/README.md", env),
      undefined,
      "their branch is untouched",
    );
  });

  it("a remote that refuses the push (a server-side hook) is reported as such", async () => {
    const env = await testEnv();
    const { remote } = await governanceRemote(env);
    await writeFile(
      join(remote, "hooks", "pre-receive"),
      "#!/bin/sh\necho 'pushes are frozen during the audit' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    const c = await clone(env, remote);
    await c.checkoutBranch("fedeval/x/frozen");
    await c.writeFiles(new Map([["benchmarks/README.md", "x\n"]]));
    await c.commit(["benchmarks/README.md"], "x");
    await assert.rejects(
      c.push("fedeval/x/frozen"),
      (e: Error) =>
        e instanceof GitRemoteError && e.failure === "refused" && /frozen during the audit/.test(e.message),
    );
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
  });

  it("names clones per URL and knows the compare URLs of common forges", () => {
    assert.match(governanceName("https://github.com/org/gov.git"), /^github-com-org-gov-[0-9a-f]{8}$/);
    assert.notEqual(governanceName("/srv/a/gov.git"), governanceName("/srv/b/gov.git"));
    assert.equal(
      compareUrl("git@github.com:org/gov.git", "main", "fedeval/s/results-r1"),
      "https://github.com/org/gov/compare/main...fedeval/s/results-r1",
    );
    assert.equal(
      compareUrl("https://gitlab.example.org/grp/sub/gov.git", "main", "a/b"),
      "https://gitlab.example.org/grp/sub/gov/-/merge_requests/new?merge_request%5Bsource_branch%5D=a%2Fb&merge_request%5Btarget_branch%5D=main",
    );
    assert.equal(
      compareUrl("ssh://git@bitbucket.org:22/team/gov.git", "main", "b"),
      "https://bitbucket.org/team/gov/pull-requests/new?source=b&dest=main",
    );
    assert.equal(
      compareUrl("https://codeberg.org/o/gov", "main", "b"),
      "https://codeberg.org/o/gov/compare/main...b",
    );
    assert.equal(compareUrl("/srv/git/gov.git", "main", "b"), undefined);
    assert.equal(compareUrl("https://git.hospital.example/gov.git", "main", "b"), undefined);
  });
});
