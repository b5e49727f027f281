/**
 * The governance loop on bare git remotes, every role through the CLI as a process (issue #13's
 * "Done when"): a vendor proposes, a committee member runs one command on the vendor's branch,
 * the PR check passes and main stays valid after the merge; re-proposing an approved model and
 * re-registering an approved dataset are updates beside the approved versions, which stay approved
 * until a member approves the update; then the old results are stale, not invalid.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { workspace } from "../../src/base/workspace.ts";
import { editYaml, toYaml } from "../../src/formats/yaml-write.ts";
import type { Dataset, Model } from "../../src/governance/types.ts";
import { BENCHMARK, containerConfig, MEMBER, memberEntry, memberKey } from "../helpers/fixtures.ts";
import { governanceRemote, remoteBranches, testEnv } from "../helpers/git.ts";
import { hex, testDataset } from "../helpers/governance-tree.ts";

const BIN = resolve(import.meta.dirname, "../../../bin/fedeval.js");
const B = `benchmarks/${BENCHMARK}`;
const MODEL = `${B}/models/effusion-net-v2.yaml`;
const NEW_MODEL = `${B}/models/lung-net.yaml`;
const DATASET = `${B}/datasets/east-valley-2026q4.yaml`;
const VENDOR = "acme-imaging";

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, NO_COLOR: "1" }, encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** One person's machine: their FEDEVAL_HOME and their clone of the governance repository. */
interface Person {
  env: NodeJS.ProcessEnv;
  clone: string;
  git(...args: string[]): string;
  fedeval(...args: string[]): ReturnType<typeof run>;
}

/** Everyone's machines: one HOME each, one governance remote whose committee has a second member, the vendor. */
async function world() {
  const env = await testEnv();
  const gov = await governanceRemote(env, (files) => {
    const path = `${B}/benchmark.yaml`;
    files.set(
      path,
      editYaml(files.get(path) as string, [[["members"], [memberEntry(), memberEntry(VENDOR, "a-1")]]]),
    );
  });
  const person = async (name: string): Promise<Person> => {
    const home = join(env.HOME as string, name);
    const personEnv = { ...env, FEDEVAL_HOME: join(home, "fedeval") };
    const clone = join(home, "governance");
    execFileSync("git", ["clone", "--quiet", gov.remote, clone], { env });
    const git = (...args: string[]) =>
      execFileSync("git", args, { cwd: clone, env, encoding: "utf8" }).trim();
    const fedeval = (...args: string[]) => run(process.execPath, [BIN, ...args], clone, personEnv);
    return { env: personEnv, clone, git, fedeval };
  };
  // each member's private key, whose public half benchmark.yaml lists under members:
  const withKey = async (who: Person, login: string, id: string) => {
    const keys = workspace(who.env).memberKeys(login);
    await mkdir(keys, { recursive: true });
    const pem = memberKey(login, id).privateKey.export({ format: "pem", type: "pkcs8" }) as string;
    await writeFile(join(keys, `${id}.pem`), pem, { mode: 0o600 });
    return who;
  };
  const member = await withKey(await person("member"), MEMBER, "chair-1");
  const vendor = await withKey(await person("vendor"), VENDOR, "a-1");
  return { env, gov, member, vendor, site: await person("site"), ci: await person("ci") };
}

type World = Awaited<ReturnType<typeof world>>;

/** The PR check as the action runs it: the pull request's merge with main, judged for its author. */
function prCheck(w: World, branch: string, author: string) {
  w.ci.git("fetch", "--quiet", "--prune", "origin");
  w.ci.git("checkout", "--quiet", "--force", "--detach", "origin/main");
  w.ci.git(
    "-c",
    "user.name=ci",
    "-c",
    "user.email=ci@x",
    "merge",
    "--quiet",
    "--no-ff",
    "-m",
    "merge",
    `origin/${branch}`,
  );
  return w.ci.fedeval("validate", ".", "--changed-since", "origin/main", "--author", author);
}

