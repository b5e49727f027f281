/**
 * `fedeval submit` (and the action's submit mode): approved outbox entries → one branch and one
 * pull request per site and run.
 *
 * Before anything leaves, every entry is checked on top of the remote's current base branch with
 * the validator's rules: its signature against the site's keys there, its model and dataset still
 * approved, its images still the approved ones. An entry that fails stays in the outbox with the
 * reason in its notes; the others still go.
 *
 * The entry records where it is going before each step (branch before the push, pushed_at after
 * it, the pull request after that), and leaves the outbox for `sent/` only once the pull request
 * exists (or, on a plain git forge, once the push succeeded). A crash at any point leaves the
 * entry approved in the outbox; the next run finds the pushed branch and the open pull request
 * and completes them instead of making new ones.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { ExternalError } from "../base/errors.ts";
import { acquireSiteLock } from "../base/lock.ts";
import type { Logger } from "../base/logger.ts";
import { getOrThrow } from "../base/maps.ts";
import { isoSeconds } from "../base/run-id.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";
import { workspace } from "../base/workspace.ts";
import { renderPullRequestBody } from "../forge/pr-body.ts";
import {
  type Change,
  type Connection,
  connect,
  type ForgeRuntime,
  type ForgeSettings,
  type ProposalOutcome,
  propose,
} from "../forge/proposal.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import type { GovernanceIndex } from "../governance/loader.ts";
import type { Result } from "../governance/types.ts";
import { chooseSite, resultPath, signedDigest } from "../results/approval.ts";
import { Outbox, type OutboxEntry } from "../results/outbox.ts";
import { checkResultSignature } from "../results/signature.ts";
import { checkProposal, type ProposalCheck } from "./check-proposal.ts";

export interface SubmitRequest extends ForgeSettings {
  /** Default: the only site with a workspace on this machine. */
  site?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
  logger: Logger;
  /**
   * Lock the outbox and connect to the remote even when nothing of the site is approved (the
   * action: its summary names the base branch, and a remote or token that does not work shows on
   * every run). Otherwise nothing approved returns at once, with no `base`.
   */
  connectWhenNothingApproved?: boolean;
  /** Tests: see ForgeRuntime. */
  githubTiming?: ForgeRuntime["githubTiming"];
  beforePush?: ForgeRuntime["beforePush"];
}

export interface HeldEntry {
  id: string;
  reasons: string[];
  /** What the site can do about it. */
  next: string;
}

export interface SubmittedGroup {
  run: string;
  entries: string[];
  outcome: ProposalOutcome;
  /** The files as proposed, for dry runs. */
  files: Map<string, string>;
}

export interface SubmitReport {
  site: string;
  /** Entries of the site waiting for the data owner's approval: they stay in the outbox. */
  pending: number;
  /** The remote's base branch; absent when nothing was approved, so nothing was locked or connected. */
  base?: string;
  groups: SubmittedGroup[];
  held: HeldEntry[];
  /** Entries whose result the base branch already has (merged earlier): moved to sent/. */
  alreadyMerged: string[];
  /** Entries that were submitted before a crash and only needed moving to sent/. */
  finished: string[];
}

/** Submits the site's approved outbox entries under the outbox's submit lock. */
export async function submitResults(req: SubmitRequest): Promise<SubmitReport> {
  const ws = workspace(req.env, req.cwd);
  const site = await chooseSite(ws, req.site);
  const outbox = new Outbox(ws.site(site).outbox);
  const mine = (await outbox.list()).filter((e) => e.site === site);
  const pending = mine.filter((e) => e.state === "pending").length;
  const report: SubmitReport = { site, pending, groups: [], held: [], alreadyMerged: [], finished: [] };
  if (pending === mine.length && !req.connectWhenNothingApproved) return report;
  const lock = await acquireSiteLock(outbox.submitLock, `the outbox of site ${site}`);
  let conn: Connection | undefined;
  try {
    conn = await connect(req, {
      env: req.env,
      workspace: ws,
      logger: req.logger,
      githubTiming: req.githubTiming,
      beforePush: req.beforePush,
    });
    report.base = conn.clone.base;
    await submitApproved({ site, outbox, conn, now: req.now, logger: req.logger, report });
    return report;
  } finally {
    await conn?.close();
    await lock.release();
  }
}

