/**
 * Container types in `fedeval run` against the real Docker Engine: a DockerArchive model (a
 * `docker save` archive built here, served from 127.0.0.1) is downloaded, checked, loaded and
 * run as the image id its reference pins; a wrong archive or hash is refused before it runs; an
 * EncryptedDockerArchive (gpg, as MedPerf's encrypt_container) runs where its owner granted the
 * site the key and nowhere else; a SingularityFile is refused in one line.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { buildDemoImages } from "../../src/app/demo/demo-images.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { modelGrantCommand, modelRevokeCommand } from "../../src/commands/model-access.ts";
import { runCommand } from "../../src/commands/run.ts";
import { buildNodeImage } from "../../src/containers/node-image.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import { governanceFileText } from "../../src/governance/governance-file.ts";
import { Outbox } from "../../src/results/outbox.ts";
import { validateRepository } from "../../src/validate/validate-repository.ts";
import { dockerForTests } from "../helpers/docker.ts";
import { serve } from "../helpers/file-server.ts";
import {
  BENCHMARK,
  containerConfig,
  decide,
  siteKey,
  type TestImages,
  testModel,
} from "../helpers/fixtures.ts";
import { commitAll } from "../helpers/git.ts";
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
      decide(files, `${b}/models/archived.yaml`);
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
        "SingularityFile cannot run here: fedeval runs containers through a Docker Engine API (Docker or Podman), not Singularity; fedeval runs DockerImage (a registry image pinned by digest, or a local image pinned by id), DockerArchive (a `docker save` archive by URL) and EncryptedDockerArchive (the same, GPG-encrypted)",
      ],
    );
  });

  describe("EncryptedDockerArchive, as MedPerf's encrypt_container makes it", () => {
    let secretFile: string;
    let secret: Buffer;
    let encrypted: Buffer;

    before(async () => {
      // the model owner: a 32-byte secret (generate_secret.py), then gpg as MedPerf's README says
      const dir = await mkdtemp(join(tmpdir(), "fedeval-owner-"));
      secret = randomBytes(32);
      secretFile = join(dir, "secret.bin");
      await writeFile(secretFile, secret, { mode: 0o600 });
      await writeFile(join(dir, "archive.tar"), archive);
      const gnupg = await mkdtemp(join(tmpdir(), "fedeval-owner-gnupg-"));
      execFileSync(
        "gpg",
        [
          "--batch",
          "--output",
          join(dir, "private.gpg"),
          "--symmetric",
          "--passphrase-file",
          secretFile,
          join(dir, "archive.tar"),
        ],
        { env: { ...process.env, GNUPGHOME: gnupg }, stdio: "ignore" },
      );
      encrypted = await readFile(join(dir, "private.gpg"));
      server.close();
      server = await serve({
        "/archived.tar": archive,
        "/other.tar": otherArchive,
        "/private.gpg": encrypted,
      });
    });

    /** A world where the model is encrypted, the site holds its private key, and `grant` ran. */
    async function privateWorld(grant: (root: string) => Promise<void>) {
      await remove();
      const w = await siteWorld(
        images,
        prepared,
        withModel("EncryptedDockerArchive", "/private.gpg", sha256(encrypted)),
      );
      const key = siteKey(SITE);
      await mkdir(w.site.keys, { recursive: true });
      await writeFile(
        join(w.site.keys, `${key.id}.pem`),
        key.privateKey.export({ format: "pem", type: "pkcs8" }),
        {
          mode: 0o600,
        },
      );
      await grant(w.root);
      commitAll(w.root, "key grants");
      return w;
    }
    const grantTo = (site: string) => async (root: string) => {
      const io = bufferIO();
      const code = await modelGrantCommand(
        { root, benchmark: BENCHMARK, model: "archived", site, keyFile: secretFile },
        io,
      );
      assert.equal(code, 0, io.err.join(""));
    };

    test("a site the owner granted runs it; the key is nowhere in the clear; the image is gone afterwards", async () => {
      const w = await privateWorld(grantTo(SITE));
      const model = parse(await readFile(join(w.root, b, "models", "archived.yaml"), "utf8"));
      assert.deepEqual(
        model.key_grants.map((g: { site: string; key: string }) => [g.site, g.key]),
        [[SITE, "demo-1"]],
      );
      assert.deepEqual(
        (await validateRepository({ root: w.root })).diagnostics.filter((d) => d.severity === "error"),
        [],
      );
      const { code, out, err } = await run(w);
      assert.equal(code, 0, out + err);
      const entries = await new Outbox(w.site.outbox).list();
      const results = Object.fromEntries(entries.map((e) => [e.result.model, e.result]));
      assert.deepEqual(results.archived?.metrics, results["effusion-net-v2"]?.metrics);
      await assert.rejects(
        docker.getImage(archived).inspect(),
        "the decrypted image was removed after the run",
      );

      // the key, in any spelling, is nowhere: repository, workspace (logs, outbox), output
      const spellings = [secret.toString("hex"), secret.toString("base64"), secret.toString("latin1")];
      const texts = [out, err];
      for (const dir of [w.root, w.home]) {
        for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
          if (f.isFile() && !f.parentPath.includes(`${join(w.root, ".git")}`)) {
            texts.push((await readFile(join(f.parentPath, f.name))).toString("latin1"));
          }
        }
      }
      for (const text of texts)
        for (const spelling of spellings) assert.ok(!text.includes(spelling), "the key leaked");
      assert.deepEqual(await readdir(w.site.imageArchives), [], "no archive, encrypted or not, is left");
    });

    test("a grant to another site does not open here; a revoked grant stops the next run", async () => {
      for (const grant of [
        grantTo("south-coast"),
        async (root: string) => {
          await grantTo(SITE)(root);
          const io = bufferIO();
          assert.equal(
            await modelRevokeCommand({ root, benchmark: BENCHMARK, model: "archived", site: SITE }, io),
            0,
          );
          assert.match(io.err.join(""), /1 grant\(s\) of site north-general removed; no site has access now/);
        },
      ]) {
        const w = await privateWorld(grant);
        const before = server.requests.length;
        const { code, out } = await run(w);
        assert.notEqual(code, 0);
        assert.match(
          lineOf(out),
          /model image refused: model archived is encrypted, and benchmarks\/pleural-effusion-demo\/models\/archived\.yaml grants site north-general no key it can open: ask the model's owner for access \(fedeval model grant\)/,
        );
        assert.equal(server.requests.length, before, "nothing was downloaded");
      }
    });
  });
});
