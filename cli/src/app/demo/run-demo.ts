/**
 * `fedeval demo`: the whole federated evaluation on one machine, every role played through the
 * real CLI (`bin/fedeval.js` run as a subprocess, as each person would type it):
 *
 *   1. the committee creates the governance repository (a bare git repo on disk) with the benchmark;
 *   2. three hospitals make their signing keys and register their sites (pull requests);
 *   3. each hospital prepares its own synthetic data with the benchmark's preparation container
 *      and registers the dataset; a committee member signs the approval on the site's branch;
 *   4. two model vendors propose their models; a committee member signs each approval on the vendor's branch;
 *   5. each hospital plans, runs every approved model on its data in isolation, approves by its
 *      site policy and submits the signed results; the committee merges after the ownership check;
 *   6. `validate` and `leaderboard build` on main.
 *
 * Each actor has its own clone, and each hospital its own FEDEVAL_HOME, as on separate machines.
 * A pull request is a pushed branch; the committee reviews it with `fedeval validate
 * --changed-since main --author <who opened it>` (what the GitHub Action does), then merges.
 */

import { spawn } from "node:child_process";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Docker from "dockerode";
import { type SimpleGit, simpleGit } from "simple-git";
import { parse } from "yaml";
import { UserError } from "../../base/errors.ts";
import type { Logger } from "../../base/logger.ts";
import { getOrThrow } from "../../base/maps.ts";
import { packageRoot } from "../../base/package-root.ts";
import { workspace } from "../../base/workspace.ts";
import { toYaml } from "../../formats/yaml-write.ts";
import { governanceFileText } from "../../governance/governance-file.ts";
import type { Dataset, Member, Model, SiteKey } from "../../governance/types.ts";
import { saveProcessEntrypoints } from "../../site/runners.ts";
import {
  DEMO_BENCHMARK,
  DEMO_COMMITTEE,
  DEMO_MEMBER,
  DEMO_MODELS,
  DEMO_SITES,
  type DemoImages,
  demoContainerConfig,
  demoGovernanceFiles,
  demoSite,
} from "./demo-governance.ts";
import { buildDemoImages, demoProcessImages } from "./demo-images.ts";

export interface DemoOptions {
  /** Folder for everything the demo makes; replaced when it holds an earlier demo. */
  dir: string;
  runner: "auto" | "docker" | "process";
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  docker?: Docker;
  /** Also copy the final governance tree (sites/ and benchmarks/) into this folder. */
  exportTo?: string;
}

export interface DemoOutcome {
  runner: "docker" | "process";
  dir: string;
  remote: string;
  pages: string;
  /** leaderboard.json as built. */
  leaderboard: unknown;
}

const MARKER = ".fedeval-demo";
const B = DEMO_BENCHMARK;
const COMMITTEE = DEMO_COMMITTEE[0] as string;
const IDENTITY = {
  GIT_AUTHOR_NAME: "fedeval demo",
  GIT_AUTHOR_EMAIL: "demo@fedeval.invalid",
  GIT_COMMITTER_NAME: "fedeval demo",
  GIT_COMMITTER_EMAIL: "demo@fedeval.invalid",
};

async function prepareFolder(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries?.length) {
    if (!entries.includes(MARKER))
      throw new UserError(`${dir} is not empty and was not made by \`fedeval demo\`; choose another --dir`);
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MARKER), "made by fedeval demo; safe to delete\n");
}