/** One submit, under the outbox's lock: what each step works on, and the report they fill. */
interface Submission {
  site: string;
  outbox: Outbox;
  conn: Connection;
  now: () => Date;
  logger: Logger;
  report: SubmitReport;
}

const HELD_NOTE = "not submitted: ";

/** The site's entries, as the outbox has them once locked: finished, checked, proposed run by run. */
async function submitApproved(s: Submission): Promise<void> {
  const mine = (await s.outbox.list()).filter((e) => e.site === s.site);
  // Submitted before a crash, not yet moved.
  for (const entry of mine.filter((e) => e.state === "submitted")) {
    await archive(s, entry);
    s.report.finished.push(entry.id);
  }
  const approved = mine.filter((e) => e.state === "approved");
  if (!approved.length) return;
  const newest = await newestPerResult(s, approved);
  const files = new Map(newest.map((e) => [resultPath(e.result), governanceFileText("result", e.result)]));
  const check = await checkProposal(s.conn.clone, files);
  const candidates = await acceptedEntries(s, newest, files, check);
  const primaries = primaryMetrics(check.index);
  for (const [run, entries] of runsOf(candidates)) {
    s.report.groups.push(
      await submitRun(s, { run, entries, files, primaries, candidates: candidates.length }),
    );
  }
}

/** The entry's notes without the reason an earlier submit held it. */
function notesWithoutHeld(entry: OutboxEntry): string[] {
  return (entry.notes ?? []).filter((n) => !n.startsWith(HELD_NOTE));
}

/** The entry leaves the outbox for sent/ (not in a dry run), with `note` added to its notes. */
async function archive(s: Submission, entry: OutboxEntry, note?: string): Promise<void> {
  if (s.conn.dryRun) return;
  const notes = notesWithoutHeld(entry);
  await s.outbox.update({
    ...entry,
    state: "submitted",
    notes: note ? [...notes, note] : notes.length ? notes : undefined,
  });
  await s.outbox.archive(entry.id, "sent");
}

/** The entry stays in the outbox, why and what to do in its notes (not in a dry run), and is reported held. */
async function hold(s: Submission, entry: OutboxEntry, reasons: string[], rule?: string): Promise<void> {
  const next = nextStep(rule, entry);
  s.report.held.push({ id: entry.id, reasons, next });
  if (s.conn.dryRun) return;
  await s.outbox.update({
    ...entry,
    notes: [
      ...notesWithoutHeld(entry),
      `${HELD_NOTE}${reasons.join("; ")} (${isoSeconds(s.now())}); ${next}`,
    ],
  });
}

/** One result per model and dataset: the newest run wins; the older ones are held as superseded. */
async function newestPerResult(s: Submission, approved: OutboxEntry[]): Promise<OutboxEntry[]> {
  const newest = new Map<string, OutboxEntry>();
  for (const e of approved) {
    const path = resultPath(e.result);
    const other = newest.get(path);
    if (
      !other ||
      Date.parse(other.result.provenance.finished_at) < Date.parse(e.result.provenance.finished_at)
    )
      newest.set(path, e);
  }
  for (const e of approved) {
    const winner = newest.get(resultPath(e.result)) as OutboxEntry;
    if (winner !== e)
      await hold(s, e, [`${winner.id} is a newer result for the same model and dataset`], "superseded");
  }
  return [...newest.values()];
}

/**
 * The entries the remote would accept and does not have yet. The others are held (the checks
 * refuse them) or moved to sent/ (the base branch already has them).
 */
async function acceptedEntries(
  s: Submission,
  entries: OutboxEntry[],
  files: ReadonlyMap<string, string>,
  check: ProposalCheck,
): Promise<OutboxEntry[]> {
  const accepted: OutboxEntry[] = [];
  for (const entry of entries) {
    const refused = refusalOf(entry, files, check);
    if (refused) {
      await hold(s, entry, refused.reasons, refused.rule);
    } else if (!check.differs.has(resultPath(entry.result))) {
      await archive(s, entry, `already in ${s.conn.clone.base} of ${s.conn.clone.url}`);
      s.report.alreadyMerged.push(entry.id);
    } else {
      accepted.push(entry);
    }
  }
  for (const w of check.warnings) s.logger.warn(`${w.file}:${w.line}:${w.col}: ${w.message} [${w.rule}]`);
  return accepted;
}

