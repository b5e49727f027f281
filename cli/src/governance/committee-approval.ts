/**
 * Signed committee decisions (DESIGN.md section 2). A committee member approves, rejects or
 * suspends a model, a dataset or a benchmark definition by signing, with their own ed25519 key
 * listed under `members` in benchmark.yaml, the JCS (RFC 8785) canonical form of
 *
 *   { schema: "fedeval/approval@1", benchmark, kind, id, decision, by, key, at, content }
 *
 * where `content` is the SHA-256 of the JCS form of exactly what is approved: the association
 * (or benchmark) without its status and approvals, together with the whole container definition
 * and parameters file it runs with. The record lives in the file's `approvals` list, so the
 * repository alone proves who approved what, on any forge, offline, years later: a copied record
 * names another subject, and a changed file or container definition has another digest.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import canonicalize from "canonicalize";
import { editYaml } from "../formats/yaml-write.ts";
import { policyApproves } from "./auto-approval.ts";
import { type BenchmarkFolder, benchmarkFolderFromTexts } from "./loader.ts";
import type {
  Approval,
  AssociationStatus,
  Benchmark,
  ContainerReference,
  Dataset,
  Decision,
  Member,
  Model,
} from "./types.ts";

export const APPROVAL_SCHEMA = "fedeval/approval@1";

export type SubjectKind = "benchmark" | "model" | "dataset";

/** What a decision is about. */
export interface Subject {
  benchmark: string;
  kind: SubjectKind;
  id: string;
}

/** Fields that are not part of what a committee approves (the status it derives, its records, run-order hints, prose). */
const NOT_APPROVED: Record<SubjectKind, readonly string[]> = {
  benchmark: ["approvals", "title", "description", "clinical_setting"],
  // key grants are the model owner's (app/model-grant): never part of what the committee approves
  model: ["status", "approvals", "update", "compatibility", "title", "description", "key_grants"],
  dataset: ["status", "approvals", "update"],
};

/** The decision a status needs; `proposed` and `withdrawn` need none. */
export const DECISION_OF: Partial<Record<AssociationStatus, Decision>> = {
  approved: "approve",
  rejected: "reject",
  suspended: "suspend",
};

/** The status a decision gives. */
export const STATUS_OF: Record<Decision, AssociationStatus> = {
  approve: "approved",
  reject: "rejected",
  suspend: "suspended",
};

function jcs(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error("value cannot be canonicalized");
  return text;
}

/** The container definitions (as parsed, whole) and parameters files that `refs` run with. */
function containersOf(folder: BenchmarkFolder, refs: ContainerReference[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const ref of refs) {
    const name = ref.config.replace(/^containers\//, "").replace(/\.ya?ml$/, "");
    out[ref.config] = {
      definition: folder.containers.get(ref.config)?.source.data ?? null,
      parameters: folder.parameters.get(name)?.data ?? null,
    };
  }
  return out;
}

/**
 * Exactly what a decision on `data` covers: the file's approved fields, and the whole container
 * definition and parameters of every container it names (so a change of behaviour, not only of
 * the image, needs a new approval).
 */
export function approvedContent(folder: BenchmarkFolder, kind: SubjectKind, data: object): unknown {
  const fields = Object.fromEntries(
    Object.entries(data).filter(([k, v]) => v !== undefined && !NOT_APPROVED[kind].includes(k)),
  );
  const refs =
    kind === "model"
      ? [(data as Model).container]
      : kind === "benchmark"
        ? Object.values((data as Benchmark).containers)
        : [];
  return { kind, benchmark: folder.id, [kind]: fields, containers: containersOf(folder, refs) };
}

/** `sha256:<hex>` of the JCS form of `content`. */
export function contentDigest(content: unknown): string {
  return `sha256:${createHash("sha256").update(jcs(content)).digest("hex")}`;
}

/** The exact bytes a member signs. */
export function approvalBytes(subject: Subject, record: Omit<Approval, "signature">): Buffer {
  const { decision, by, key, at, content } = record;
  return Buffer.from(jcs({ schema: APPROVAL_SCHEMA, ...subject, decision, by, key, at, content }), "utf8");
}

export function signApproval(
  subject: Subject,
  record: Omit<Approval, "signature">,
  privateKey: KeyObject,
): Approval {
  const signature = sign(null, approvalBytes(subject, record), privateKey).toString("base64");
  return { ...record, signature };
}

const publicKeys = new Map<string, KeyObject>();
function publicKey(spki: string): KeyObject {
  let key = publicKeys.get(spki);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spki, "base64"), format: "der", type: "spki" });
    publicKeys.set(spki, key);
  }
  return key;
}