async function dockerReachable(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

export async function runDemo(opts: DemoOptions): Promise<DemoOutcome> {
  const log = opts.logger;
  const env = { ...(opts.env ?? process.env), ...IDENTITY, NO_COLOR: "1" };
  const bin = join(packageRoot(), "bin", "fedeval.js");
  const dir = opts.dir;
  await prepareFolder(dir);
  let step = 0;
  const say = (m: string) => log.info(`[${++step}/9] ${m}`);

  const docker = opts.docker ?? new Docker();
  let runner: "docker" | "process";
  if (opts.runner === "auto") runner = (await dockerReachable(docker)) ? "docker" : "process";
  else runner = opts.runner;
  if (runner === "docker" && !(await dockerReachable(docker))) {
    throw new UserError(
      "--runner docker: no Docker Engine is reachable (start dockerd, or use --runner process)",
    );
  }
  say(
    runner === "docker"
      ? "Docker Engine reachable: building the demo images locally (no registry needed)"
      : "no Docker Engine: running the containers as host processes (runner: process, isolation: none; results say so)",
  );
  let images: DemoImages;
  let entrypoints: Record<string, string[]> = {};
  if (runner === "docker") images = await buildDemoImages(docker);
  else ({ images, entrypoints } = await demoProcessImages(join(dir, "process-images")));

  const homes = new Map(DEMO_SITES.map((s) => [s.id, join(dir, "hospitals", s.id, "fedeval-home")]));
  const fedeval = (args: string[], as?: { home?: string }) =>
    run(process.execPath, [bin, ...args], { ...env, ...(as?.home ? { FEDEVAL_HOME: as.home } : {}) });

  // 1. the committee creates the governance repository
  say(
    `committee ${COMMITTEE} creates the governance repository with benchmark ${B}; its member ${DEMO_MEMBER} makes a signing key and signs the benchmark and its reference model`,
  );
  const remote = join(dir, "governance.git");
  await run("git", ["init", "--bare", "--quiet", "--initial-branch=main", remote], env);
  const clone = async (who: string): Promise<{ root: string; git: SimpleGit }> => {
    const root = join(dir, "clones", who);
    await simpleGit().clone(remote, root);
    return {
      root,
      git: simpleGit({
        baseDir: root,
        config: [`user.name=${who} (fedeval demo)`, "user.email=demo@fedeval.invalid"],
      }),
    };
  };
  const committee = await clone("committee");
  // the committee member's own signing key: the private half stays in the committee's FEDEVAL_HOME
  const committeeHome = join(dir, "committee", "fedeval-home");
  const asMember = (args: string[]) => fedeval(args, { home: committeeHome });
  const member = parse(
    await asMember(["member", "keygen", "--login", DEMO_MEMBER, "--id", "demo-chair-1"]),
  ) as Member[];
  const files = demoGovernanceFiles({ images, datasets: [], results: [] }, member);
  const committeeFiles = [...files].filter(([path]) => {
    if (!path.startsWith(`benchmarks/${B}/`)) return false;
    const rest = path.slice(`benchmarks/${B}/`.length);
    return (
      rest === "benchmark.yaml" ||
      rest === "models/reference-logistic.yaml" ||
      rest.startsWith("containers/prep") ||
      rest.startsWith("containers/evaluator") ||
      rest === "containers/reference-logistic.yaml"
    );
  });
  await writeFiles(committee.root, new Map(committeeFiles));
  await committee.git.add(".");
  await committee.git.commit(`Benchmark ${B} v1`);
  for (const file of [`benchmarks/${B}/benchmark.yaml`, `benchmarks/${B}/models/reference-logistic.yaml`])
    await asMember(["approve", join(committee.root, file), "--root", committee.root]);
  await committee.git.push("origin", "main");

  /**
   * The committee reviews every open branch: a member's signed approval committed onto the
   * proposer's branch (`fedeval approve`), then the PR check with the proposer as its author, then the merge.
   */
  const review = async (authorOf: (branch: string) => string, approve?: "datasets" | "models") => {
    await committee.git.fetch(["--prune", "origin"]);
    const branches = (await committee.git.branch(["-r", "--no-merged", "origin/main"])).all.filter(
      (b) => !b.endsWith("/HEAD"),
    );
    for (const remoteBranch of branches) {
      const branch = remoteBranch.replace(/^origin\//, "");
      await committee.git.checkout(["-B", "review", remoteBranch]);
      const author = authorOf(branch);
      if (approve)
        for (const file of await proposed(committee.root, approve))
          await asMember(["approve", file, "--root", committee.root]);
      await fedeval(["validate", committee.root, "--changed-since", "origin/main", "--author", author]);
      await committee.git.checkout("main");
      await committee.git.merge(["--no-ff", "-m", `Merge pull request: ${branch}`, "review"]);
      await committee.git.push("origin", "main");
      await committee.git.push(["origin", "--delete", branch]);
    }
    return branches.length;
  };
  const siteOwner = (site: string) => DEMO_SITES.find((s) => s.id === site)?.owners[0] as string;
  const siteOfBranch = (branch: string) => DEMO_SITES.find((s) => branch.includes(s.id))?.id as string;

  // 2. hospitals make keys and register their sites
  say("three hospitals make ed25519 signing keys and register their sites");
  const sites = new Map<string, { root: string; git: SimpleGit }>();
  for (const s of DEMO_SITES) {
    const home = getOrThrow(homes, s.id, "site home");
    if (runner === "process") await saveProcessEntrypoints(home, entrypoints);
    const key = parse(await fedeval(["site", "keygen", "--site", s.id, "--id", "demo-key"], { home })) as
      | SiteKey
      | SiteKey[];
    const site = { ...demoSite(s), keys: Array.isArray(key) ? key : [key] };
    const c = await clone(s.id);
    sites.set(s.id, c);
    await c.git.checkoutLocalBranch(`site/${s.id}`);
    await writeFiles(c.root, new Map([[`sites/${s.id}.yaml`, governanceFileText("site", site)]]));
    await c.git.add(".");
    await c.git.commit(`Register site ${s.id}`);
    await c.git.push("origin", `site/${s.id}`);
  }
  await review((branch) => siteOwner(branch.replace("site/", "")));

  // 3. hospitals prepare and register their data; the committee approves
  say(
    `each hospital prepares its own data with the benchmark's preparation container, then registers it; committee member ${DEMO_MEMBER} signs the approval on each pull request (north-general is on the benchmark's allowlist: its dataset is approved without the committee)`,
  );
  for (const s of DEMO_SITES) {
    const home = getOrThrow(homes, s.id, "site home");
    const raw = join(dir, "hospitals", s.id, "raw");
    await run(
      process.execPath,
      [
        join(packageRoot(), "demo/containers/synthetic-site.mjs"),
        `--site=${s.id}`,
        `--data_path=${raw}/images`,
        `--labels_path=${raw}/labels`,
      ],
      env,
    );
    const c = getOrThrow(sites, s.id, "site clone");
    await c.git.checkout("main");
    await c.git.pull("origin", "main");
    const name = `${s.id}-2026q4`;
    await fedeval(
      [
        "dataset",
        "prepare",
        "--benchmark",
        B,
        "--site",
        s.id,
        "--data",
        `${raw}/images`,
        "--labels",
        `${raw}/labels`,
        "--name",
        name,
        "--root",
        c.root,
        "--runner",
        runner,
        "--as",
        s.owners[0],
      ],
      { home },
    );
    await fedeval(
      [
        "dataset",
        "register",
        "--benchmark",
        B,
        "--site",
        s.id,
        "--name",
        name,
        "--root",
        c.root,
        "--forge",
        "git",
      ],
      { home },
    );
  }
  await review((branch) => siteOwner(siteOfBranch(branch)), "datasets");

  // 4. model vendors propose; the committee approves
  say(
    `two model vendors propose their models; committee member ${DEMO_MEMBER} signs each approval on the vendor's branch, and the PR check verifies it`,
  );
  for (const m of DEMO_MODELS.filter((x) => x.id !== "reference-logistic")) {
    const vendor = await clone(m.owner[0]);
    const definition = join(dir, "vendors", m.id, "container_config.yaml");
    await writeFiles(
      join(dir, "vendors", m.id),
      new Map([["container_config.yaml", demoContainerConfig(images.models[m.id] as string, "model")]]),
    );
    await fedeval([
      "model",
      "propose",
      "--benchmark",
      B,
      "--container",
      definition,
      "--id",
      m.id,
      "--image",
      images.models[m.id] as string,
      "--owner",
      m.owner[0],
      "--title",
      m.title,
      "--root",
      vendor.root,
      "--forge",
      "git",
    ]);
  }
  await review((branch) => DEMO_MODELS.find((m) => branch.includes(m.id))?.owner[0] as string, "models");

  // 5. hospitals run, approve by policy, submit
  say(
    `each hospital runs the approved models on its own data (${runner === "docker" ? "containers with no network, read-only inputs" : "host processes"})`,
  );
  for (const s of DEMO_SITES) {
    const home = getOrThrow(homes, s.id, "site home");
    const c = getOrThrow(sites, s.id, "site clone");
    await c.git.checkout("main");
    await c.git.pull("origin", "main");
    await fedeval(["run", "--site", s.id, "--root", c.root, "--runner", runner], { home });
    await writeFiles(
      workspace({ FEDEVAL_HOME: home }).site(s.id).root,
      new Map([
        [
          "policy.yaml",
          toYaml({
            schema: "fedeval/site-policy@1",
            approver: s.owners[0],
            auto_approve: { benchmarks: [B], min_n: 20, subgroups: "allowed" },
          }),
        ],
      ]),
    );
  }
  say("each hospital approves its results by its site policy, signs them and submits them as a pull request");
  for (const s of DEMO_SITES) {
    const home = getOrThrow(homes, s.id, "site home");
    const c = getOrThrow(sites, s.id, "site clone");
    await fedeval(["outbox", "approve", "--site", s.id, "--root", c.root, "--policy"], { home });
    await fedeval(["submit", "--site", s.id, "--root", c.root, "--forge", "git"], { home });
  }
  say("the committee checks each results pull request (signatures, ownership) and merges it");
  const merged = await review((branch) => siteOwner(siteOfBranch(branch)));
  if (merged !== DEMO_SITES.length)
    throw new Error(`expected one results pull request per site, found ${merged}`);

  // 6. main is valid; the leaderboard is built from it
  say("validate main and build the leaderboard");
  await committee.git.pull("origin", "main");
  await fedeval(["validate", committee.root]);
  const pages = join(dir, "leaderboard");
  await fedeval(["leaderboard", "build", committee.root, "--out", pages]);
  const leaderboard = JSON.parse(await readFile(join(pages, "leaderboard.json"), "utf8"));
  if (opts.exportTo) {
    for (const folder of ["sites", `benchmarks/${B}`]) {
      await rm(join(opts.exportTo, folder), { recursive: true, force: true });
      await cp(join(committee.root, folder), join(opts.exportTo, folder), { recursive: true });
    }
  }
  return { runner, dir, remote, pages, leaderboard };
}

/** The associations in `folder` that wait for the committee (status: proposed). */
async function proposed(root: string, folder: "datasets" | "models"): Promise<string[]> {
  const at = join(root, "benchmarks", B, folder);
  const out: string[] = [];
  for (const name of await readdir(at)) {
    const data = parse(await readFile(join(at, name), "utf8")) as Dataset | Model;
    if (data.status === "proposed") out.push(join(at, name));
  }
  return out;
}

async function writeFiles(root: string, files: Map<string, string>): Promise<void> {
  for (const [path, text] of files) {
    const target = join(root, path);
    await mkdir(join(target, ".."), { recursive: true });
    await writeFile(target, text);
  }
}

/** Runs a program; its stdout on success, an error with the last lines of its output otherwise. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else {
        const shown = args[0]?.endsWith("fedeval.js")
          ? `fedeval ${args.slice(1).join(" ")}`
          : `${command} ${args.join(" ")}`;
        const tail = `${out}${err}`.trim().split("\n").slice(-15).join("\n");
        reject(new Error(`demo step failed (exit ${code}): ${shown}\n${tail}`));
      }
    });
  });
}