/** Why the remote's checks (or its keys of the site) would refuse an entry, by the rule to act on. */
function refusalOf(
  entry: OutboxEntry,
  files: ReadonlyMap<string, string>,
  check: ProposalCheck,
): { reasons: string[]; rule?: string } | undefined {
  const path = resultPath(entry.result);
  const errors = check.errors.get(path) ?? [];
  if (errors.length) {
    const first =
      errors.find((d) => d.rule.startsWith("FE3")) ?? errors.find((d) => d.rule === "FE205") ?? errors[0];
    return { reasons: errors.map((d) => `${d.message} [${d.rule}]`), rule: first?.rule };
  }
  // The validator skips signatures when the site is not registered; nothing unverified leaves.
  const datasetSite = check.index.benchmarks
    .get(entry.result.benchmark.id)
    ?.datasets.get(entry.result.dataset)?.data.site;
  const site = check.index.sites.get(entry.site)?.data;
  if (datasetSite !== entry.site)
    return {
      reasons: [`dataset ${entry.result.dataset} belongs to site ${datasetSite}, not ${entry.site}`],
      rule: "FE302",
    };
  if (!site)
    return { reasons: [`site ${entry.site} is not registered (no sites/${entry.site}.yaml)`], rule: "FE302" };
  const signature = checkResultSignature(parse(getOrThrow(files, path, "proposed file")) as Result, site);
  if (!signature.ok) return { reasons: [`${signature.message} [${signature.rule}]`], rule: signature.rule };
  return undefined;
}

/** What to do about an entry the checks refused, by the validator's rule. */
function nextStep(rule: string | undefined, entry: OutboxEntry): string {
  const reject = `\`fedeval outbox reject ${entry.id}\``;
  switch (rule) {
    case "FE304":
      return `the entry was changed after it was approved and signed (outbox/${entry.id}.json); if nobody here changed it on purpose, find out who did. Discard it with ${reject}`;
    case "FE301":
    case "FE302":
    case "FE303":
      return `the key that signed it is not a valid key of site ${entry.site} in the governance repository; merge the key entry printed by \`fedeval site keygen\` into sites/${entry.site}.yaml and submit again, or discard it with ${reject}`;
    case "FE205":
    case "FE201":
    case "FE202":
      return `the committee has not approved this model or dataset (or has suspended or withdrawn it); the result stays in the outbox: submit again once it is approved, or discard it with ${reject}`;
    case "FE206":
    case "FE209":
    case "FE210":
      return `it was computed with images or data that are no longer the approved ones; run \`fedeval run --site ${entry.site}\` again and discard this one with ${reject}`;
    case "superseded":
      return `a newer result for the same model and dataset is submitted instead; discard this one with ${reject}`;
    default:
      return `the governance repository's checks would refuse it (\`fedeval validate\`); discard it with ${reject}`;
  }
}

/** Each benchmark's primary metric, by benchmark id. */
function primaryMetrics(index: GovernanceIndex): Map<string, string | undefined> {
  return new Map(
    [...index.benchmarks].map(([id, f]) => [id, f.benchmark?.data.metrics.find((m) => m.primary)?.id]),
  );
}

