/**
 * `fedeval approve FILE` (and `--reject`, `--suspend`): a committee member's signed decision on a
 * model, a dataset or a benchmark definition, recorded in the file itself and committed onto the
 * branch checked out (the proposer's pull request branch, or the member's own).
 *
 * The member signs with their own key (`fedeval member keygen`; the public half is listed under
 * `members` in benchmark.yaml) over exactly what the file and its container definition say now
 * (governance/committee-approval.ts). Once enough members signed (`policy.approvals`), the status
 * follows: a pending `update` is applied, and the approved version it replaces stays in git.
 *
 *   $FEDEVAL_HOME/members/<login>/keys/<key-id>.pem   the member's private keys (mode 0600)
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { UsageError, UserError } from "../base/errors.ts";
import { gitText } from "../base/git.ts";
import { isoSeconds } from "../base/run-id.ts";
import { workspace } from "../base/workspace.ts";
import { editYaml } from "../formats/yaml-write.ts";
import {
  approvedContent,
  contentDigest,
  countDecisions,
  quorumOf,
  STATUS_OF,
  type Subject,
  signApproval,
  updated,
} from "../governance/committee-approval.ts";
import { classifyPath } from "../governance/layout.ts";
import { loadGovernance } from "../governance/loader.ts";
import type { Approval, Benchmark, Dataset, Decision, Model } from "../governance/types.ts";
import { generateSiteKey, siteKeyYaml, usableSigningKey } from "../results/site-keys.ts";

export type { Decision };

export interface ApproveRequest {
  /** The governance root (relative to `cwd`). */
  root: string;
  /** The model, dataset or benchmark file (relative to `cwd`). */
  file: string;
  decision: Decision;
  /** The member's login; default: the only member with keys in this workspace. */
  as?: string;
  /** Commit the file onto the checked-out branch (default true). */
  commit: boolean;
  /** Then push the branch to its upstream (or `origin`, same name). */
  push: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

export interface ApproveReport {
  /** The file, relative to the root. */
  file: string;
  subject: Subject;
  record: Approval;
  /** Members whose decision over this content now stands, and how many are needed. */
  count: number;
  quorum: number;
  /** The status the file has now. */
  status: string;
  /** A pending update was approved and applied. */
  appliedUpdate: boolean;
  /** The commit made, when committed. */
  commit?: string;
  /** Where the branch was pushed. */
  pushed?: string;
}

