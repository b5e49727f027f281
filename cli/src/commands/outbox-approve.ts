/**
 * `fedeval outbox approve [ID...] [--site S] [--yes] [--as LOGIN] [--policy]`: the data owner's
 * approval. Each result is shown exactly as it will be committed, with the SHA-256 of the bytes
 * the signature covers; on approval it is signed with the site's key (pending → approved).
 *
 * With `--policy`, the site's policy file decides instead of a person (unattended runners), and
 * only entries it allows are approved; the others stay pending, with the reasons printed.
 */
import {
  type ApprovalDecision,
  type ApprovalReview,
  approveOutbox,
  type ReviewAnswer,
} from "../app/outbox-approval.ts";
import { UserError } from "../base/errors.ts";
import type { CommandIO } from "./io.ts";

export interface OutboxApproveOptions {
  ids: string[];
  site?: string;
  /** Governance repository root holding sites/<site>.yaml (the site's keys and owners). */
  root: string;
  yes: boolean;
  /** The approver's GitHub login; default GITHUB_ACTOR, else gh's signed-in user. */
  as?: string;
  policy: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
  /** Whether a person can answer a prompt (stdin is a terminal). */
  stdinIsTTY: boolean;
  /** Asks yes/no; default: an @inquirer/prompts confirm on the terminal. */
  confirm?: (message: string) => Promise<boolean>;
}

async function inquirerConfirm(message: string): Promise<boolean> {
  const { confirm } = await import("@inquirer/prompts");
  return confirm({ message, default: false });
}

export async function outboxApproveCommand(opts: OutboxApproveOptions, io: CommandIO): Promise<number> {
  if (opts.policy && (opts.yes || opts.as))
    throw new UserError(
      "--policy approves on the policy's authority; it does not combine with --yes or --as",
    );
  const confirm = opts.confirm ?? inquirerConfirm;
  /** Shows the entry, then approves with --yes, else asks the person at the terminal. */
  const review = async ({ by, screen }: ApprovalReview): Promise<ReviewAnswer> => {
    io.stdout(screen);
    if (opts.yes) return "approve";
    try {
      return (await confirm(`Approve this result as ${by} and sign it for submission?`))
        ? "approve"
        : "leave";
    } catch (e) {
      if ((e as Error).name === "ExitPromptError") return "stop";
      throw e;
    }
  };
  const report = await approveOutbox({
    ...opts,
    review: opts.yes || opts.stdinIsTTY ? review : undefined,
    onDecision: (d) => printDecision(d, io),
  });
  const approved = report.decisions.filter((d) => d.outcome === "approved").length;
  if (report.interrupted)
    throw new UserError(`approval interrupted; ${approved} approved, the rest stay pending`, 130);
  if (!report.pending) {
    io.stderr(`nothing to approve in the outbox of site ${report.site}\n`);
    return 0;
  }
  if (opts.policy) {
    const held = report.decisions.flatMap((d) => (d.outcome === "held" ? [d] : []));
    io.stdout(held.map((d) => `held ${d.id}: ${d.reasons.join("; ")}\n`).join(""));
    io.stderr(
      `${approved} approved by the site policy, ${held.length} held for a person${held.length ? " (`fedeval outbox approve ID`)" : ""}\n`,
    );
    return 0;
  }
  io.stderr(
    `${approved} of ${report.pending} approved; submit with \`fedeval submit --site ${report.site}\`\n`,
  );
  return 0;
}

/** As each entry is decided; held entries are listed together at the end. */
function printDecision(d: ApprovalDecision, io: CommandIO): void {
  if (d.outcome === "skipped") io.stderr(`${d.id} is already ${d.state}; skipped\n`);
  else if (d.outcome === "left") io.stdout(`left ${d.id} pending\n\n`);
  else if (d.outcome === "approved")
    io.stdout(
      d.policy === "site-policy"
        ? `approved ${d.id} (site policy, key ${d.key})\n`
        : `approved ${d.id} as ${d.by} (key ${d.key})\n\n`,
    );
}