/** The committee merges a pull request, then main is validated. */
function merge(w: World, branch: string) {
  const m = w.member;
  m.git("fetch", "--quiet", "--prune", "origin");
  m.git("checkout", "--quiet", "--force", "-B", "main", "origin/main");
  m.git(
    "-c",
    "user.name=chair",
    "-c",
    "user.email=c@x",
    "merge",
    "--quiet",
    "--no-ff",
    "-m",
    `Merge ${branch}`,
    `origin/${branch}`,
  );
  m.git("push", "--quiet", "origin", "main");
  return m.fedeval("validate", ".");
}

/** What main holds at `path`. */
async function onMain(w: World, path: string) {
  w.member.git("fetch", "--quiet", "origin");
  return parse(w.member.git("show", `origin/main:${path}`));
}

async function containerFile(image: string, extra = ""): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fedeval-vendor-"));
  const file = join(dir, "container_config.yaml");
  await writeFile(file, containerConfig(image, "model").replace("infer --", `infer ${extra}--`));
  return file;
}

function propose(vendor: Person, id: string, image: string, container: string) {
  return vendor.fedeval(
    "model",
    "propose",
    "--benchmark",
    BENCHMARK,
    "--container",
    container,
    "--id",
    id,
    "--image",
    image,
    "--owner",
    VENDOR,
    "--root",
    ".",
    "--forge",
    "git",
  );
}

/** The member checks out a pull request's branch and runs the one command. */
function approveOn(member: Person, branch: string, file: string, ...flags: string[]) {
  member.git("fetch", "--quiet", "origin");
  member.git("checkout", "--quiet", "--force", "-B", branch, "--track", `origin/${branch}`);
  return member.fedeval("approve", file, "--push", ...flags);
}