/** Signs and records a decision; a file that is not a model, dataset or benchmark, or a non-member, is a UserError. */
export async function approve(req: ApproveRequest): Promise<ApproveReport> {
  const root = resolve(req.cwd, req.root);
  const file = relative(root, resolve(req.cwd, req.file)).split("\\").join("/");
  const where = classifyPath(file);
  if (where.kind !== "model" && where.kind !== "dataset" && where.kind !== "benchmark")
    throw new UsageError(
      `${req.file} is not a model, dataset or benchmark file of the governance repository at ${root} (benchmarks/<b>/models/<m>.yaml, …/datasets/<d>.yaml or …/benchmark.yaml)`,
    );
  const { index, diagnostics } = await loadGovernance(root);
  const folder = index.benchmarks.get(where.benchmark);
  const benchmark = folder?.benchmark?.data;
  const entry =
    where.kind === "model"
      ? folder?.models.get(where.model)
      : where.kind === "dataset"
        ? folder?.datasets.get(where.dataset)
        : folder?.benchmark;
  if (!folder || !benchmark || !entry) {
    const problems = diagnostics.filter(
      (d) => d.file === file || d.file === `benchmarks/${where.benchmark}/benchmark.yaml`,
    );
    throw new UserError(
      `${file} cannot be approved: ${problems.length ? problems.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message} [${d.rule}]`).join("; ") : "it does not exist or its benchmark has no benchmark.yaml"}`,
    );
  }
  const ws = workspace(req.env, req.cwd);
  const login = req.as ?? (await onlyMember(ws.members));
  const member = (benchmark.members ?? []).find((m) => m.login.toLowerCase() === login.toLowerCase());
  if (!member)
    throw new UserError(
      `${login} is not a committee member of benchmark ${where.benchmark}: benchmark.yaml lists ${(benchmark.members ?? []).map((m) => m.login).join(", ") || "no members"}. Make a key with \`fedeval member keygen --login ${login}\` and have the committee add it to members: in a pull request it approves`,
    );
  const now = req.now();
  const signer = await usableSigningKey(member.keys, ws.memberKeys(member.login), now, {
    owner: `committee member ${member.login}`,
    listedIn: `benchmarks/${where.benchmark}/benchmark.yaml (members)`,
    keygen: `fedeval member keygen --login ${member.login}`,
  });
  const kind = where.kind;
  const subject: Subject = { benchmark: where.benchmark, kind, id: entry.data.id };
  const data = entry.data as Model | Dataset | Benchmark;
  const pending = kind !== "benchmark" && (data as Model | Dataset).update && req.decision === "approve";
  const target = pending ? updated(data as Model | Dataset) : data;
  const requester = kind === "benchmark" ? undefined : (target as Model | Dataset).requested_by;
  if (requester && requester.toLowerCase() === member.login.toLowerCase())
    throw new UserError(
      `${member.login} requested ${kind} ${subject.id} and cannot approve it: another committee member must (a benchmark needs at least ${quorumOf(benchmark)} member${quorumOf(benchmark) > 1 ? "s" : ""} besides whoever requests)`,
    );
  const existing = pending
    ? ((data as Model | Dataset).update?.approvals ?? [])
    : ((data as { approvals?: Approval[] }).approvals ?? []);
  const last = existing[existing.length - 1];
  const at = isoSeconds(now);
  if (last && Date.parse(last.at) > now.getTime())
    throw new UserError(
      `the last approval in ${file} was signed at ${last.at}, after this machine's clock (${at}); check the clock`,
    );
  const content = contentDigest(approvedContent(folder, kind, target));
  const record = signApproval(
    subject,
    { decision: req.decision, by: member.login, key: signer.key.id, at, content },
    signer.privateKey,
  );
  const records = [...existing, record];
  const members = benchmark.members ?? [];
  const count = countDecisions({
    subject,
    records,
    members,
    content,
    decision: req.decision,
    requesters: [requester],
  });
  if (count.problems.some((p) => p.index === records.length - 1))
    throw new UserError(
      `the new approval would not verify: ${count.problems
        .filter((p) => p.index === records.length - 1)
        .map((p) => p.message)
        .join("; ")}`,
    );
  const quorum = quorumOf(benchmark);
  const reached = count.members.length >= quorum;
  const text = await readFile(resolve(root, file), "utf8");
  const edits: [(string | number)[], unknown][] = [];
  let status = (data as Model | Dataset).status ?? "";
  let appliedUpdate = false;
  if (kind === "benchmark") {
    edits.push([["approvals"], records]);
  } else if (pending && reached) {
    // the update is approved: it replaces the approved version (which stays in git history)
    const old = (target as Model | Dataset).approvals ?? [];
    const fields = Object.keys((data as Model | Dataset).update ?? {}).filter((k) => k !== "approvals");
    for (const k of fields) edits.push([[k], (target as unknown as Record<string, unknown>)[k]]);
    edits.push([["update"], undefined], [["status"], "approved"], [["approvals"], [...old, ...records]]);
    status = "approved";
    appliedUpdate = true;
  } else if (pending) {
    edits.push([["update", "approvals"], records]);
  } else {
    edits.push([["approvals"], records]);
    if (reached) {
      status = STATUS_OF[req.decision];
      edits.push([["status"], status]);
    }
  }
  await writeFile(resolve(root, file), editYaml(text, edits));
  const report: ApproveReport = {
    file,
    subject,
    record,
    count: count.members.length,
    quorum,
    status,
    appliedUpdate,
  };
  if (req.commit) {
    const verb = { approve: "Approve", reject: "Reject", suspend: "Suspend" }[req.decision];
    await gitText(root, ["add", "--", file]);
    await gitText(root, [
      "commit",
      "--quiet",
      "-m",
      `${verb} ${appliedUpdate || pending ? "the update of " : ""}${kind} ${subject.id} of ${subject.benchmark}\n\nSigned by committee member ${member.login} with key ${signer.key.id} over ${content} (${report.count}/${quorum}).`,
      "--",
      file,
    ]);
    report.commit = (await gitText(root, ["rev-parse", "HEAD"])).trim();
    if (req.push) report.pushed = await pushBranch(root);
  }
  return report;
}

/** The only member with keys in this workspace; otherwise `--as` is needed. */
async function onlyMember(dir: string): Promise<string> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (names.length === 1) return names[0] as string;
  throw new UsageError(
    names.length
      ? `this machine holds keys of several committee members (${names.join(", ")}): say which with --as LOGIN`
      : "this machine holds no committee member's key: make one with `fedeval member keygen --login LOGIN`, or pass --as LOGIN",
  );
}

/** Pushes the checked-out branch to the remote of its upstream (origin without one), under its own name. */
async function pushBranch(root: string): Promise<string> {
  const branch = (await gitText(root, ["rev-parse", "--abbrev-ref", "HEAD"])).trim();
  const upstream = (
    await gitText(root, ["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"]).catch(() => "")
  ).trim();
  if (branch === "HEAD")
    throw new UserError("no branch is checked out: check out the pull request's branch to push to it");
  // always to a branch of the same name (as git's push.default=simple): never onto main by accident
  const remote = upstream ? upstream.split("/")[0] : "origin";
  const target = branch;
  try {
    await gitText(root, ["push", "--quiet", remote as string, `HEAD:refs/heads/${target}`]);
  } catch (e) {
    throw new UserError(`git push to ${remote} ${target} failed: ${(e as Error).message.split("\n")[0]}`);
  }
  return `${remote}/${target}`;
}

export interface MemberKeyRequest {
  login: string;
  id?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

export interface MemberKeyReport {
  id: string;
  file: string;
  /** The `members:` entry for benchmark.yaml (or the key alone, for an existing member's keys: list). */
  entry: string;
}

/** `fedeval member keygen`: a committee member's ed25519 key; the private half stays here (0600). */
export async function generateMemberKey(req: MemberKeyRequest): Promise<MemberKeyReport> {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(req.login))
    throw new UsageError(`--login "${req.login}" is not a GitHub login`);
  const { key, file } = await generateSiteKey(workspace(req.env, req.cwd).memberKeys(req.login), {
    id: req.id,
    now: req.now(),
  });
  const entry = `  - login: ${req.login}\n    keys:\n${siteKeyYaml(key)
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n")}`;
  return { id: key.id, file, entry };
}
