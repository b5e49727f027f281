import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { ExternalError, UserError } from "../../src/base/errors.ts";
import { hashDatasetTree, hashFile, listDatasetFiles } from "../../src/site/tree-hash.ts";

/** Writes `files` (path → content) under a new temporary directory; a path ending in `/` is an empty folder. */
async function makeDataset(files: Record<string, string | Buffer>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "fedeval-dataset-"));
  for (const [path, content] of Object.entries(files)) {
    if (path.endsWith("/")) await mkdir(join(root, path), { recursive: true });
    else {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
  }
  return root;
}

/** The test vector of schemas/dataset-hash.md. */
const VECTOR = {
  "README.md": "fedeval test vector\n",
  "data.csv": "case,label\n001,0\n002,1\n",
  "data/Zebra.txt": "",
  "data/apple.txt": "0123456789",
  "data/ñ.txt": "ñ\n",
  "empty/": "",
};

const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

async function refusal(root: string): Promise<string> {
  const e = await hashDatasetTree(root).then(
    () => assert.fail("hashed a tree that should be refused"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
  return e.message;
}

describe("fedeval-tree-v1", () => {
  it("matches the test vector of schemas/dataset-hash.md", async () => {
    const root = await makeDataset(VECTOR);
    assert.deepEqual(
      listDatasetFiles(root).files.map((f) => f.path),
      ["README.md", "data.csv", "data/Zebra.txt", "data/apple.txt", "data/ñ.txt"],
      "byte order: '.' (0x2E) before '/' (0x2F), 'Z' before 'a', non-ASCII last; the empty folder is not listed",
    );
    assert.deepEqual(await hashDatasetTree(root), {
      hash: "fedeval-tree-v1:sha256:db56c3c39f3a9d67a835c515ff83e263e782cc3b8571f9ed685de58bf8fb154e",
      // Computed by MedPerf's own get_folders_hash (cli/medperf/utils.py) on this tree.
      medperfUid: "e31602824f21a7efe8d5a88fe84e65a1624cb2936bcd7ee8e2ac83539c473334",
      files: 5,
      bytes: 56,
    });
  });

  it("is the SHA-256 of the documented lines", async () => {
    const root = await makeDataset({ "b/x.bin": "xyz", a: "" });
    const lines = `a\x000\x00${sha256("")}\nb/x.bin\x003\x00${sha256("xyz")}\n`;
    const result = await hashDatasetTree(root);
    assert.equal(result.hash, `fedeval-tree-v1:sha256:${sha256(lines)}`);
    assert.equal(result.medperfUid, sha256([sha256("xyz"), sha256("")].sort().join("")));
  });

  it("changes when a file is renamed or moved, while MedPerf's value does not", async () => {
    const root = await makeDataset(VECTOR);
    const before = await hashDatasetTree(root);
    renameSync(join(root, "data/apple.txt"), join(root, "data/apple2.txt"));
    const renamed = await hashDatasetTree(root);
    renameSync(join(root, "data/apple2.txt"), join(root, "empty/apple2.txt"));
    const moved = await hashDatasetTree(root);
    assert.equal(new Set([before.hash, renamed.hash, moved.hash]).size, 3);
    assert.equal(renamed.medperfUid, before.medperfUid);
    assert.equal(moved.medperfUid, before.medperfUid);
  });

  it("changes when two files swap contents; MedPerf's value, a hash of the sorted content digests, does not", async () => {
    // Swapping the images of two cases (or the labels of two patients) keeps the same multiset
    // of file contents: MedPerf cannot tell, the path-aware hash can.
    const root = await makeDataset({ "case-1/label.txt": "benign\n", "case-2/label.txt": "malignant\n" });
    const before = await hashDatasetTree(root);
    writeFileSync(join(root, "case-1/label.txt"), "malignant\n");
    writeFileSync(join(root, "case-2/label.txt"), "benign\n");
    const after = await hashDatasetTree(root);
    assert.notEqual(after.hash, before.hash);
    assert.equal(after.medperfUid, before.medperfUid);
  });

  it("covers nested folders and empty files, and ignores empty folders", async () => {
    const root = await makeDataset({ "a/b/c/d/e/deep.nii": "voxel", "a/b/empty.txt": "", "x/y/z/": "" });
    const { files } = listDatasetFiles(root);
    assert.deepEqual(
      files.map((f) => [f.path, f.size]),
      [
        ["a/b/c/d/e/deep.nii", 5],
        ["a/b/empty.txt", 0],
      ],
    );
    const withoutEmptyFolder = await makeDataset({ "a/b/c/d/e/deep.nii": "voxel", "a/b/empty.txt": "" });
    assert.equal((await hashDatasetTree(root)).hash, (await hashDatasetTree(withoutEmptyFolder)).hash);
    const withoutEmptyFile = await makeDataset({ "a/b/c/d/e/deep.nii": "voxel" });
    assert.notEqual((await hashDatasetTree(root)).hash, (await hashDatasetTree(withoutEmptyFile)).hash);
  });

  it("hashes an empty tree as the SHA-256 of nothing", async () => {
    const root = await makeDataset({ "empty/": "" });
    assert.deepEqual(await hashDatasetTree(root), {
      hash: `fedeval-tree-v1:sha256:${sha256("")}`,
      medperfUid: sha256(""),
      files: 0,
      bytes: 0,
    });
  });

  it("hashes the same with a pool of workers as on the calling thread alone", async () => {
    // A few hundred files of pseudo-random sizes (some empty, some over one read chunk).
    const files: Record<string, Buffer> = {};
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const size = i % 50 === 0 ? 1.5 * 1024 * 1024 + i : seed % 20000;
      files[`case-${String(i % 37).padStart(3, "0")}/slice-${i}.dcm`] = Buffer.alloc(size, i);
    }
    const root = await makeDataset(files);
    const lines = Object.keys(files)
      .sort()
      .map((p) => `${p}\0${files[p]?.length}\0${sha256(files[p] as Buffer)}\n`)
      .join("");
    const progress: number[] = [];
    const inProcess = await hashDatasetTree(root, { workers: 0 });
    // The calling thread never takes the first `workers` files, so the workers hash some for sure.
    const pooled = await hashDatasetTree(root, { workers: 3, onProgress: (p) => progress.push(p.bytes) });
    assert.equal(inProcess.hash, `fedeval-tree-v1:sha256:${sha256(lines)}`);
    assert.deepEqual(pooled, inProcess);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      "progress only grows",
    );
    assert.equal(progress.at(-1), inProcess.bytes);
  });

  it("reports progress per file up to the totals", async () => {
    const root = await makeDataset({ a: "1", b: "22", c: "333" });
    const seen: string[] = [];
    await hashDatasetTree(root, {
      onProgress: (p) => seen.push(`${p.files}/${p.totalFiles} ${p.bytes}/${p.totalBytes}`),
    });
    assert.equal(seen.at(-1), "3/3 6/6");
    for (const files of ["1/3", "2/3"])
      assert.ok(
        seen.some((s) => s.startsWith(files)),
        `no progress at ${files}: ${seen}`,
      );
  });
});

