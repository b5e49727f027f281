/**
 * One run at a time per site workspace: `fedeval run` holds `<site workspace>/lock` while it plans
 * and runs, so two runs never pick the same triples or write the same outbox entry.
 *
 * The lock file holds `{pid, host, token, started_at}` and appears whole (written aside, then
 * hard-linked into place, which fails if a lock exists). A lock left by
 * a process that no longer exists on this host (a run that was killed) is taken over; a lock held
 * by a live process, or by another host (a workspace on a shared disk, where fedeval cannot tell
 * whether the process lives), refuses the second run with a clear message.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { UserError } from "./errors.ts";

export interface LockOwner {
  pid: number;
  host: string;
  token: string;
  started_at: string;
}

export interface SiteLock {
  owner: LockOwner;
  /** A stale lock of this pid was taken over. */
  tookOverFrom?: number;
  release(): Promise<void>;
}

export interface LockOptions {
  pid?: number;
  host?: string;
  now?: () => Date;
  /** Whether a process runs on this host; injected so tests can simulate a dead owner. */
  isAlive?: (pid: number) => boolean;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock at `path`, or throws a UserError naming who holds it. */
export async function acquireSiteLock(
  path: string,
  what: string,
  options: LockOptions = {},
): Promise<SiteLock> {
  const owner: LockOwner = {
    pid: options.pid ?? process.pid,
    host: options.host ?? hostname(),
    token: randomBytes(8).toString("hex"),
    started_at: (options.now?.() ?? new Date()).toISOString(),
  };
  const isAlive = options.isAlive ?? processIsAlive;
  await mkdir(dirname(path), { recursive: true });
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(path, `${JSON.stringify(owner)}\n`)) {
      return { owner, tookOverFrom, release: () => releaseLock(path, owner) };
    }
    const holder = await readOwner(path);
    if (holder === undefined) continue; // released meanwhile
    if (holder !== "unreadable" && (holder.host !== owner.host || isAlive(holder.pid))) {
      const where = holder.host === owner.host ? "" : ` on host ${holder.host}`;
      throw new UserError(
        `${what} is in use by another fedeval run (pid ${holder.pid}${where}, started ${holder.started_at}); wait for it to finish, or if that process is gone, delete ${path}`,
      );
    }
    // a stale lock (or one changed by hand into something unreadable): move it aside, so that of two runs
    // taking it over at once only one succeeds in the rename, then try again
    const aside = `${path}.stale-${randomBytes(4).toString("hex")}`;
    const moved = await rename(path, aside).then(
      () => true,
      () => false,
    );
    if (moved) {
      await rm(aside, { force: true });
      if (holder !== "unreadable") tookOverFrom = holder.pid;
    }
  }
  throw new UserError(`could not take the lock ${path}: other runs keep taking it`);
}

/** Creates `path` with `text` unless it exists; whole or not at all (written aside, then hard-linked). */
async function createExclusive(path: string, text: string): Promise<boolean> {
  const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, text, { flag: "wx" });
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function readOwner(path: string): Promise<LockOwner | "unreadable" | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid) && typeof owner.host === "string") return owner;
  } catch {
    // not JSON: changed by hand
  }
  return "unreadable";
}

/** Removes the lock if it is still ours (a takeover after a long pause must not be undone). */
async function releaseLock(path: string, owner: LockOwner): Promise<void> {
  const holder = await readOwner(path);
  if (holder && holder !== "unreadable" && holder.token === owner.token) await rm(path, { force: true });
}

/** Whether a live run holds the lock at `path` (a lock of another host counts as held: fedeval cannot tell). */
export async function lockIsHeld(path: string, options: LockOptions = {}): Promise<boolean> {
  const holder = await readOwner(path);
  if (holder === undefined) return false;
  if (holder === "unreadable") return true;
  return holder.host !== (options.host ?? hostname()) || (options.isAlive ?? processIsAlive)(holder.pid);
}
