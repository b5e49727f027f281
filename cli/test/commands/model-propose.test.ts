import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { UsageError, UserError } from "../../src/base/errors.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { type ModelProposeOptions, modelProposeCommand } from "../../src/commands/model-propose.ts";
import type { Model } from "../../src/governance/types.ts";
import { BENCHMARK, containerConfig } from "../helpers/fixtures.ts";
import { branchFiles, governanceRemote, remoteBranches, remoteFile, testEnv } from "../helpers/git.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/github-server.ts";
import { hex } from "../helpers/governance-tree.ts";

const B = `benchmarks/${BENCHMARK}`;
const IMAGE = `ghcr.io/acme/lung-net@sha256:${hex("lung-net")}`;

async function setup(image = "ghcr.io/acme/lung-net:2.1") {
  const env = await testEnv();
  const gov = await governanceRemote(env);
  const dir = await mkdtemp(join(tmpdir(), "fedeval-model-"));
  const container = join(dir, "container_config.yaml");
  const text = containerConfig(image, "model");
  await writeFile(container, text);
  return { env, ...gov, container, text };
}

describe("fedeval model propose", () => {
  let gh: FakeGitHub;
  before(async () => {
    gh = await startFakeGitHub({ login: "acme-ml" });
  });
  after(() => gh.close());
  const propose = async (env: NodeJS.ProcessEnv, root: string, extra: Partial<ModelProposeOptions>) => {
    const io = bufferIO();
    const code = await modelProposeCommand(
      {
        benchmark: BENCHMARK,
        container: "",
        id: "lung-net",
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

  it("proposes the association (status proposed, owner from the token) and the container definition copied unchanged", async () => {
    const { env, root, remote, container, text } = await setup();
    const { code, out } = await propose(env, root, { container, image: IMAGE, title: "Lung Net" });
    assert.equal(code, 0, out);
    const branch = `fedeval/models/${BENCHMARK}/lung-net`;
    assert.deepEqual(branchFiles(remote, branch, env), [
      `${B}/containers/lung-net.yaml`,
      `${B}/models/lung-net.yaml`,
    ]);
    assert.equal(remoteFile(remote, branch, `${B}/containers/lung-net.yaml`, env), text);
    const model = parse(remoteFile(remote, branch, `${B}/models/lung-net.yaml`, env) as string) as Model;
    assert.deepEqual(model, {
      schema: "fedeval/model@1",
      id: "lung-net",
      title: "Lung Net",
      owner: ["acme-ml"],
      container: { image: IMAGE, config: "containers/lung-net.yaml" },
      status: "proposed",
      requested_by: "acme-ml",
    });
    const pr = gh.pulls.find((p) => p.head === branch);
    assert.deepEqual(pr?.labels, ["fedeval", "model"]);
    assert.match(pr?.body ?? "", /acme-ml proposes model `lung-net` for benchmark `pleural-effusion-demo`/);
    assert.match(
      pr?.body ?? "",
      /\| container definition \| `containers\/lung-net.yaml` \(MedPerf container_config.yaml\) \|/,
    );
  });

  it("refuses an image pinned only by tag, and an id whose container file belongs to the benchmark", async () => {
    const { env, root, remote, container } = await setup();
    await assert.rejects(
      propose(env, root, { container }),
      (e: Error) =>
        e instanceof UserError &&
        /container\/image/.test(e.message) &&
        /pass --image NAME@sha256:DIGEST/.test(e.message),
    );
    await assert.rejects(
      propose(env, root, { container, image: IMAGE, id: "prep" }),
      /containers\/prep.yaml is already the container definition of the benchmark's preparation; choose another --id/,
    );
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
  });

  it("on a plain git remote, --dry-run needs an owner and prints what it would propose", async () => {
    const { env, root, remote, container } = await setup(IMAGE);
    await assert.rejects(
      propose(env, root, { container, forge: "git", dryRun: true }),
      (e: Error) => e instanceof UsageError && /Pass --owner LOGIN/.test(e.message),
    );
    const { code, out } = await propose(env, root, {
      container,
      forge: "git",
      dryRun: true,
      owner: "acme-ml",
    });
    assert.equal(code, 0);
    assert.match(out, /branch fedeval\/models\/pleural-effusion-demo\/lung-net \(new\) against main/);
    assert.match(
      out,
      new RegExp(`--- ${B}/models/lung-net.yaml ---[^]*image: ${IMAGE.replace(/[.]/g, "\\.")}`),
    );
    assert.deepEqual(remoteBranches(remote, env), ["main"]);
  });

  it("refuses a file that is not a container definition", async () => {
    const { env, root } = await setup();
    const dir = await mkdtemp(join(tmpdir(), "fedeval-model-"));
    await writeFile(join(dir, "x.yaml"), "hello: world\n");
    await assert.rejects(
      propose(env, root, { container: join(dir, "x.yaml"), image: IMAGE }),
      /is not a usable container definition:\n.*not a container definition/,
    );
  });
});
