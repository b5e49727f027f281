/** A site workspace for tests: the test site key installed, pending outbox entries. */
import { mkdir, writeFile } from "node:fs/promises";
import { workspace } from "../../src/base/workspace.ts";
import type { Result } from "../../src/governance/types.ts";
import type { PendingResult } from "../../src/results/build-result.ts";
import { Outbox, type OutboxEntry, outboxEntryId } from "../../src/results/outbox.ts";
import { BENCHMARK, SITE_KEY_ID, siteKey, siteOwner } from "./fixtures.ts";
import { type GovernanceRemote, governanceRemote, testEnv } from "./git.ts";
import { testDataset, testResult } from "./governance-tree.ts";

export const SITE = "north-general";
/** After the test results finished (2026-11-20T01:07:12Z) and after the test site keys were created. */
export const NOW = new Date("2026-11-21T10:00:00Z");
export const OWNER = siteOwner(SITE) as string;

/** Installs the test site's private key (`demo-1`, listed in sites/<site>.yaml) with mode 0600. */
export async function installSiteKey(env: NodeJS.ProcessEnv, site = SITE): Promise<string> {
  const keys = workspace(env).site(site).keys;
  await mkdir(keys, { recursive: true, mode: 0o700 });
  const file = `${keys}/${SITE_KEY_ID}.pem`;
  await writeFile(file, siteKey(site).privateKey.export({ format: "pem", type: "pkcs8" }), {
    mode: 0o600,
  });
  return file;
}

export function outboxOf(env: NodeJS.ProcessEnv, site = SITE): Outbox {
  return new Outbox(workspace(env).site(site).outbox);
}

/** A pending entry for the test dataset of `site` and `model`, as `fedeval run` would write it. */
export function pendingEntry(
  model: string,
  runId: string,
  site = SITE,
  change?: (r: PendingResult) => void,
): OutboxEntry {
  const dataset = testDataset(site);
  const { approval: _a, signature: _s, ...pending } = testResult(dataset, model, false) as Result;
  change?.(pending);
  return {
    id: outboxEntryId(pending.benchmark.id, dataset.id, model, runId),
    state: "pending",
    site,
    run_id: runId,
    created_at: "2026-11-20T01:07:13Z",
    result: pending,
    dropped: [],
  };
}

export async function addPending(env: NodeJS.ProcessEnv, entries: OutboxEntry[]): Promise<void> {
  const outbox = outboxOf(env, entries[0]?.site);
  for (const e of entries) await outbox.add(e);
}

/**
 * A test environment whose workspace holds the test site's key and pending entries: `runs` maps
 * each run id to the models it ran.
 */
export async function pendingSite(
  runs: Record<string, string[]>,
): Promise<{ env: NodeJS.ProcessEnv; entries: OutboxEntry[] }> {
  const env = await testEnv();
  await installSiteKey(env);
  const entries = Object.entries(runs).flatMap(([run, models]) => models.map((m) => pendingEntry(m, run)));
  await addPending(env, entries);
  return { env, entries };
}

/** Where the test site's results of the test benchmark go. */
export const SITE_RESULTS = `benchmarks/${BENCHMARK}/results/${SITE}-2026q4`;

/** `pendingSite`, with a governance remote that has none of the site's results yet. */
export async function siteToSubmit(
  runs: Record<string, string[]>,
): Promise<{ env: NodeJS.ProcessEnv; entries: OutboxEntry[] } & GovernanceRemote> {
  const site = await pendingSite(runs);
  const gov = await governanceRemote(site.env, (files) => {
    for (const path of [...files.keys()]) if (path.startsWith(`${SITE_RESULTS}/`)) files.delete(path);
  });
  return { ...site, ...gov };
}
