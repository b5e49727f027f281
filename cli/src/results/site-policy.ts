/**
 * The site's approval policy (`$FEDEVAL_HOME/sites/<site>/policy.yaml`): which results an
 * unattended runner may approve without a person. Format and meaning: schemas/site-policy.schema.json.
 *
 *   schema: fedeval/site-policy@1
 *   approver: site-it-admin            # recorded as approval.by
 *   auto_approve:
 *     benchmarks: [chest-xray-pneumonia]
 *     min_n: 20
 *     require_no_dropped: true         # default
 *     allow_partial: false             # default
 *     subgroups: suppressed-only       # default; or "allowed"
 *     max_age_days: 7                  # optional
 *
 * The policy lives at the site, not in the governance repository: it is the data owner's
 * decision, and nobody else can widen it through a pull request.
 */

import { UserError } from "../base/errors.ts";
import { printable } from "../base/printable.ts";
import { validateSchema } from "../formats/schema-registry.ts";
import { parseYaml, readSourceFile } from "../formats/yaml-source.ts";
import type { OutboxEntry } from "./outbox.ts";

export interface SitePolicy {
  schema: "fedeval/site-policy@1";
  approver: string;
  auto_approve: {
    benchmarks: string[];
    models?: string[];
    min_n: number;
    require_no_dropped?: boolean;
    allow_partial?: boolean;
    subgroups?: "suppressed-only" | "allowed";
    max_age_days?: number;
  };
}

/** Reads and validates a policy file; every problem is a UserError naming file:line:col. */
export async function readSitePolicy(path: string): Promise<SitePolicy> {
  let read: Awaited<ReturnType<typeof readSourceFile>>;
  try {
    read = await readSourceFile(path, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new UserError(
        `no site policy at ${path}; write one (format: schemas/site-policy.schema.json) or approve by hand with \`fedeval outbox approve\``,
      );
    }
    throw e;
  }
  const parsed = read.text === undefined ? undefined : parseYaml(read.text, path);
  let diagnostics = read.diagnostics.length ? read.diagnostics : (parsed?.diagnostics ?? []);
  if (parsed?.source && !diagnostics.length) {
    diagnostics = validateSchema("site-policy", parsed.source);
    if (!diagnostics.length) return parsed.source.data as SitePolicy;
  }
  throw new UserError(
    `site policy is invalid:\n${diagnostics.map((d) => `  ${printable(d.file)}:${d.line}:${d.col}: ${printable(d.message)}`).join("\n")}`,
  );
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Why the policy holds an entry back; empty when it approves it. Pure. */
export function policyHolds(policy: SitePolicy, entry: OutboxEntry, now: Date): string[] {
  const rule = policy.auto_approve;
  const r = entry.result;
  const why: string[] = [];
  if (!rule.benchmarks.includes(r.benchmark.id))
    why.push(`benchmark ${r.benchmark.id} is not in auto_approve.benchmarks`);
  if (rule.models && !rule.models.includes(r.model))
    why.push(`model ${r.model} is not in auto_approve.models`);
  if (r.n < rule.min_n) why.push(`n = ${r.n} is below min_n ${rule.min_n}`);
  if ((rule.require_no_dropped ?? true) && entry.dropped.length) {
    why.push(
      `the evaluator wrote ${entry.dropped.length} thing${entry.dropped.length > 1 ? "s" : ""} fedeval dropped (${entry.dropped.map((d) => d.path || "results.yaml").join(", ")})`,
    );
  }
  if (r.partial && !rule.allow_partial) why.push("the result is partial");
  const published = (r.subgroups ?? []).filter((c) => !c.suppressed).length;
  if ((rule.subgroups ?? "suppressed-only") === "suppressed-only" && published) {
    why.push(
      `${published} subgroup cell${published > 1 ? "s" : ""} with metrics (policy: subgroups: suppressed-only)`,
    );
  }
  if (rule.max_age_days !== undefined) {
    const age = (now.getTime() - Date.parse(r.provenance.finished_at)) / DAY_MS;
    if (age > rule.max_age_days)
      why.push(`the run finished ${Math.floor(age)} days ago, more than max_age_days ${rule.max_age_days}`);
  }
  return why;
}
