/**
 * What a change may do to signed committee decisions (committee-approval.ts), judged against the
 * base (`validate --changed-since`):
 *
 * - FE607: a decision the change adds is signed with a member and key the base already lists, so
 *   nobody adds a key and approves with it in one pull request;
 * - FE608: decisions the base records stay (an approved update moves its records into `approvals`);
 * - FE609: a change to a benchmark's definition (benchmark.yaml, or its containers' definitions
 *   and parameters) is approved by enough members listed in the base, besides whoever asks.
 *
 * A benchmark that the base does not have yet is created by whoever may push it (bootstrap).
 */
import type { Diagnostic } from "../base/diagnostics.ts";
import type { FileChange } from "../base/git-history.ts";
import { ruleName } from "../formats/rules.ts";
import { diagnosticAtPath, type PathSegment } from "../formats/yaml-source.ts";
import {
  approvedContent,
  contentDigest,
  countDecisions,
  quorumOf,
} from "../governance/committee-approval.ts";
import { classifyPath } from "../governance/layout.ts";
import type { BenchmarkFolder, Entry, GovernanceIndex } from "../governance/loader.ts";
import type { Approval, Benchmark, Dataset, Member, Model } from "../governance/types.ts";

type Decided = Benchmark | Model | Dataset;

/** Every record of a file, with where it sits. */
function recordsOf(data: Decided): [Approval, PathSegment[]][] {
  const own = (data.approvals ?? []).map((a, i): [Approval, PathSegment[]] => [a, ["approvals", i]]);
  const update = "update" in data ? ((data.update?.approvals ?? []) as Approval[]) : [];
  return [...own, ...update.map((a, i): [Approval, PathSegment[]] => [a, ["update", "approvals", i]])];
}

const knownKey = (members: readonly Member[], record: Approval) =>
  members
    .find((m) => m.login.toLowerCase() === record.by.toLowerCase())
    ?.keys.find((k) => k.id === record.key);

export function checkDecisionHistory(
  index: GovernanceIndex,
  base: GovernanceIndex | undefined,
  changes: readonly FileChange[],
  author: string | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (
    entry: Entry<unknown>,
    path: PathSegment[],
    rule: "FE607" | "FE608" | "FE609",
    message: string,
  ) => out.push(diagnosticAtPath(entry.source, path, rule, ruleName(rule), message));
  for (const change of changes) {
    if (change.status === "deleted") continue;
    const where = classifyPath(change.file);
    if (where.kind !== "model" && where.kind !== "dataset" && where.kind !== "benchmark") continue;
    const folder = index.benchmarks.get(where.benchmark);
    const before = base?.benchmarks.get(where.benchmark);
    const pick = (f: BenchmarkFolder | undefined): Entry<Decided> | undefined =>
      where.kind === "model"
        ? f?.models.get(where.model)
        : where.kind === "dataset"
          ? f?.datasets.get(where.dataset)
          : f?.benchmark;
    const now = pick(folder);
    const was = pick(before);
    if (!now) continue;
    const kept = new Set(recordsOf(now.data).map(([a]) => a.signature));
    const lost = was ? recordsOf(was.data).filter(([a]) => !kept.has(a.signature)) : [];
    for (const [a] of lost)
      at(
        now,
        ["approvals"],
        "FE608",
        `the ${a.decision} signed by ${a.by} at ${a.at} was removed or edited: recorded decisions stay (history); add a new one with \`fedeval approve\``,
      );
    const baseMembers = before?.benchmark?.data.members;
    if (!baseMembers) continue; // a benchmark the base does not have yet: bootstrap
    const old = new Set(was ? recordsOf(was.data).map(([a]) => a.signature) : []);
    for (const [record, path] of recordsOf(now.data)) {
      if (old.has(record.signature)) continue;
      const key = knownKey(baseMembers, record);
      const current = knownKey(folder?.benchmark?.data.members ?? [], record);
      if (current && (!key || key.public_key !== current.public_key))
        at(
          now,
          [...path, "key"],
          "FE607",
          `${record.by}'s key "${record.key}" is added by this change: a key signs only once the committee members listed before approved it (merge the key first)`,
        );
    }
  }
  for (const folder of index.benchmarks.values()) checkBenchmarkChange(folder, base, author, out);
  return out;
}

/** FE609: a changed benchmark definition needs enough approvals of the members the base lists. */
function checkBenchmarkChange(
  folder: BenchmarkFolder,
  base: GovernanceIndex | undefined,
  author: string | undefined,
  out: Diagnostic[],
): void {
  const now = folder.benchmark;
  const before = base?.benchmarks.get(folder.id);
  const was = before?.benchmark;
  if (!now || !was || !before) return;
  const content = contentDigest(approvedContent(folder, "benchmark", now.data));
  if (content === contentDigest(approvedContent(before, "benchmark", was.data))) return;
  const members = was.data.members ?? [];
  if (!members.length) return; // no member could approve yet: the committee is still being formed
  const quorum = quorumOf(was.data);
  const count = countDecisions({
    subject: { benchmark: folder.id, kind: "benchmark", id: folder.id },
    records: now.data.approvals ?? [],
    members,
    content,
    decision: "approve",
    requesters: [author],
  });
  if (count.members.length >= quorum) return;
  const membersChanged = JSON.stringify(now.data.members ?? []) !== JSON.stringify(members);
  out.push(
    diagnosticAtPath(
      now.source,
      membersChanged ? ["members"] : ["version"],
      "FE609",
      ruleName("FE609"),
      `this change to benchmark ${folder.id}${membersChanged ? " (its members or their keys)" : ""} needs ${quorum} signed approval${quorum > 1 ? "s" : ""} by committee members listed before it (${members.map((m) => m.login).join(", ")})${author ? `, besides ${author} who asks` : ""}, over the benchmark as changed (\`fedeval approve ${now.file}\`); found ${count.members.length}`,
    ),
  );
}
