/**
 * `fedeval submit`: approved outbox entries → one branch and one pull request per site and run.
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
import type { Logger } from "../base/logger.ts";
import { isoSeconds } from "../base/run-id.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";
import { renderPullRequestBody } from "../forge/pr-body.ts";
import { type Connection, type ProposalOutcome, propose } from "../forge/proposal.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import type { Result } from "../governance/types.ts";
import { resultPath, signedDigest } from "../results/approval.ts";
import type { Outbox, OutboxEntry } from "../results/outbox.ts";
import { checkResultSignature } from "../results/signature.ts";
import { checkProposal } from "./check-proposal.ts";

export interface SubmitOptions {
  site: string;
  outbox: Outbox;
  connection: Connection;
  now: () => Date;
  logger: Logger;
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
  groups: SubmittedGroup[];
  held: HeldEntry[];
  /** Entries whose result the base branch already has (merged earlier): moved to sent/. */
  alreadyMerged: string[];
  /** Entries that were submitted before a crash and only needed moving to sent/. */
  finished: string[];
}

const HELD_NOTE = "not submitted: ";

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

function primaryValue(result: Result, primary: string | undefined): string {
  const id = primary ?? Object.keys(result.metrics)[0] ?? "";
  const v = result.metrics[id]?.value;
  return `${id} ${v === null || v === undefined ? `— (${result.metrics[id]?.reason ?? "missing"})` : v}`;
}