describe("the governance loop on bare git remotes", () => {
  it("a vendor proposes, a member approves on the vendor's branch, the check passes, main stays valid; the requester cannot approve", async () => {
    const w = await world();
    const image = `ghcr.io/acme/lung-net@sha256:${hex("lung-net 1")}`;
    const proposed = propose(w.vendor, "lung-net", image, await containerFile(image));
    assert.equal(proposed.code, 0, proposed.out);
    const branch = `fedeval/models/${BENCHMARK}/lung-net`;
    assert.ok(remoteBranches(w.gov.remote, w.env).includes(branch));
    // before any approval the check passes (status: proposed), and an approved status without a signature is refused
    assert.equal(prCheck(w, branch, VENDOR).code, 0);

    const approved = approveOn(w.member, branch, NEW_MODEL);
    assert.equal(approved.code, 0, approved.out);
    assert.match(
      approved.stdout,
      /committee-chair signed "approve" of model lung-net of pleural-effusion-demo with key chair-1 over sha256:[0-9a-f]{64}/,
    );
    assert.match(approved.stdout, /1\/1 members: status is approved/);
    assert.match(approved.stdout, new RegExp(`pushed to origin/${branch}`));

    const check = prCheck(w, branch, VENDOR);
    assert.equal(check.code, 0, check.out);
    const main = merge(w, branch);
    assert.equal(main.code, 0, main.out);
    const model = (await onMain(w, NEW_MODEL)) as Model;
    assert.equal(model.status, "approved");
    assert.equal(model.approvals?.[0]?.by, MEMBER);

    // the vendor, even as a committee member, cannot approve what they requested
    w.vendor.git("pull", "--quiet", "origin", "main");
    const own = w.vendor.fedeval("approve", NEW_MODEL, "--reject", "--no-commit");
    assert.equal(own.code, 1, own.out);
    assert.match(
      own.out,
      /acme-imaging requested model lung-net and cannot approve it: another committee member must/,
    );
  });

  it("re-proposing an approved model is an update beside it on a fresh branch: main keeps the approved version until a member approves the update, then its results are stale, not invalid", async () => {
    const w = await world();
    const old = ((await onMain(w, MODEL)) as Model).container;
    const image = `sha256:${hex("effusion-net-v3")}`;
    const container = await containerFile(image, "--v3 ");
    const first = propose(w.vendor, "effusion-net-v2", image, container);
    assert.equal(first.code, 0, first.out);
    assert.match(
      first.out,
      /effusion-net-v2 is approved on main: this proposes an update beside the approved version/,
    );
    const branch = `fedeval/models/${BENCHMARK}/effusion-net-v2`;
    const check = prCheck(w, branch, VENDOR);
    assert.equal(check.code, 0, check.out);
    assert.equal(merge(w, branch).code, 0);
    const pending = (await onMain(w, MODEL)) as Model;
    assert.equal(pending.status, "approved");
    assert.deepEqual(pending.container, old, "sites keep running the approved version");
    assert.equal(pending.update?.container.image, image);
    const valid = w.member.fedeval("validate", ".", "--json");
    assert.equal(JSON.parse(valid.stdout).warnings, 0, "its results stay valid");

    // a member approves the update on their own branch
    w.member.git("checkout", "--quiet", "-B", "approve-update", "origin/main");
    const approved = w.member.fedeval("approve", MODEL, "--push");
    assert.equal(approved.code, 0, approved.out);
    assert.match(approved.stdout, /1\/1 members approved the update: it replaces the approved version/);
    const own = prCheck(w, "approve-update", MEMBER);
    assert.equal(own.code, 0, own.out);
    const main = merge(w, "approve-update");
    assert.equal(main.code, 0, main.out);
    const now = (await onMain(w, MODEL)) as Model;
    assert.equal(now.container.image, image);
    assert.equal(now.update, undefined);
    const report = JSON.parse(w.member.fedeval("validate", ".", "--json").stdout);
    const stale = report.diagnostics.filter((d: { rule: string }) => d.rule === "FE206");
    assert.equal(stale.length, 3, "the three results of the old image are stale");
    assert.ok(stale.every((d: { severity: string }) => d.severity === "warning"));
    assert.equal(report.valid, true);

    // proposing again starts a fresh branch from main: the merged one is never reused
    const again = propose(w.vendor, "effusion-net-v2", `sha256:${hex("effusion-net-v4")}`, container);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, new RegExp(`pushed branch ${branch}-2`));
  });

  it("re-registering an approved dataset with a new hash is an update the site proposes; main keeps the approved hash", async () => {
    const w = await world();
    const site = "east-valley";
    const reprepared: Dataset = {
      ...testDataset(site),
      hash: `fedeval-tree-v1:sha256:${hex("east-valley re-prepared")}`,
      statistics: { num_cases: 410, label_counts: { effusion: 125, no_effusion: 285 } },
      status: "proposed",
    };
    const dir = workspace(w.site.env).site(site).dataset(BENCHMARK, reprepared.id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "dataset.yaml"), toYaml(reprepared));
    const registered = w.site.fedeval(
      "dataset",
      "register",
      "--benchmark",
      BENCHMARK,
      "--site",
      site,
      "--name",
      reprepared.id,
      "--root",
      ".",
      "--forge",
      "git",
      "--as",
      "east-valley-radiology",
    );
    assert.equal(registered.code, 0, registered.out);
    assert.match(
      registered.out,
      /east-valley-2026q4 is approved on main: this proposes an update beside the approved version/,
    );
    const branch = `fedeval/${site}/dataset-${BENCHMARK}-${reprepared.id}`;
    const check = prCheck(w, branch, "east-valley-radiology");
    assert.equal(check.code, 0, check.out);
    assert.equal(merge(w, branch).code, 0);
    const main = (await onMain(w, DATASET)) as Dataset;
    assert.equal(main.status, "approved");
    assert.equal(main.hash, testDataset(site).hash, "the approved hash stays");
    assert.equal(main.update?.hash, reprepared.hash);
    const text = await readFile(join(w.member.clone, DATASET), "utf8");
    assert.match(text, /update:/);
  });
});
