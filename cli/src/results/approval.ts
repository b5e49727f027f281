/**
 * Approval: the data owner looks at the exact bytes that will be submitted, approves, and the
 * result is signed. The approval (who, when, how) is part of the signed bytes, so nobody can
 * move it to another result or change it afterwards.
 */
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { UsageError, UserError } from "../base/errors.ts";
import { isoSeconds } from "../base/run-id.ts";
import type { Workspace } from "../base/workspace.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths, SLUG } from "../governance/layout.ts";
import type { MetricSpec, Result, Site } from "../governance/types.ts";
import type { OutboxEntry } from "./outbox.ts";
import { resultCapacity } from "./precision.ts";
import { signingBytes, signResult } from "./signature.ts";
import type { SigningKey } from "./site-keys.ts";

export const resultPath = (r: Pick<Result, "benchmark" | "dataset" | "model">) =>
  paths.result(r.benchmark.id, r.dataset, r.model);

/** SHA-256 (hex) of the RFC 8785 bytes that the signature covers. */
export const signedDigest = (result: Result) =>
  createHash("sha256").update(signingBytes(result)).digest("hex");

/**
 * A GitHub login may approve for a site when it is one of the site's owners. When the owners
 * include teams (`org/team`), membership cannot be checked offline, so any login is accepted and
 * the pull request review decides.
 */
export function checkApprover(login: string, site: Site): void {
  const owners = site.owners.map((o) => o.toLowerCase());
  if (owners.includes(login.toLowerCase()) || owners.some((o) => o.includes("/"))) return;
  throw new UserError(
    `${login} is not an owner of site ${site.id} (owners in sites/${site.id}.yaml: ${site.owners.join(", ")}); approve as one of them with --as LOGIN`,
  );
}

/** Records the approval and signs: pending → approved. */
export function approveEntry(
  entry: OutboxEntry,
  approval: { by: string; policy: "manual" | "site-policy" },
  signer: SigningKey,
  now: Date,
): OutboxEntry {
  if (entry.state !== "pending")
    throw new UserError(`outbox entry ${entry.id} is ${entry.state}, not pending`);
  const { approval: _a, signature: _s, ...pending } = entry.result as Result;
  const approved: Result = {
    ...pending,
    approval: { by: approval.by, at: isoSeconds(now), policy: approval.policy },
  };
  return { ...entry, state: "approved", result: signResult(approved, signer.key.id, signer.privateKey) };
}

/**
 * What the data owner sees before approving: context, the most bits the result can carry (with
 * the benchmark's `metrics`, for their precision), then the file exactly as it will be committed.
 */
export function approvalScreen(entry: OutboxEntry, signed: Result, metrics: readonly MetricSpec[]): string {
  const path = resultPath(signed);
  const lines = [
    `outbox entry ${entry.id}`,
    `  site ${entry.site}, run ${entry.run_id}, computed ${entry.created_at}`,
    `  benchmark ${signed.benchmark.id} v${signed.benchmark.version}, model ${signed.model}, dataset ${signed.dataset}, n = ${signed.n}${signed.partial ? " (partial)" : ""}`,
  ];
  if (entry.dropped.length) {
    lines.push(`  dropped from the evaluator's output (never submitted):`);
    for (const d of entry.dropped) lines.push(`    ${d.path || "results.yaml"}: ${d.why}`);
  }
  for (const note of entry.notes ?? []) lines.push(`  note: ${note}`);
  const capacity = resultCapacity(signed, metrics);
  lines.push(
    `  its numbers can carry at most ${Math.ceil(capacity.bits)} bits (${capacity.reals} rounded reals, ${capacity.counts} counts): the most a hostile evaluator could hide in them`,
    `--- ${path} (exactly as it will be submitted) ---`,
    governanceFileText("result", signed).trimEnd(),
    `--- end of ${path} ---`,
  );
  lines.push(
    `signed bytes (RFC 8785 JSON of the result without its signature): sha256 ${signedDigest(signed)}`,
  );
  lines.push(`signed with key "${signed.signature?.key}" of site ${entry.site}`, "");
  return lines.join("\n");
}

/** `--site`, or the only site with a workspace under FEDEVAL_HOME. */
export async function chooseSite(ws: Workspace, site: string | undefined): Promise<string> {
  if (site !== undefined) {
    if (!SLUG.test(site))
      throw new UsageError(`--site "${site}" is not a site id (lowercase letters, digits and "-")`);
    return site;
  }
  const sites = (await readdir(join(ws.home, "sites"), { withFileTypes: true }).catch(() => []))
    .filter((d) => d.isDirectory() && SLUG.test(d.name))
    .map((d) => d.name);
  if (sites.length === 1) return sites[0] as string;
  throw new UsageError(
    sites.length
      ? `several sites have a workspace in ${ws.home} (${sites.sort().join(", ")}); choose one with --site`
      : `no site workspace in ${ws.home}; name the site with --site`,
  );
}