export async function submitResults(opts: SubmitOptions): Promise<SubmitReport> {
  const { outbox, connection: conn, logger } = opts;
  const report: SubmitReport = { groups: [], held: [], alreadyMerged: [], finished: [] };
  const mine = (await outbox.list()).filter((e) => e.site === opts.site);
  const archive = async (entry: OutboxEntry, note?: string) => {
    if (conn.dryRun) return;
    const notes = (entry.notes ?? []).filter((n) => !n.startsWith(HELD_NOTE));
    await outbox.update({
      ...entry,
      state: "submitted",
      notes: note ? [...notes, note] : notes.length ? notes : undefined,
    });
    await outbox.archive(entry.id, "sent");
  };

  // Submitted before a crash, not yet moved.
  for (const entry of mine.filter((e) => e.state === "submitted")) {
    await archive(entry);
    report.finished.push(entry.id);
  }
  let approved = mine.filter((e) => e.state === "approved");
  if (!approved.length) return report;

  const hold = async (entry: OutboxEntry, reasons: string[], rule?: string) => {
    const next = nextStep(rule, entry);
    report.held.push({ id: entry.id, reasons, next });
    if (conn.dryRun) return;
    const notes = (entry.notes ?? []).filter((n) => !n.startsWith(HELD_NOTE));
    await outbox.update({
      ...entry,
      notes: [...notes, `${HELD_NOTE}${reasons.join("; ")} (${isoSeconds(opts.now())}); ${next}`],
    });
  };

  // One result per model and dataset: the newest run wins.
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
      await hold(e, [`${winner.id} is a newer result for the same model and dataset`], "superseded");
  }
  approved = [...newest.values()];

  const files = new Map(approved.map((e) => [resultPath(e.result), governanceFileText("result", e.result)]));
  const check = await checkProposal(conn.clone, files);
  const candidates: OutboxEntry[] = [];
  for (const entry of approved) {
    const path = resultPath(entry.result);
    const errors = check.errors.get(path) ?? [];
    if (errors.length) {
      const first =
        errors.find((d) => d.rule.startsWith("FE3")) ?? errors.find((d) => d.rule === "FE205") ?? errors[0];
      await hold(
        entry,
        errors.map((d) => `${d.message} [${d.rule}]`),
        first?.rule,
      );
      continue;
    }
    // The validator skips signatures when the site is not registered; nothing unverified leaves.
    const datasetSite = check.index.benchmarks
      .get(entry.result.benchmark.id)
      ?.datasets.get(entry.result.dataset)?.data.site;
    const site = check.index.sites.get(entry.site)?.data;
    if (datasetSite !== entry.site || !site) {
      await hold(
        entry,
        [
          datasetSite !== entry.site
            ? `dataset ${entry.result.dataset} belongs to site ${datasetSite}, not ${entry.site}`
            : `site ${entry.site} is not registered (no sites/${entry.site}.yaml)`,
        ],
        "FE302",
      );
      continue;
    }
    const signature = checkResultSignature(parse(files.get(path) as string) as Result, site);
    if (!signature.ok) {
      await hold(entry, [`${signature.message} [${signature.rule}]`], signature.rule);
      continue;
    }
    if (!check.differs.has(path)) {
      await archive(entry, `already in ${conn.clone.base} of ${conn.clone.url}`);
      report.alreadyMerged.push(entry.id);
      continue;
    }
    candidates.push(entry);
  }
  for (const w of check.warnings) logger.warn(`${w.file}:${w.line}:${w.col}: ${w.message} [${w.rule}]`);

  const primaries = new Map(
    [...check.index.benchmarks].map(([id, f]) => [id, f.benchmark?.data.metrics.find((m) => m.primary)?.id]),
  );
  const runs = new Map<string, OutboxEntry[]>();
  for (const e of candidates) runs.set(e.run_id, [...(runs.get(e.run_id) ?? []), e]);
  for (const [run, entries] of [...runs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const branch =
      entries.find((e) => e.submission?.branch)?.submission?.branch ?? `fedeval/${opts.site}/results-${run}`;
    const groupFiles = new Map(
      entries.map((e) => [resultPath(e.result), files.get(resultPath(e.result)) as string]),
    );
    const n = entries.length;
    const record = async (update: (e: OutboxEntry) => OutboxEntry) => {
      for (let i = 0; i < entries.length; i++) {
        const next = update(entries[i] as OutboxEntry);
        await outbox.update(next);
        entries[i] = next;
      }
    };
    let outcome: ProposalOutcome;
    try {
      outcome = await propose(
        conn,
        {
          branch,
          files: groupFiles,
          message: `Results from ${opts.site}: ${n} result${n > 1 ? "s" : ""} of run ${run}\n\n${entries.map((e) => `- ${resultPath(e.result)} (n = ${e.result.n})`).join("\n")}\n\nApproved and signed at the site; submitted with fedeval ${FEDEVAL_VERSION}.`,
          async pullRequest(changed) {
            const results: object[] = [];
            for (const path of changed.filter((p) =>
              /^benchmarks\/[^/]+\/results\/[^/]+\/[^/]+\.yaml$/.test(p),
            )) {
              const r = parse(await readFile(join(conn.clone.dir, path), "utf8")) as Result;
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
            const count = results.length;
            return {
              title: `Results from ${opts.site}: ${count} result${count > 1 ? "s" : ""} (run ${run})`,
              body: renderPullRequestBody("results", {
                site: opts.site,
                run,
                tool: FEDEVAL_VERSION,
                results,
              }),
              labels: ["fedeval", "results", `site:${opts.site}`],
              updateComment: `fedeval added ${n} result${n > 1 ? "s" : ""} to this pull request:\n${[...groupFiles.keys()].map((p) => `- \`${p}\``).join("\n")}`,
            };
          },
        },
        {
          beforePush: (b) => record((e) => ({ ...e, submission: { ...e.submission, branch: b } })),
          afterPush: (b) =>
            record((e) => ({
              ...e,
              submission: {
                ...e.submission,
                branch: b,
                pushed_at: e.submission?.pushed_at ?? isoSeconds(opts.now()),
              },
            })),
        },
      );
    } catch (e) {
      if (!(e instanceof ExternalError)) throw e;
      const left = candidates.length - report.groups.reduce((s, g) => s + g.entries.length, 0);
      const pushed = entries.some((x) => x.submission?.pushed_at);
      throw new ExternalError(
        e.message,
        `${e.hint ? `${e.hint}. ` : ""}Nothing was lost: ${left} approved result${left > 1 ? "s stay" : " stays"} in the outbox${pushed ? ` (branch ${branch} is pushed)` : ""}; run \`fedeval submit --site ${opts.site}\` again to ${pushed ? "finish" : "retry"} without duplicating anything`,
        { cause: e },
      );
    }
    if (!conn.dryRun) {
      const pr = outcome.pullRequest;
      await record((e) => ({
        ...e,
        submission: { ...e.submission, branch, ...(pr ? { pr_url: pr.url, pr_number: pr.number } : {}) },
      }));
      for (const e of entries) await archive(e);
    }
    report.groups.push({ run, entries: entries.map((e) => e.id), outcome, files: groupFiles });
  }
  return report;
}