/** The entries by run, runs in order. */
function runsOf(entries: OutboxEntry[]): [string, OutboxEntry[]][] {
  const runs = new Map<string, OutboxEntry[]>();
  for (const e of entries) runs.set(e.run_id, [...(runs.get(e.run_id) ?? []), e]);
  return [...runs].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** One run's accepted entries, on their way as one branch and pull request. */
interface RunGroup {
  run: string;
  entries: OutboxEntry[];
  /** Every accepted result's file text, by path. */
  files: ReadonlyMap<string, string>;
  primaries: Map<string, string | undefined>;
  /** How many entries all runs together submit (for the message when this one fails). */
  candidates: number;
}

/**
 * Proposes one run's entries, recording on them where they are going at each step, and moves
 * them to sent/ once the pull request exists (not in a dry run).
 */
async function submitRun(s: Submission, group: RunGroup): Promise<SubmittedGroup> {
  const { run, entries } = group;
  const branch =
    entries.find((e) => e.submission?.branch)?.submission?.branch ?? `fedeval/${s.site}/results-${run}`;
  const files = new Map(
    entries.map((e) => [resultPath(e.result), getOrThrow(group.files, resultPath(e.result), "result file")]),
  );
  const record = async (update: (e: OutboxEntry) => OutboxEntry) => {
    for (let i = 0; i < entries.length; i++) {
      const next = update(entries[i] as OutboxEntry);
      await s.outbox.update(next);
      entries[i] = next;
    }
  };
  let outcome: ProposalOutcome;
  try {
    outcome = await propose(s.conn, resultsChange(s, group, branch, files), {
      beforePush: (b) => record((e) => ({ ...e, submission: { ...e.submission, branch: b } })),
      afterPush: (b) =>
        record((e) => ({
          ...e,
          submission: {
            ...e.submission,
            branch: b,
            pushed_at: e.submission?.pushed_at ?? isoSeconds(s.now()),
          },
        })),
    });
  } catch (e) {
    if (!(e instanceof ExternalError)) throw e;
    const left = group.candidates - s.report.groups.reduce((n, g) => n + g.entries.length, 0);
    const pushed = entries.some((x) => x.submission?.pushed_at);
    throw new ExternalError(
      e.message,
      `${e.hint ? `${e.hint}. ` : ""}Nothing was lost: ${left} approved result${left > 1 ? "s stay" : " stays"} in the outbox${pushed ? ` (branch ${branch} is pushed)` : ""}; run \`fedeval submit --site ${s.site}\` again to ${pushed ? "finish" : "retry"} without duplicating anything`,
      { cause: e },
    );
  }
  if (!s.conn.dryRun) {
    const pr = outcome.pullRequest;
    await record((e) => ({
      ...e,
      submission: { ...e.submission, branch, ...(pr ? { pr_url: pr.url, pr_number: pr.number } : {}) },
    }));
    for (const e of entries) await archive(s, e);
  }
  return { run, entries: entries.map((e) => e.id), outcome, files };
}

/** The commit and pull request of one run's results. */
function resultsChange(
  s: Submission,
  group: RunGroup,
  branch: string,
  files: ReadonlyMap<string, string>,
): Change {
  const { run, entries } = group;
  const n = entries.length;
  return {
    branch,
    files,
    message: `Results from ${s.site}: ${n} result${n > 1 ? "s" : ""} of run ${run}\n\n${entries.map((e) => `- ${resultPath(e.result)} (n = ${e.result.n})`).join("\n")}\n\nApproved and signed at the site; submitted with fedeval ${FEDEVAL_VERSION}.`,
    async pullRequest(changed) {
      const results = await branchResults(s.conn.clone.dir, changed, group.primaries);
      const count = results.length;
      return {
        title: `Results from ${s.site}: ${count} result${count > 1 ? "s" : ""} (run ${run})`,
        body: renderPullRequestBody("results", { site: s.site, run, tool: FEDEVAL_VERSION, results }),
        labels: ["fedeval", "results", `site:${s.site}`],
        updateComment: `fedeval added ${n} result${n > 1 ? "s" : ""} to this pull request:\n${[...files.keys()].map((p) => `- \`${p}\``).join("\n")}`,
      };
    },
  };
}

/** Every result the branch changes (this run's and any added to it before), as the pull request lists them. */
async function branchResults(
  dir: string,
  changed: string[],
  primaries: Map<string, string | undefined>,
): Promise<object[]> {
  const results: object[] = [];
  for (const path of changed.filter((p) => /^benchmarks\/[^/]+\/results\/[^/]+\/[^/]+\.yaml$/.test(p))) {
    const r = parse(await readFile(join(dir, path), "utf8")) as Result;
    results.push({
      path,
      benchmark: r.benchmark.id,
      version: r.benchmark.version,
      dataset: r.dataset,
      model: r.model,
      n: r.n,
      partial: Boolean(r.partial),
      primary: primaryValue(r, primaries.get(r.benchmark.id)),
      approval: r.approval,
      digest: signedDigest(r).slice(0, 16),
    });
  }
  return results;
}

/** The primary metric's value as the pull request shows it, or why it has none. */
function primaryValue(result: Result, primary: string | undefined): string {
  const id = primary ?? Object.keys(result.metrics)[0] ?? "";
  const v = result.metrics[id]?.value;
  return `${id} ${v === null || v === undefined ? `— (${result.metrics[id]?.reason ?? "missing"})` : v}`;
}
