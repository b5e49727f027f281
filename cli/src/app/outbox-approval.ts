/**
 * `fedeval outbox approve` (and the action's approve-by-policy): the data owner's approval. A
 * person reviews each result exactly as it will be committed, with the SHA-256 of the bytes the
 * signature covers; on approval it is signed with the site's key (pending → approved).
 *
 * With the site policy deciding instead of a person (unattended runners), only entries it allows
 * are approved; the others stay pending, with the reasons in the report. The report holds ids,
 * keys and reasons, never a metric value: the review screen is given to the person only.
 */
import { resolve } from "node:path";
import { UserError } from "../base/errors.ts";
import { workspace } from "../base/workspace.ts";
import { ghLogin } from "../forge/github-auth.ts";
import { loadGovernance } from "../governance/loader.ts";
import type { Result } from "../governance/types.ts";
import { approvalScreen, approveEntry, checkApprover, chooseSite } from "../results/approval.ts";
import { Outbox, type OutboxEntry, type OutboxState } from "../results/outbox.ts";
import { signingKeyFor } from "../results/site-keys.ts";
import { policyHolds, readSitePolicy } from "../results/site-policy.ts";

/** What the person approving is shown, and asked about, for one entry. */
export interface ApprovalReview {
  entry: OutboxEntry;
  /** Who approves. */
  by: string;
  /** Context, then the file exactly as it will be committed, then the digest of the signed bytes. */
  screen: string;
}

/** The person's answer: approve and sign it, leave it pending, or stop (the rest stay pending). */
export type ReviewAnswer = "approve" | "leave" | "stop";

export interface ApprovalRequest {
  /** Default: the only site with a workspace on this machine. */
  site?: string;
  /** Default: every pending entry of the site. */
  ids: string[];
  /** Governance repository root holding sites/<site>.yaml (the site's keys and owners), relative to `cwd`. */
  root: string;
  /** The site's policy file decides instead of a person. */
  policy: boolean;
  /** The approver's GitHub login; default GITHUB_ACTOR, else gh's signed-in user. Not with `policy`. */
  as?: string;
  /**
   * Asks the person about one entry. Without it (and without `policy`) approving is refused:
   * nobody can confirm.
   */
  review?: (review: ApprovalReview) => Promise<ReviewAnswer>;
  /** Called as each entry is decided, in order (for progress output). */
  onDecision?: (decision: ApprovalDecision) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
}

/** What became of one entry. */
export type ApprovalDecision =
  | { id: string; outcome: "approved"; by: string; policy: "manual" | "site-policy"; key: string }
  /** The site policy does not allow it: it waits for a person. */
  | { id: string; outcome: "held"; reasons: string[] }
  /** The person did not approve it. */
  | { id: string; outcome: "left" }
  /** Named, but not pending. */
  | { id: string; outcome: "skipped"; state: OutboxState };

export interface ApprovalReport {
  site: string;
  /** How many pending entries were up for approval. */
  pending: number;
  /** In order; skipped entries first. */
  decisions: ApprovalDecision[];
  /** The person stopped: the entries after the last decision stay pending. */
  interrupted: boolean;
}

export async function approveOutbox(req: ApprovalRequest): Promise<ApprovalReport> {
  const ws = workspace(req.env, req.cwd);
  const site = await chooseSite(ws, req.site);
  const outbox = new Outbox(ws.site(site).outbox);
  const report: ApprovalReport = { site, pending: 0, decisions: [], interrupted: false };
  const decide = (decision: ApprovalDecision) => {
    report.decisions.push(decision);
    req.onDecision?.(decision);
  };
  let entries: OutboxEntry[];
  if (req.ids.length) {
    entries = [];
    for (const id of req.ids) {
      const entry = await outbox.read(id);
      if (entry.site !== site)
        throw new UserError(`outbox entry ${id} belongs to site ${entry.site}, not ${site}`);
      if (entry.state !== "pending") decide({ id, outcome: "skipped", state: entry.state });
      else entries.push(entry);
    }
  } else {
    entries = (await outbox.list()).filter((e) => e.site === site && e.state === "pending");
  }
  report.pending = entries.length;
  if (!entries.length) return report;
  // without a review, the policy decides
  const review = req.policy ? undefined : req.review;
  if (!req.policy && !review) {
    throw new UserError(
      "approving needs a person to confirm, and stdin is not a terminal: run it in a terminal, pass --yes after reviewing the entries (`fedeval outbox show ID`), or let the site policy decide with --policy",
    );
  }

  const root = resolve(req.cwd, req.root);
  const { index } = await loadGovernance(root);
  const siteFile = index.sites.get(site)?.data;
  if (!siteFile)
    throw new UserError(
      `${root} has no valid sites/${site}.yaml; run from the governance repository or pass --root`,
    );
  const signer = await signingKeyFor(siteFile, ws.site(site).keys, req.now());
  const key = signer.key.id;

  if (!review) {
    const policy = await readSitePolicy(ws.site(site).policy);
    checkApprover(policy.approver, siteFile);
    for (const entry of entries) {
      const now = req.now();
      const reasons = policyHolds(policy, entry, now);
      if (reasons.length) {
        decide({ id: entry.id, outcome: "held", reasons });
        continue;
      }
      await outbox.update(approveEntry(entry, { by: policy.approver, policy: "site-policy" }, signer, now));
      decide({ id: entry.id, outcome: "approved", by: policy.approver, policy: "site-policy", key });
    }
    return report;
  }

  const by = req.as ?? req.env.GITHUB_ACTOR ?? (await ghLogin(req.env));
  if (!by)
    throw new UserError(
      `who approves? Pass --as LOGIN (your GitHub login, one of the owners of site ${site})`,
    );
  checkApprover(by, siteFile);
  for (const entry of entries) {
    const signed = approveEntry(entry, { by, policy: "manual" }, signer, req.now());
    const metrics = index.benchmarks.get(entry.result.benchmark.id)?.benchmark?.data.metrics ?? [];
    const screen = approvalScreen(entry, signed.result as Result, metrics);
    const answer = await review({ entry, by, screen });
    if (answer === "stop") {
      report.interrupted = true;
      break;
    }
    if (answer === "approve") {
      await outbox.update(signed);
      decide({ id: entry.id, outcome: "approved", by, policy: "manual", key });
    } else decide({ id: entry.id, outcome: "left" });
  }
  return report;
}
