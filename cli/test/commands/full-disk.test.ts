/**
 * A full disk and a read-only FEDEVAL_HOME, on a real small file system (a 4 MiB tmpfs mounted
 * for these tests, remounted read-only where a test says so), through the built CLI as a site
 * runs it: `run`, `outbox approve`, `submit` and `site keygen` each exit 2 (an outside-system
 * error) saying what is full or read-only and what to do, and nothing approved is lost.
 * Mounting needs root (CI runs as root) where mounts are allowed; elsewhere the suite says why it skipped.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { requireRoom } from "../../src/base/disk.ts";
import { ExternalError } from "../../src/base/errors.ts";
import {
  addPending,
  installSiteKey,
  OWNER,
  outboxOf,
  pendingEntry,
  SITE,
  siteToSubmit,
} from "../helpers/site-workspace.ts";

const BIN = resolve(import.meta.dirname, "../../../bin/fedeval.js");

/** The mount point of a 4 MiB tmpfs, or why there is none. */
async function smallDisk(): Promise<{ mnt: string } | { skip: string }> {
  if (process.getuid?.() !== 0) return { skip: "mounting a small tmpfs needs root" };
  const mnt = await mkdtemp(join(tmpdir(), "fedeval-tmpfs-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m,mode=0755", "fedeval-test", mnt], {
    encoding: "utf8",
  });
  if (r.status === 0) return { mnt };
  await rm(mnt, { recursive: true, force: true });
  return { skip: `cannot mount a tmpfs here: ${r.stderr.trim() || r.error?.message}` };
}
const disk = await smallDisk();
const skip = "skip" in disk ? disk.skip : false;
// CI runs as root where mounts are allowed: there a skip would hide these tests, so it fails instead
if (skip && process.env.CI) throw new Error(`CI requires a small tmpfs for the full-disk tests: ${skip}`);

function fedeval(args: string[], env: NodeJS.ProcessEnv, cwd = "/") {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("a full disk and a read-only FEDEVAL_HOME", { skip }, () => {
  const mnt = "mnt" in disk ? disk.mnt : "";
  let n = 0;
  const readOnly = (ro: boolean) => execFileSync("mount", ["-o", `remount,${ro ? "ro" : "rw"}`, mnt]);

  after(async () => {
    if (!mnt) return;
    spawnSync("umount", [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  /** A fresh FEDEVAL_HOME on the small disk, with the site key and pending entries, and a governance clone to submit to. */
  async function site(models: string[]) {
    readOnly(false);
    for (const f of await readdir(mnt)) if (f.startsWith("filler")) await rm(join(mnt, f));
    const gov = await siteToSubmit({});
    const env = { ...gov.env, FEDEVAL_HOME: join(mnt, `home-${n++}`) };
    await installSiteKey(env);
    const entries = models.map((m) => pendingEntry(m, "r1"));
    await addPending(env, entries);
    return { env, root: gov.root, entries };
  }

  /** Fills the disk: a file as large as it takes, then small ones until none fits. */
  async function fill(): Promise<() => Promise<void>> {
    const filler = join(mnt, "filler");
    const chunk = Buffer.alloc(64 * 1024, 1);
    let size = 0;
    for (;;) {
      try {
        await writeFile(filler, chunk, { flag: "a" });
        size += chunk.length;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
        break;
      }
    }
    for (let i = 0; ; i++) {
      try {
        await writeFile(join(mnt, `filler-${i}`), "x");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
        break;
      }
    }
    assert.ok(size > 0);
    return async () => {
      for (const f of await readdir(mnt)) if (f.startsWith("filler")) await rm(join(mnt, f));
    };
  }

  const outsideSystem = (r: ReturnType<typeof fedeval>, what: RegExp) => {
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, what);
    assert.match(r.stderr, /\n {2}what to do: .+\n$/);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  };

  it("outbox approve on a full disk: exit 2 naming the disk; every entry still pending; once there is room the same command approves", async () => {
    const { env, root, entries } = await site(["effusion-net-v2", "shortcut-cnn"]);
    const free = await fill();
    const full = fedeval(["outbox", "approve", "--yes", "--as", OWNER, "--site", SITE, "--root", root], env);
    await free();
    outsideSystem(
      full,
      new RegExp(`^fedeval: no space left on the disk holding ${env.FEDEVAL_HOME}/sites/${SITE}/outbox\\n`),
    );
    assert.match(
      full.stderr,
      /what to do: free space there \(`df -h`\), or set FEDEVAL_HOME to a folder on a disk with room/,
    );
    const states = async () => (await outboxOf(env).list()).map((e) => e.state);
    assert.deepEqual(await states(), ["pending", "pending"]);
    const again = fedeval(["outbox", "approve", "--yes", "--as", OWNER, "--site", SITE, "--root", root], env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await states(), ["approved", "approved"]);
    assert.equal(entries.length, 2);
  });

  it("site keygen on a full disk: exit 2, and no key file is left behind", async () => {
    const { env } = await site([]);
    const keys = join(env.FEDEVAL_HOME as string, "sites", "other-site", "keys");
    const free = await fill();
    try {
      const r = fedeval(["site", "keygen", "--site", "other-site"], env);
      outsideSystem(r, /^fedeval: no space left on the disk holding /);
      const left = await readdir(keys).catch(() => []);
      assert.deepEqual(left, [], "no key, whole or partial");
    } finally {
      await free();
    }
  });

  it("a read-only FEDEVAL_HOME: run, outbox approve, submit and site keygen each exit 2 saying so", async () => {
    const { env, root, entries } = await site(["effusion-net-v2", "shortcut-cnn"]);
    const approve = [
      "outbox",
      "approve",
      entries[0]?.id as string,
      "--yes",
      "--as",
      OWNER,
      "--site",
      SITE,
      "--root",
      root,
    ];
    assert.equal(fedeval(approve, env).code, 0, "one approved entry to submit");
    readOnly(true);
    try {
      const home = env.FEDEVAL_HOME as string;
      const readOnlyLine = new RegExp(
        `^fedeval: ${home}/\\S+ is on a read-only file system\\n {2}what to do: set FEDEVAL_HOME to a writable folder`,
        "m",
      );
      outsideSystem(
        fedeval(["run", "--site", SITE, "--root", root, "--runner", "process"], env),
        readOnlyLine,
      );
      outsideSystem(
        fedeval([...approve.slice(0, 2), entries[1]?.id as string, ...approve.slice(3)], env),
        readOnlyLine,
      );
      outsideSystem(fedeval(["submit", "--site", SITE, "--root", root], env), readOnlyLine);
      outsideSystem(fedeval(["site", "keygen", "--site", SITE], env), readOnlyLine);
    } finally {
      readOnly(false);
    }
    assert.deepEqual(
      (await outboxOf(env).list()).map((e) => e.state),
      ["approved", "pending"],
      "nothing approved is lost, nothing pending approved",
    );
  });

  it("the room a run needs is measured up front on the real disk", async () => {
    readOnly(false);
    await requireRoom(mnt, 1024, "a small thing", "free space");
    await assert.rejects(
      requireRoom(join(mnt, "not-yet", "made"), 64 * 2 ** 20, "a run", "free space or lower --max-output"),
      (e: Error) =>
        e instanceof ExternalError &&
        new RegExp(
          `^the disk holding ${mnt}/not-yet/made has [\\d.]+ (KiB|MiB) free; a run needs up to 64(\\.0)? MiB$`,
        ).test(e.message) &&
        e.hint === "free space or lower --max-output",
    );
  });
});
