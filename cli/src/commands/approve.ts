/**
 * `fedeval approve FILE [--reject | --suspend] [--as LOGIN] [--push]` and `fedeval member keygen`:
 * a committee member's signed decision, committed onto the checked-out branch.
 */
import { approve, type Decision, generateMemberKey } from "../app/approve.ts";
import { UsageError } from "../base/errors.ts";
import type { CommandIO } from "./io.ts";

export interface ApproveOptions {
  file: string;
  root: string;
  reject: boolean;
  suspend: boolean;
  as?: string;
  commit: boolean;
  push: boolean;
  json?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: Date;
}

export async function approveCommand(opts: ApproveOptions, io: CommandIO): Promise<number> {
  if (opts.reject && opts.suspend) throw new UsageError("--reject and --suspend exclude each other");
  const decision: Decision = opts.reject ? "reject" : opts.suspend ? "suspend" : "approve";
  const report = await approve({ ...opts, decision, now: () => opts.now });
  if (opts.json) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const { subject, record } = report;
  const what = `${subject.kind} ${subject.id} of ${subject.benchmark}`;
  const lines = [
    `${record.by} signed "${record.decision}" of ${report.appliedUpdate ? "the update of " : ""}${what} with key ${record.key} over ${record.content}`,
    report.appliedUpdate
      ? `${report.count}/${report.quorum} members approved the update: it replaces the approved version (status: approved)`
      : subject.kind === "benchmark"
        ? `${report.count}/${report.quorum} members signed this benchmark definition`
        : `${report.count}/${report.quorum} members: status is ${report.status}${report.count < report.quorum ? ` (waiting for ${report.quorum - report.count} more)` : ""}`,
  ];
  if (report.commit) lines.push(`committed ${report.file} (${report.commit.slice(0, 12)})`);
  else lines.push(`wrote ${report.file}; commit it onto the pull request's branch`);
  if (report.pushed) lines.push(`pushed to ${report.pushed}`);
  else if (report.commit) lines.push("push the branch (or pass --push) so the pull request's check sees it");
  io.stdout(`${lines.join("\n")}\n`);
  return 0;
}

export interface MemberKeygenOptions {
  login: string;
  id?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: Date;
}

export async function memberKeygenCommand(opts: MemberKeygenOptions, io: CommandIO): Promise<number> {
  const key = await generateMemberKey({ ...opts, now: () => opts.now });
  io.stdout(`${key.entry}\n`);
  io.stderr(
    [
      `private key written to ${key.file} (mode 0600; it never leaves this machine: back it up like any secret)`,
      "Next: add the entry above to members: in benchmark.yaml (or the key alone to your keys: list) in a pull request that the committee members listed before it approve (`fedeval approve benchmarks/<b>/benchmark.yaml`).",
      "",
    ].join("\n"),
  );
  return 0;
}