describe("what fedeval-tree-v1 refuses", () => {
  it("refuses a missing directory and a file given as the dataset", async () => {
    const root = await makeDataset({ "f.txt": "x" });
    await assert.rejects(hashDatasetTree(join(root, "nope")), {
      name: "UserError",
      message: `dataset directory not found: ${join(root, "nope")}`,
    });
    await assert.rejects(hashDatasetTree(join(root, "f.txt", "sub")), {
      name: "UserError",
      message: /not found/,
    });
    await assert.rejects(hashDatasetTree(join(root, "f.txt")), {
      name: "UserError",
      message: `not a directory: ${join(root, "f.txt")}`,
    });
  });

  it("refuses a symlink that leaves the tree, naming it", async () => {
    const outside = await makeDataset({ "secret.txt": "patient list" });
    const root = await makeDataset({ "data/a.txt": "a" });
    symlinkSync(join(outside, "secret.txt"), join(root, "data/link.txt"));
    const message = await refusal(root);
    assert.match(message, /^symlink leaves the dataset directory: /);
    assert.ok(message.includes(`${join(root, "data/link.txt")} -> ${join(outside, "secret.txt")}`), message);

    const relative = await makeDataset({ "data/a.txt": "a" });
    symlinkSync("../../escape.txt", join(relative, "data/up.txt"));
    assert.match(
      await refusal(relative),
      /^symlink leaves the dataset directory: .*data\/up\.txt -> \.\.\/\.\.\/escape\.txt/,
    );

    // Inside the tree by name, outside through a symlinked folder: whichever link the walk meets first leaves.
    const through = await makeDataset({ "a.txt": "a" });
    symlinkSync(outside, join(through, "ext"));
    symlinkSync("ext/secret.txt", join(through, "b.txt"));
    assert.match(await refusal(through), /^symlink leaves the dataset directory: /);
  });

  it("refuses absolute, dangling, chained and directory symlinks even inside the tree", async () => {
    const absolute = await makeDataset({ "a.txt": "a" });
    symlinkSync(join(absolute, "a.txt"), join(absolute, "b.txt"));
    assert.match(await refusal(absolute), /^symlink with an absolute target: .*b\.txt/);

    const dangling = await makeDataset({ "a.txt": "a" });
    symlinkSync("missing.txt", join(dangling, "b.txt"));
    assert.match(await refusal(dangling), /^symlink points to nothing: .*b\.txt -> missing\.txt/);

    const chained = await makeDataset({ "a.txt": "a" });
    symlinkSync("a.txt", join(chained, "b.txt"));
    symlinkSync("b.txt", join(chained, "c.txt"));
    assert.match(await refusal(chained), /^symlink resolves through another symlink: .*c\.txt -> b\.txt/);

    const folder = await makeDataset({ "data/a.txt": "a" });
    symlinkSync("data", join(folder, "data2"));
    assert.match(await refusal(folder), /^symlink to a directory: .*data2 -> data/);
  });

  it("hashes a relative symlink to a file of the tree as a copy of that file", async () => {
    const linked = await makeDataset({ "images/a.nii": "voxels", "labels/a.txt": "1" });
    symlinkSync("../images/a.nii", join(linked, "labels/a.nii"));
    const copied = await makeDataset({
      "images/a.nii": "voxels",
      "labels/a.txt": "1",
      "labels/a.nii": "voxels",
    });
    assert.deepEqual(await hashDatasetTree(linked), await hashDatasetTree(copied));
  });

  it("refuses FIFOs and sockets", async () => {
    const fifo = await makeDataset({ "a.txt": "a" });
    const made = spawnSync("mkfifo", [join(fifo, "pipe")]);
    assert.equal(made.status, 0, `mkfifo failed: ${made.stderr}`);
    assert.equal(
      await refusal(fifo),
      `not a regular file (FIFO): ${join(fifo, "pipe")}; a dataset holds only files and folders`,
    );

    const socketDir = await makeDataset({ "a.txt": "a" });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(socketDir, "sock"), resolve));
    try {
      assert.match(await refusal(socketDir), /^not a regular file \(socket\): .*sock;/);
    } finally {
      server.close();
    }
  });

  it("refuses a file name that is not UTF-8", async () => {
    const root = await makeDataset({ "a.txt": "a" });
    writeFileSync(
      Buffer.concat([Buffer.from(`${root}/latin1-`), Buffer.from([0xe9]), Buffer.from(".txt")]),
      "x",
    );
    assert.match(await refusal(root), /^file name is not valid UTF-8: .*latin1-.*\.txt; rename it$/);
  });
});

describe("hashFile", () => {
  it("streams a file larger than its buffer and detects a size that changed", async () => {
    const root = await makeDataset({ "big.bin": Buffer.alloc(300_001, 3) });
    const path = join(root, "big.bin");
    const chunks: number[] = [];
    const digest = hashFile(path, 300_001, Buffer.alloc(65536), (n) => chunks.push(n));
    assert.equal(digest, sha256(readFileSync(path)));
    assert.deepEqual(chunks, [65536, 65536, 65536, 65536, 37857]);
    assert.throws(
      () => hashFile(path, 300_000, Buffer.alloc(65536)),
      (e: unknown) => {
        assert.ok(e instanceof ExternalError);
        assert.match(e.message, /changed while it was being hashed \(300000 bytes listed, 300001 read\)/);
        return true;
      },
    );
  });
});
