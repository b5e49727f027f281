import assert from "node:assert/strict";
import { truncateSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { datasetHashCommand } from "../../src/commands/dataset-hash.ts";
import { bufferIO } from "../../src/commands/io.ts";

/** The test vector of schemas/dataset-hash.md, under `<tmp>/site/prepared`. */
async function vectorDataset(): Promise<string> {
  const root = join(await mkdtemp(join(tmpdir(), "fedeval-dataset-cmd-")), "site", "prepared");
  const files: Record<string, string> = {
    "README.md": "fedeval test vector\n",
    "data.csv": "case,label\n001,0\n002,1\n",
    "data/Zebra.txt": "",
    "data/apple.txt": "0123456789",
    "data/ñ.txt": "ñ\n",
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

const HASH = "fedeval-tree-v1:sha256:db56c3c39f3a9d67a835c515ff83e263e782cc3b8571f9ed685de58bf8fb154e";
const MEDPERF_UID = "e31602824f21a7efe8d5a88fe84e65a1624cb2936bcd7ee8e2ac83539c473334";

describe("fedeval dataset hash", () => {
  test("--json prints dir, hash, medperf_uid, files and bytes; DIR is relative to cwd", async () => {
    const root = await vectorDataset();
    const io = bufferIO();
    const code = await datasetHashCommand({ dir: `prepared`, json: true, cwd: dirname(root) }, io);
    assert.equal(code, 0);
    assert.equal(io.err.join(""), "");
    assert.deepEqual(JSON.parse(io.out.join("")), {
      dir: root,
      hash: HASH,
      medperf_uid: MEDPERF_UID,
      files: 5,
      bytes: 56,
    });
  });

  test("text output, one value per line", async () => {
    const root = await vectorDataset();
    const io = bufferIO();
    assert.equal(await datasetHashCommand({ dir: root, json: false, cwd: "/" }, io), 0);
    assert.equal(
      io.out.join(""),
      [
        `dataset      ${root}`,
        `hash         ${HASH}`,
        `medperf_uid  ${MEDPERF_UID}`,
        "files        5",
        "bytes        56 (56 B)",
        "",
      ].join("\n"),
    );
  });

  test("a missing directory is a UserError with a one-line message", async () => {
    const root = await vectorDataset();
    await assert.rejects(datasetHashCommand({ dir: "nope", json: true, cwd: root }, bufferIO()), {
      name: "UserError",
      message: `dataset directory not found: ${join(root, "nope")}`,
    });
    await assert.rejects(datasetHashCommand({ dir: "README.md", json: false, cwd: root }, bufferIO()), {
      name: "UserError",
      message: `not a directory: ${join(root, "README.md")}`,
    });
  });

  test("a large tree shows progress in whole percents, up to 100%", async () => {
    const root = await mkdtemp(join(tmpdir(), "fedeval-dataset-large-"));
    // Sparse files: 300 MiB that cost no disk space and read at memory speed.
    for (const [name, size] of [
      ["a.raw", 200],
      ["b.raw", 100],
    ] as const) {
      await writeFile(join(root, name), "");
      truncateSync(join(root, name), size * 1024 * 1024);
    }
    const io = bufferIO();
    const shown: string[] = [];
    io.logger.progress = (m) => shown.push(m);
    assert.equal(await datasetHashCommand({ dir: root, json: true, cwd: "/" }, io), 0);
    assert.equal(JSON.parse(io.out.join("")).bytes, 300 * 1024 * 1024);
    const percents = shown.map((m) => Number(/: (\d+)% \(/.exec(m)?.[1]));
    assert.ok(shown.length >= 2 && shown.length <= 101, `${shown.length} progress lines`);
    assert.deepEqual(
      percents,
      [...new Set(percents)].sort((a, b) => a - b),
      "each percent once, increasing",
    );
    assert.equal(shown.at(-1), `hashing ${root}: 100% (2/2 files, 300 MiB)`);
  });
});
