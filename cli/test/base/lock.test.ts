import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../src/base/errors.ts";
import { acquireSiteLock, processIsAlive } from "../../src/base/lock.ts";

const lockPath = async () => join(await mkdtemp(join(tmpdir(), "fedeval-lock-")), "sites", "s", "lock");

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  const pid = Number(child.stdout);
  assert.ok(!processIsAlive(pid));
  return pid;
}

test("a second holder is refused while the first lives, and gets the lock once it is released", async () => {
  const path = await lockPath();
  const first = await acquireSiteLock(path, "site workspace s");
  assert.equal(JSON.parse(await readFile(path, "utf8")).pid, process.pid);
  const err = await acquireSiteLock(path, "site workspace s").catch((e: unknown) => e);
  assert.ok(err instanceof UserError);
  assert.match(
    err.message,
    new RegExp(`site workspace s is in use by another fedeval run \\(pid ${process.pid}, started `),
  );
  await first.release();
  const second = await acquireSiteLock(path, "site workspace s");
  assert.equal(second.tookOverFrom, undefined);
  await second.release();
  assert.deepEqual(await readdir(join(path, "..")), [], "no lock and no temporary file is left");
});

test("the lock of a dead process is taken over, and releasing a lock taken over by another does nothing", async () => {
  const path = await lockPath();
  const pid = deadPid();
  const stale = await acquireSiteLock(path, "w", { pid });
  const taker = await acquireSiteLock(path, "w");
  assert.equal(taker.tookOverFrom, pid);
  await stale.release(); // the killed run's late release must not free the new holder's lock
  assert.equal(JSON.parse(await readFile(path, "utf8")).token, taker.owner.token);
  await taker.release();
});

test("a lock held on another host is never taken over (its process cannot be checked)", async () => {
  const path = await lockPath();
  await acquireSiteLock(path, "w", { host: "other-host", pid: deadPid() });
  await assert.rejects(
    acquireSiteLock(path, "w"),
    /in use by another fedeval run \(pid \d+ on host other-host/,
  );
});

test("an unreadable lock file is taken over", async () => {
  const path = await lockPath();
  await (await acquireSiteLock(path, "w")).release();
  await writeFile(path, "garbage");
  const lock = await acquireSiteLock(path, "w");
  assert.equal(JSON.parse(await readFile(path, "utf8")).token, lock.owner.token);
});

test("of two runs taking over one stale lock at once, exactly one gets it", async () => {
  const path = await lockPath();
  await acquireSiteLock(path, "w", { pid: deadPid() });
  const results = await Promise.allSettled([acquireSiteLock(path, "w"), acquireSiteLock(path, "w")]);
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, JSON.stringify(results));
});
