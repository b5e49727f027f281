/**
 * The npm package installs and runs outside a clone: `npm pack`, then `npm install -g` of the
 * tarball into a temporary prefix with nothing from the registry (fedeval has no runtime
 * dependencies: dist/ inlines them), then `fedeval --version` and `fedeval validate` of a copy of
 * this repository's governance tree, run from a folder with no node_modules above it.
 * scripts/test.mjs has built dist/ already; the pack runs no script, so it does not rebuild
 * dist/ under the other tests.
 */
import assert from "node:assert/strict";
import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";

const repo = resolve(import.meta.dirname, "../../..");
const MAX_INSTALLED_KIB = 25 * 1024;
/** What the tarball may hold besides package.json, README.md and LICENSE. */
const PACKED_FOLDERS = ["bin/", "dist/", "schemas/", "templates/", "demo/containers/"];

function run(command: string, args: string[], options: SpawnSyncOptions): string {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 120_000, ...options });
  assert.equal(r.status, 0, `${command} ${args.join(" ")} failed: ${r.stderr}`);
  return String(r.stdout);
}

describe("the npm package", () => {
  let tmp: string;
  let packed: { filename: string; files: { path: string }[] };
  let prefix: string;
  let installed: string;
  const env = () => ({ ...process.env, npm_config_cache: join(tmp, "npm-cache") });

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "fedeval-package-test-"));
    const json = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], {
      cwd: repo,
      env: env(),
    });
    [packed] = JSON.parse(json) as [typeof packed];
    prefix = join(tmp, "prefix");
    // --offline: the install may fetch nothing
    run(
      "npm",
      [
        "install",
        "-g",
        "--prefix",
        prefix,
        "--offline",
        "--no-audit",
        "--no-fund",
        join(tmp, packed.filename),
      ],
      { cwd: tmp, env: env() },
    );
    installed = join(prefix, "lib", "node_modules", "fedeval");
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it("packs only what runs", () => {
    const stray = packed.files
      .map((f) => f.path)
      .filter((p) => !["package.json", "README.md", "LICENSE"].includes(p))
      .filter((p) => !PACKED_FOLDERS.some((f) => p.startsWith(f)) || p.endsWith(".map"));
    assert.deepEqual(stray, []);
  });

  it("installs no dependencies and stays small", async () => {
    const entries = await readdir(installed, { recursive: true });
    assert.deepEqual(
      entries.filter((e) => e.split("/").includes("node_modules")),
      [],
    );
    const kib = Number(run("du", ["-sk", prefix], {}).split("\t")[0]);
    assert.ok(kib <= MAX_INSTALLED_KIB, `installed size ${kib} KiB > ${MAX_INSTALLED_KIB} KiB`);
  });

  it("runs --version and validate from the installed package", async () => {
    const fedeval = join(prefix, "bin", "fedeval");
    const { version } = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { version: string };
    assert.equal(run(fedeval, ["--version"], { cwd: tmp }).trim(), version);
    const tree = join(tmp, "governance");
    for (const dir of ["sites", "benchmarks", "schemas"])
      await cp(join(repo, dir), join(tree, dir), { recursive: true });
    const r = spawnSync(fedeval, ["validate", tree], { cwd: tmp, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /^valid: \d+ files$/m);
  });
});
