import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { UserError } from "../../src/base/errors.ts";
import { extractTar } from "../../src/base/tar-extract.ts";
import { type TarEntryspec, tarArchive, tarGz } from "../helpers/tar.ts";

async function extract(archive: Buffer, limits?: { maxBytes: number; maxEntries: number }) {
  const dir = await mkdtemp(join(tmpdir(), "fedeval-tar-"));
  const file = join(dir, "a.tar.gz");
  await writeFile(file, archive);
  const dest = join(dir, "out");
  await extractTar(file, dest, "additional files of model m", limits);
  return { dir, dest };
}

/** The one-line message the archive is refused with. */
async function refusal(archive: Buffer, limits?: { maxBytes: number; maxEntries: number }): Promise<string> {
  try {
    const { dest } = await extract(archive, limits);
    assert.fail(`extracted: ${(await readdir(dest, { recursive: true })).join(", ")}`);
  } catch (e) {
    assert.ok(e instanceof UserError, `not a UserError: ${(e as Error).stack}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, /^additional files of model m: .*; nothing was extracted$/);
    return e.message;
  }
}

describe("extractTar", () => {
  it("extracts what GNU tar wrote: folders, files, executables, long names, internal links", async () => {
    const src = await mkdtemp(join(tmpdir(), "fedeval-tar-src-"));
    const long = `${"deep-folder-name-".repeat(8)}/weights-with-a-very-long-name-${"x".repeat(80)}.bin`;
    await mkdir(join(src, "w", long, ".."), { recursive: true });
    await writeFile(join(src, "w", "cnn_weights.pth"), Buffer.alloc(70_000, 7));
    await writeFile(join(src, "w", long), "long");
    await writeFile(join(src, "w", "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    execFileSync("ln", ["-s", "cnn_weights.pth", join(src, "w", "latest.pth")]);
    execFileSync("ln", [join(src, "w", "run.sh"), join(src, "w", "run-again.sh")]);
    const archive = execFileSync("tar", ["-czf", "-", "-C", join(src, "w"), "."]);
    const { dest } = await extract(archive);
    assert.deepEqual(await readFile(join(dest, "cnn_weights.pth")), Buffer.alloc(70_000, 7));
    assert.equal(await readFile(join(dest, long), "utf8"), "long");
    assert.equal(await readlink(join(dest, "latest.pth")), "cnn_weights.pth");
    assert.equal((await lstat(join(dest, "run.sh"))).mode & 0o777, 0o755);
    assert.equal((await lstat(join(dest, "cnn_weights.pth"))).mode & 0o777, 0o644);
    assert.equal(await readFile(join(dest, "run-again.sh"), "utf8"), "#!/bin/sh\n");
  });

  it("extracts an uncompressed tar too", async () => {
    const { dest } = await extract(tarArchive([{ name: "a/b.txt", content: "b" }]));
    assert.equal(await readFile(join(dest, "a", "b.txt"), "utf8"), "b");
  });

  const hostile: [string, Buffer, RegExp][] = [
    [
      "a path with ..",
      tarGz([{ name: "../evil.txt", content: "x" }]),
      /\.\.\/evil\.txt has a '\.\.' segment/,
    ],
    ["a .. in the middle", tarGz([{ name: "a/../../evil.txt", content: "x" }]), /has a '\.\.' segment/],
    ["an absolute path", tarGz([{ name: "/etc/evil", content: "x" }]), /\/etc\/evil is an absolute path/],
    [
      "a symlink leaving the folder",
      tarGz([{ name: "w", type: "2", link: "../../etc/passwd" }]),
      /the symlink w -> \.\.\/\.\.\/etc\/passwd points outside/,
    ],
    [
      "an absolute symlink",
      tarGz([{ name: "w", type: "2", link: "/etc/passwd" }]),
      /symlink w -> \/etc\/passwd is absolute/,
    ],
    [
      "chained symlinks that leave together",
      tarGz([
        { name: "here", type: "2", link: "." },
        { name: "up", type: "2", link: "here/.." },
      ]),
      /the symlink up -> here\/\.\. points outside/,
    ],
    [
      "a file written through a symlink",
      tarGz([
        { name: "d", type: "2", link: "." },
        { name: "d/x", content: "x" },
      ]),
      /d\/x lies inside the symlink d/,
    ],
    [
      "a hard link to a host file",
      tarGz([{ name: "h", type: "1", link: "/etc/passwd" }]),
      /\/etc\/passwd is an absolute path/,
    ],
    [
      "a hard link to a file not in the archive",
      tarGz([{ name: "h", type: "1", link: "secret" }]),
      /the hard link h -> secret does not name a file extracted before it/,
    ],
    ["a device", tarGz([{ name: "dev", type: "3" }]), /dev is a character device/],
    ["a FIFO", tarGz([{ name: "p", type: "6" }]), /p is a FIFO/],
    [
      "the same name twice",
      tarGz([
        { name: "a", content: "1" },
        { name: "a", content: "2" },
      ]),
      /a appears twice/,
    ],
    [
      "not a tar archive",
      gzipSync(Buffer.from("just text, not a tar archive".repeat(40))),
      /not a tar or tar\.gz archive/,
    ],
    [
      "a truncated gzip",
      tarGz([{ name: "a", content: "x".repeat(5000) }]).subarray(0, 40),
      /cannot be decompressed|truncated/,
    ],
    [
      "a truncated tar",
      gzipSync(tarArchive([{ name: "a", content: "x".repeat(5000) }], { end: false }).subarray(0, 2048)),
      /it is truncated \(inside a\)/,
    ],
  ];
  for (const [what, archive, message] of hostile) {
    it(`refuses ${what} in one line`, async () => {
      assert.match(await refusal(archive), message);
    });
  }

  it("refuses a size bomb by its content, and too many entries", async () => {
    const bomb = gzipSync(tarArchive([{ name: "zeros", content: Buffer.alloc(3 * 2 ** 20) }]));
    assert.ok(bomb.length < 20_000, `the bomb is ${bomb.length} bytes compressed`);
    assert.match(await refusal(bomb, { maxBytes: 2 ** 20, maxEntries: 10 }), /hold more than 1 MiB/);
    const many: TarEntryspec[] = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, content: "" }));
    assert.match(await refusal(tarGz(many), { maxBytes: 2 ** 20, maxEntries: 10 }), /more than 10 entries/);
  });

  it("writes nothing outside its folder whatever it refuses", async () => {
    const { dir } = await extract(tarGz([{ name: "ok", content: "ok" }]));
    for (const [, archive] of hostile) {
      const file = join(dir, "h.tar.gz");
      await writeFile(file, archive);
      const dest = join(dir, `out-${Math.random()}`);
      await extractTar(file, dest, "x").catch(() => undefined);
    }
    const top = (await readdir(dir)).filter((n) => !n.startsWith("out"));
    assert.deepEqual(top.sort(), ["a.tar.gz", "h.tar.gz"]);
  });
});
