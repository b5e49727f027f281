/**
 * The CLI bundle (scripts/build-options.ts) leaves dockerode's SSH, BuildKit and build-context
 * parts in node_modules, and they still work when used: each is exercised here from a bundle built
 * with the CLI's options, run by plain node, against endpoints that refuse (so no engine is needed),
 * and must fail the way the real module fails — not with "Cannot find module" or a TypeError.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { build } from "esbuild";
import { cliBuildOptions } from "../../../scripts/build-options.ts";

const repo = resolve(import.meta.dirname, "../../..");

/** Run by the bundle: each of dockerode's lazily loaded parts, printed as `part: outcome`. */
const ENTRY = `
import { Readable } from "node:stream";
import Docker from "dockerode";
const [port, context] = process.argv.slice(2);
const outcome = (p) => p.then(() => "ok", (err) => err.code ?? err.constructor.name + ": " + err.message);
const nowhere = new Docker({ socketPath: "/nonexistent/docker.sock" });
const lines = Readable.from(['{"status":"a"}\\n', '{"status":"b"}\\n']);
const results = {
  ssh: await outcome(new Docker({ protocol: "ssh", host: "127.0.0.1", port: Number(port), username: "x" }).ping()),
  buildkit: await new Promise((done) =>
    new Docker().followProgress(lines, (err, out) => done(err ? String(err) : out.map((o) => o.status).join(""))),
  ),
  tarFs: await outcome(nowhere.buildImage({ context, src: ["Dockerfile"] }, { t: "x" })),
  session: await outcome(nowhere.buildImage({ context, src: ["Dockerfile"] }, { t: "x", version: "2" })),
};
process.stdout.write(JSON.stringify(results));
`;

describe("the CLI bundle's lazily loaded dockerode parts", () => {
  let out: string;
  before(async () => {
    // inside node_modules, like dist/, so the lazily loaded modules resolve
    out = await mkdtemp(join(repo, "node_modules", ".cache-fedeval-bundle-test-"));
    await writeFile(join(out, "entry.mjs"), ENTRY);
    await writeFile(join(out, "Dockerfile"), "FROM scratch\n");
    await build(
      cliBuildOptions({ outdir: join(out, "dist"), entryPoints: { entry: join(out, "entry.mjs") } }),
    );
  });
  after(() => rm(out, { recursive: true, force: true }));

  it("bundles none of them", async () => {
    const files = await readdir(join(out, "dist"));
    for (const f of files) {
      const text = await readFile(join(out, "dist", f), "utf8");
      assert.doesNotMatch(text, /node_modules\/(ssh2|@grpc|protobufjs|tar-fs)\//, f);
      assert.match(text, /node_modules\/docker-modem\/lib\/modem\.js/, "dockerode itself is bundled");
    }
  });

  it("loads each from node_modules when it is used", async () => {
    // a port nothing listens on
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    server.close();
    const run = spawnSync(process.execPath, [join(out, "dist", "entry.js"), String(port), out], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(run.stdout);
    // ssh2's client tried to connect
    assert.equal(results.ssh, "ECONNREFUSED");
    assert.equal(results.buildkit, "ab");
    // the build context was packed by tar-fs, then the engine was unreachable
    assert.equal(results.tarFs, "ENOENT");
    assert.equal(results.session, "ENOENT");
  });
});
