/**
 * Both bundles (scripts/build-options.ts) replace dockerode's SSH, BuildKit and build-context parts
 * by stand-ins: those parts bring optional native add-ons (so the bundle would depend on what npm
 * installed) and an installed fedeval has no node_modules to load them from. A bundle built with
 * the CLI's options, run by plain node from a folder with no node_modules above it, must fail with
 * each stand-in's one-line error when a part is used — not with "Cannot find module".
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { build, type Metafile } from "esbuild";
import { actionBuildOptions, cliBuildOptions } from "../../../scripts/build-options.ts";

const repo = resolve(import.meta.dirname, "../../..");

/** Run by the bundle: each of dockerode's left-out parts, printed as `part: error name: message`. */
const ENTRY = `
import { Readable } from "node:stream";
import Docker from "dockerode";
const [context] = process.argv.slice(2);
const failure = (err) => err.name + ": " + err.message;
const outcome = (p) => p.then(() => "ok", failure);
const nowhere = new Docker({ socketPath: "/nonexistent/docker.sock" });
const lines = Readable.from(['{"status":"a"}\\n']);
const results = {
  ssh: await outcome(new Docker({ protocol: "ssh", host: "127.0.0.1", port: 1, username: "x" }).ping()),
  buildkit: await outcome(new Promise((done) => new Docker().followProgress(lines, done))),
  // dockerode packs the context in a callback of fs.readFile: the stand-in's error is uncaught
  tarFs: await new Promise((done) => {
    process.once("uncaughtException", (err) => done(failure(err)));
    nowhere.buildImage({ context, src: ["Dockerfile"] }, { t: "x" }).then(() => done("ok"), (err) => done(failure(err)));
  }),
  session: await outcome(nowhere.buildImage({ context, src: ["Dockerfile"] }, { t: "x", version: "2" })),
};
process.stdout.write(JSON.stringify(results));
`;

/** The inputs of a bundle from a package esbuild should have left out. */
function leftOutInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs).filter((f) =>
    /node_modules\/(ssh2|cpu-features|@grpc|protobufjs|tar-fs)\//.test(f),
  );
}

describe("dockerode's left-out parts", () => {
  let out: string;
  let metafile: Metafile;
  before(async () => {
    // no node_modules above the bundle, as in an installed package
    out = await mkdtemp(join(tmpdir(), "fedeval-bundle-test-"));
    await writeFile(join(out, "entry.mjs"), ENTRY);
    await writeFile(join(out, "Dockerfile"), "FROM scratch\n");
    ({ metafile } = await build({
      ...cliBuildOptions({ outdir: join(out, "dist"), entryPoints: { entry: join(out, "entry.mjs") } }),
      nodePaths: [join(repo, "node_modules")],
      metafile: true,
    }));
  });
  after(() => rm(out, { recursive: true, force: true }));

  it("are in neither bundle", async () => {
    assert.deepEqual(leftOutInputs(metafile), []);
    assert.ok(
      Object.keys(metafile.inputs).some((f) => f.endsWith("node_modules/docker-modem/lib/modem.js")),
      "dockerode itself is bundled",
    );
    const action = await build({ ...actionBuildOptions(), write: false, metafile: true });
    assert.deepEqual(leftOutInputs(action.metafile), []);
  });

  it("throw a one-line error when used", () => {
    const run = spawnSync(process.execPath, [join(out, "dist", "entry.js"), out], {
      cwd: out,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(run.stdout) as Record<string, string>;
    assert.match(results.ssh ?? "", /^UserError: fedeval does not support ssh:\/\/ Docker hosts; /);
    assert.match(results.buildkit ?? "", /^Error: fedeval's bundle leaves out dockerode's BuildKit progress/);
    assert.match(results.tarFs ?? "", /^Error: fedeval's bundle leaves out dockerode's build contexts/);
    assert.match(results.session ?? "", /^Error: fedeval's bundle leaves out dockerode's BuildKit sessions/);
    for (const [part, message] of Object.entries(results)) assert.doesNotMatch(message, /\n/, part);
  });
});
