/**
 * The site's outbox: results that were computed here and have not left yet.
 *
 * One JSON file per entry, written atomically (atomic-write.ts), so a run killed at any moment
 * leaves either a whole entry or none. States move forward only:
 *
 *   pending   computed, waiting for the data owner (nothing has left the machine)
 *   approved  the data owner approved; the result carries approval and signature
 *   submitted a branch was pushed and a pull request exists (`submission`)
 *
 * A submitted entry is moved to `sent/`; a rejected one to `rejected/`. Nothing is deleted, so
 * nothing approved is ever lost.
 */
import { mkdir, readdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { UserError } from "../base/errors.ts";
import type { Result } from "../governance/types.ts";
import type { Dropped, PendingResult } from "./build-result.ts";

export type OutboxState = "pending" | "approved" | "submitted";

export interface OutboxEntry {
  /** `<benchmark>--<dataset>--<model>--<run-id>`; also the file name. */
  id: string;
  state: OutboxState;
  site: string;
  run_id: string;
  created_at: string;
  /** A pending result; once approved, the signed result. */
  result: PendingResult | Result;
  /** What the evaluator wrote that was dropped, by path and reason (never the values). */
  dropped: Dropped[];
  /** Task failures that made the result partial, as one-line messages for the site (never submitted). */
  notes?: string[];
  submission?: { branch: string; pushed_at?: string; pr_url?: string; pr_number?: number };
}

const ID = /^[a-z0-9][a-z0-9-]*$/;

export function outboxEntryId(benchmark: string, dataset: string, model: string, runId: string): string {
  return `${benchmark}--${dataset}--${model}--${runId}`;
}

export class Outbox {
  constructor(readonly dir: string) {}

  /**
   * Held by `submit` and `outbox reject` so that two submissions never push the same entries and a
   * rejection never races a submission. Separate from the run lock: results can leave while a run goes on.
   */
  get submitLock(): string {
    return join(this.dir, ".submit.lock");
  }

  #path(id: string, folder = ""): string {
    if (!ID.test(id)) throw new UserError(`"${id}" is not an outbox entry id`);
    return join(this.dir, folder, `${id}.json`);
  }

  /** The entries in the outbox: pending, approved, and submitted ones not yet moved to sent/. */
  async list(folder: "" | "sent" = ""): Promise<OutboxEntry[]> {
    const names = await readdir(join(this.dir, folder)).catch(() => [] as string[]);
    const entries: OutboxEntry[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith(".json") || name.startsWith(".")) continue;
      entries.push(await this.read(name.slice(0, -5), folder));
    }
    return entries;
  }

  /**
   * The outbox's entries and the sent ones (their pull request exists, merged or not): what a
   * plan must not run again for the same inputs, or a result would be submitted twice.
   */
  async listWithSent(): Promise<OutboxEntry[]> {
    const [held, sent] = await Promise.all([this.list(), this.list("sent")]);
    return [...held, ...sent];
  }

  async read(id: string, folder: "" | "sent" = ""): Promise<OutboxEntry> {
    const path = this.#path(id, folder);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      throw new UserError(`no outbox entry ${id} (see \`fedeval outbox ls\`)`);
    }
    try {
      return JSON.parse(text) as OutboxEntry;
    } catch {
      throw new UserError(`outbox entry ${id} is not valid JSON (${path}); it was changed by hand`);
    }
  }

  async has(id: string): Promise<boolean> {
    return readFile(this.#path(id)).then(
      () => true,
      () => false,
    );
  }

  /** Adds a new entry; an existing entry with the same id is never overwritten. */
  async add(entry: OutboxEntry): Promise<void> {
    if (await this.has(entry.id)) throw new UserError(`outbox entry ${entry.id} already exists`);
    await writeFileAtomic(this.#path(entry.id), `${JSON.stringify(entry, null, 2)}\n`);
  }

  async update(entry: OutboxEntry): Promise<void> {
    await writeFileAtomic(this.#path(entry.id), `${JSON.stringify(entry, null, 2)}\n`);
  }

  /** Moves an entry out of the outbox, keeping it: `sent` after its PR exists, `rejected` when discarded. */
  async archive(id: string, folder: "sent" | "rejected"): Promise<void> {
    await mkdir(join(this.dir, folder), { recursive: true });
    await rename(this.#path(id), this.#path(id, folder));
  }
}