function verifies(bytes: Buffer, spki: string, signature: string): boolean {
  try {
    return verify(null, bytes, publicKey(spki), Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/** One record's problem, at one of its fields. */
export interface RecordProblem {
  index: number;
  field: keyof Approval;
  rule: "FE601" | "FE602" | "FE603" | "FE604" | "FE606";
  message: string;
}

export interface DecisionCount {
  /** Problems of individual records, each an error. */
  problems: RecordProblem[];
  /** Valid records, in order. */
  valid: Approval[];
  /** Distinct members whose valid `decision` over `content` stands (none of another decision over it came later). */
  members: string[];
  /** Valid records over other content (an earlier version, or the file changed since they were signed). */
  otherContent: number;
}

/**
 * Checks every record (member, key, key validity at signing time, signature, requester, order)
 * and counts the members whose `decision` over `content` stands.
 */
export function countDecisions(opts: {
  subject: Subject;
  records: readonly Approval[];
  members: readonly Member[];
  content: string;
  decision: Decision;
  /** Whoever requested what is decided: their records never count. */
  requesters: readonly (string | undefined)[];
}): DecisionCount {
  const problems: RecordProblem[] = [];
  const valid: Approval[] = [];
  const seen = new Set<string>();
  const requesters = new Set(opts.requesters.filter(Boolean).map((r) => (r as string).toLowerCase()));
  let previous = Number.NEGATIVE_INFINITY;
  /** Why a record does not count, or undefined when it is valid. */
  const problemOf = (record: Approval, index: number): RecordProblem | undefined => {
    const problem = (field: keyof Approval, rule: RecordProblem["rule"], message: string) => ({
      index,
      field,
      rule,
      message,
    });
    const at = Date.parse(record.at);
    if (seen.has(record.signature))
      return problem("signature", "FE606", "this approval repeats an earlier one (a replayed signature)");
    seen.add(record.signature);
    if (at < previous)
      return problem(
        "at",
        "FE606",
        `signed at ${record.at}, before the approval listed above it: approvals are appended in order, an older one cannot be replayed after a later decision`,
      );
    previous = at;
    const member = opts.members.find((m) => m.login.toLowerCase() === record.by.toLowerCase());
    if (!member)
      return problem(
        "by",
        "FE602",
        `${record.by} is not a committee member of benchmark ${opts.subject.benchmark} (members: ${opts.members.map((m) => m.login).join(", ") || "none declared"})`,
      );
    const key = member.keys.find((k) => k.id === record.key);
    if (!key)
      return problem("key", "FE602", `key "${record.key}" is not a key of committee member ${member.login}`);
    if (key.revoked_at && Date.parse(key.revoked_at) <= at)
      return problem(
        "key",
        "FE603",
        `key "${key.id}" of ${member.login} was revoked at ${key.revoked_at}, before this approval (${record.at})`,
      );
    if (Date.parse(key.created_at) > at)
      return problem(
        "key",
        "FE603",
        `key "${key.id}" of ${member.login} was created at ${key.created_at}, after this approval (${record.at})`,
      );
    if (!verifies(approvalBytes(opts.subject, record), key.public_key, record.signature))
      return problem(
        "signature",
        "FE601",
        `signature does not verify with key "${key.id}" of ${member.login} over ${opts.subject.kind} ${opts.subject.id} of benchmark ${opts.subject.benchmark}: forged, altered, or copied from another approval`,
      );
    if (requesters.has(record.by.toLowerCase()))
      return problem(
        "by",
        "FE604",
        `${record.by} requested this and cannot approve it: another committee member must`,
      );
    return undefined;
  };
  opts.records.forEach((record, index) => {
    const problem = problemOf(record, index);
    if (problem) problems.push(problem);
    else valid.push(record);
  });
  let standing = new Set<string>();
  let otherContent = 0;
  for (const record of valid) {
    if (record.content !== opts.content) {
      otherContent++;
      continue;
    }
    if (record.decision === opts.decision) standing.add(record.by.toLowerCase());
    else standing = new Set();
  }
  return { problems, valid, members: [...standing], otherContent };
}

/** How many members must sign a decision of this benchmark. */
export const quorumOf = (benchmark: Benchmark | undefined): number => benchmark?.policy?.approvals ?? 1;

/** The association as its pending update would make it. */
export function updated<T extends Model | Dataset>(data: T): T {
  if (!data.update) return data;
  const { approvals: _a, requested_by, ...fields } = data.update as Record<string, unknown>;
  return { ...data, ...fields, ...(requested_by ? { requested_by } : {}), update: undefined };
}

export interface StatusCheck {
  subject: Subject;
  content: string;
  count: DecisionCount;
  /** The decision the status needs (absent for proposed and withdrawn). */
  decision?: Decision;
  quorum: number;
  /** The benchmark's policy approves this request without signatures. */
  byPolicy: boolean;
  /** The status stands: backed by enough signatures, by policy, or needing none. */
  backed: boolean;
  /** The pending update's own records and count, when there is one. */
  update?: { content: string; count: DecisionCount };
}

/** Whether a model's or dataset's status is backed by enough valid signed decisions over what it says now. */
export function checkStatus(
  folder: BenchmarkFolder,
  kind: "model" | "dataset",
  data: Model | Dataset,
): StatusCheck {
  const benchmark = folder.benchmark?.data;
  const subject = { benchmark: folder.id, kind, id: data.id };
  const members = benchmark?.members ?? [];
  const content = contentDigest(approvedContent(folder, kind, data));
  const decision = DECISION_OF[data.status];
  const count = countDecisions({
    subject,
    records: data.approvals ?? [],
    members,
    content,
    decision: decision ?? "approve",
    requesters: [data.requested_by],
  });
  const quorum = quorumOf(benchmark);
  const byPolicy =
    data.status === "approved" &&
    policyApproves(
      benchmark,
      kind === "model" ? "models" : "datasets",
      kind === "dataset" ? (data as Dataset).site : undefined,
      data.requested_by,
    );
  const backed = !decision || byPolicy || count.members.length >= quorum;
  const out: StatusCheck = { subject, content, count, decision, quorum, byPolicy, backed };
  if (data.update) {
    const next = updated(data);
    const updateContent = contentDigest(approvedContent(folder, kind, next));
    out.update = {
      content: updateContent,
      count: countDecisions({
        subject,
        records: data.update.approvals ?? [],
        members,
        content: updateContent,
        decision: "approve",
        requesters: [next.requested_by],
      }),
    };
  }
  return out;
}

/** One line on what a status lacks, for FE605. */
export function missingDecisions(kind: string, status: AssociationStatus, check: StatusCheck): string {
  const have = check.count.members.length;
  const other = check.count.otherContent
    ? `; ${check.count.otherContent} valid signature${check.count.otherContent > 1 ? "s are" : " is"} over other content (this file, its container definition or its parameters changed since they were signed)`
    : "";
  return `status: ${status} needs ${check.quorum} committee member${check.quorum > 1 ? "s'" : "'s"} signed ${check.decision} over this ${kind} as it is now (\`fedeval approve\`); found ${have}${other}`;
}

/** Who signs, with which key. */
export interface Signer {
  login: string;
  keyId: string;
  privateKey: KeyObject;
}

/**
 * Signs, as `signer` at `at`, every model and dataset of benchmark `benchmark` in `texts` whose
 * status needs a decision and that records none yet (the demo and test trees are written this way).
 */
export function signUndecided(
  texts: Map<string, string>,
  benchmark: string,
  signer: Signer,
  at: string,
): void {
  const folder = benchmarkFolderFromTexts(benchmark, texts);
  for (const [kind, entries] of [
    ["model", folder.models],
    ["dataset", folder.datasets],
  ] as const) {
    for (const entry of entries.values()) {
      const decision = DECISION_OF[entry.data.status];
      if (!decision || entry.data.approvals?.length) continue;
      const subject = { benchmark, kind, id: entry.data.id };
      const content = contentDigest(approvedContent(folder, kind, entry.data));
      const record = signApproval(
        subject,
        { decision, by: signer.login, key: signer.keyId, at, content },
        signer.privateKey,
      );
      texts.set(entry.file, editYaml(texts.get(entry.file) as string, [[["approvals"], [record]]]));
    }
  }
}
