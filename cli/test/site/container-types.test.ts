/**
 * Container types in `fedeval run` against the real Docker Engine: a DockerArchive model (a
 * `docker save` archive built here, served from 127.0.0.1) is downloaded, checked, loaded and
 * run as the image id its reference pins; a wrong archive or hash is refused before it runs; a
 * SingularityFile is refused in one line.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { buildDemoImages } from "../../src/app/demo/demo-images.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { runCommand } from "../../src/commands/run.ts";
import { buildNodeImage } from "../../src/containers/node-image.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { Outbox } from "../../src/results/outbox.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { dockerForTests } from "../helpers/docker.ts";
import { serve } from "../helpers/file-server.ts";
import { BENCHMARK, containerConfig, type TestImages, testModel } from "../helpers/fixtures.ts";
import { sha256 } from "../helpers/tar.ts";
import {
  DEMO_CONTAINERS,
  demoImageRefs,
  onlyModels,
  type PreparedDataset,
  prepareDemoDataset,
  removeImages,
  SITE,
  type SiteWorld,
  siteWorld,
} from "./site-fixture.ts";

const { docker, skip } = await dockerForTests();
const b = `benchmarks/${BENCHMARK}`;

describe("container types in fedeval run", { skip }, () => {
  let images: TestImages;
  /** The demo effusion-net-v2 model, built under another tag and saved by id, then removed. */
  let archived: string;
  let archive: Buffer;
  /** Another image's archive. */
  let other: string;
  let otherArchive: Buffer;
  let prepared: PreparedDataset;
  let server: Awaited<ReturnType<typeof serve>>;

  const save = async (id: string) => {
    const dir = await mkdtemp(join(tmpdir(), "fedeval-archive-"));
    execFileSync("docker", ["save", "-o", join(dir, "image.tar"), id]);
    return readFile(join(dir, "image.tar"));
  };
  const remove = () => removeImages(docker, [archived]);

  before(async () => {
    images = await buildDemoImages(docker, "fedeval-test-types");
    archived = await buildNodeImage(docker, {
      tag: "fedeval-test-types/archived:dev",
      files: {
        "/app/lib.mjs": { hostPath: join(DEMO_CONTAINERS, "lib.mjs") },
        "/app/model.mjs": { hostPath: join(DEMO_CONTAINERS, "model.mjs") },
        "/app/weights.json": { hostPath: join(DEMO_CONTAINERS, "weights", "effusion-net-v2.json") },
        "/app/archived.txt": "loaded from an archive",
      },
      entrypoint: [],
    });
    other = await buildNodeImage(docker, {
      tag: "fedeval-test-types/other:dev",
      files: { "/app/model.mjs": "process.exit(0);" },
      entrypoint: [],
    });
    archive = await save(archived);
    otherArchive = await save(other);
    await removeImages(docker, [other]);
    server = await serve({ "/archived.tar": archive, "/other.tar": otherArchive });
    prepared = await prepareDemoDataset(images, docker);
  });
  after(async () => {
    server?.close();
    if (images) await removeImages(docker, [...demoImageRefs(images), archived, other]);
  });

  /** effusion-net-v2 as an image, beside `archived` (the same model) as a `containerType` at `path`. */
  const withModel =
    (containerType: string, path: string, archiveSha: string | undefined) => (files: Map<string, string>) => {
      onlyModels(["reference-logistic", "effusion-net-v2"])(files);
      const config = parse(containerConfig(archived, "model"));
      config.container_type = containerType;
      config.image = `${server.url}${path}`;
      files.set(`${b}/containers/archived.yaml`, toYaml(config));
      const model = {
        ...testModel("effusion-net-v2", archived),
        id: "archived",
        title: "archived",
        container: {
          image: archived,
          config: "containers/archived.yaml",
          ...(archiveSha && { archive_sha256: archiveSha }),
        },
      };
      files.set(`${b}/models/archived.yaml`, governanceFileText("model", model));
    };

  async function run(w: SiteWorld) {
    const io = bufferIO();
    const code = await runCommand(
      {
        site: SITE,
        root: w.root,
        runner: "docker",
        cwd: w.root,
        env: w.env,
        docker,
        timeout: "60s",
        memory: "512m",
      },
      io,
    );
    return { code, out: io.out.join(""), err: io.err.join("") };
  }
  const lineOf = (out: string) => out.split("\n").find((l) => l.includes("/ archived on")) ?? out;

  test("a DockerArchive is downloaded once, loaded, pinned by its image id, and scores as the image", async () => {
    await remove();
    const w = await siteWorld(images, prepared, withModel("DockerArchive", "/archived.tar", sha256(archive)));
    assert.deepEqual(
      (await validateRepository({ root: w.root })).diagnostics.filter((d) => d.severity === "error"),
      [],
    );
    const before = server.requests.length;
    const { code, out, err } = await run(w);
    assert.equal(code, 0, out + err);
    assert.deepEqual(server.requests.slice(before), ["/archived.tar"]);
    const results = Object.fromEntries(
      (await new Outbox(w.site.outbox).list()).map((e) => [e.result.model, e.result]),
    );
    assert.deepEqual(results.archived?.metrics, results["effusion-net-v2"]?.metrics);
    assert.equal(results.archived?.provenance.images.model, archived);
    assert.equal((await docker.getImage(archived).inspect()).Id, archived);

    // the engine holds it now: a run in another workspace downloads nothing
    const again = await siteWorld(
      images,
      prepared,
      withModel("DockerArchive", "/archived.tar", sha256(archive)),
    );
    const count = server.requests.length;
    assert.equal((await run(again)).code, 0);
    assert.equal(server.requests.length, count);
  });

  test("an archive holding another image than the pinned one is refused, and nothing of it runs", async () => {
    await remove();
    const w = await siteWorld(
      images,
      prepared,
      withModel("DockerArchive", "/other.tar", sha256(otherArchive)),
    );
    const { code, out } = await run(w);
    assert.notEqual(code, 0);
    assert.match(
      lineOf(out),
      new RegExp(
        `failed .*model image refused: the image archive of model archived: http://127\\.0\\.0\\.1:\\d+/other\\.tar holds ${other}, not the pinned ${archived}`,
      ),
    );
    await removeImages(docker, [other]);
  });

  test("an archive with another hash than the declared one is refused before it is loaded", async () => {
    await remove();
    const w = await siteWorld(images, prepared, withModel("DockerArchive", "/archived.tar", "e".repeat(64)));
    const { code, out } = await run(w);
    assert.notEqual(code, 0);
    assert.match(lineOf(out), /has SHA-256 [0-9a-f]{64}, not the declared e{64}; nothing was run/);
    await assert.rejects(docker.getImage(archived).inspect(), "the archive was not loaded");
  });

  test("a DockerArchive reference without archive_sha256 is refused by validate", async () => {
    const w = await siteWorld(images, prepared, withModel("DockerArchive", "/archived.tar", undefined));
    const found = (await validateRepository({ root: w.root })).diagnostics.filter((d) => d.rule === "FE231");
    assert.deepEqual(
      found.map((d) => [d.file, d.message]),
      [
        [
          `${b}/models/archived.yaml`,
          "containers/archived.yaml is a DockerArchive (its image is an archive at a URL): declare archive_sha256, the archive's SHA-256",
        ],
      ],
    );
  });

  test("a SingularityFile is refused in one line that says what runs here", async () => {
    const w = await siteWorld(images, prepared, withModel("SingularityFile", "/model.sif", undefined));
    const errors = (await validateRepository({ root: w.root })).diagnostics.filter((d) => d.rule === "FE508");
    assert.deepEqual(
      errors.map((d) => d.message),
      [
        "SingularityFile cannot run here: fedeval runs containers through a Docker Engine API (Docker or Podman), not Singularity; fedeval runs DockerImage (a registry image pinned by digest, or a local image pinned by id) and DockerArchive (a `docker save` archive by URL)",
      ],
    );
  });
});
