/**
 * Proposing one change to the governance repository, the common path of `fedeval dataset
 * register` and `fedeval model propose`: connect to the remote, check the files on top of its base
 * branch as the validator would (check-proposal.ts), then branch, commit, push and open the pull
 * request (forge/proposal.ts), with `.github/CODEOWNERS` updated in the same commit when the change
 * moves ownership. `fedeval submit` proposes one change per run: submit.ts.
 */
import { UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { workspace } from "../base/workspace.ts";
import {
  type Change,
  type Connection,
  connect,
  describeProposal,
  type ForgeRuntime,
  type ForgeSettings,
  type ProposalOutcome,
  propose,
  refusal,
} from "../forge/proposal.ts";
import { checkProposal, type ProposalCheck, withCodeowners } from "./check-proposal.ts";

export type { ForgeKind, ForgeSettings } from "../forge/proposal.ts";
/** What a proposal did (or, in a dry run, would do), for people. */
export { describeProposal };

export interface ProposeChangeRequest extends ForgeSettings {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
  /** Tests: see ForgeRuntime. */
  githubTiming?: ForgeRuntime["githubTiming"];
}

/** The change to propose, drafted once the remote is connected. */
export interface DraftedChange extends Change {
  /**
   * Checks of the remote's tree with the proposed files in it that come before the validator's
   * errors; throws UserError to refuse the change.
   */
  review?(check: ProposalCheck): void;
}

export interface ChangeReport {
  /** The remote's base branch. */
  base: string;
  /** The files as proposed. */
  files: ReadonlyMap<string, string | Buffer>;
  /** Absent when the base branch already has exactly these files: nothing was proposed. */
  outcome?: ProposalOutcome;
}

/**
 * Connects, drafts the change, and proposes it unless the remote's checks would refuse it
 * (UserError) or its base branch already has it. In a dry run nothing leaves the machine.
 */
export async function proposeChange(
  req: ProposeChangeRequest,
  draft: (conn: Connection) => Promise<DraftedChange>,
): Promise<ChangeReport> {
  const conn = await connect(req, {
    env: req.env,
    workspace: workspace(req.env, req.cwd),
    logger: req.logger,
    githubTiming: req.githubTiming,
  });
  try {
    const change = await draft(conn);
    const check = await checkProposal(conn.clone, change.files);
    change.review?.(check);
    if (check.errors.size) throw new UserError(refusal(check.errors));
    if (!check.differs.size) return { base: conn.clone.base, files: change.files };
    // CODEOWNERS stays true in the same commit: the check fails a change that leaves it stale (FE403)
    const files = await withCodeowners(check, change.files);
    return { base: conn.clone.base, files, outcome: await propose(conn, { ...change, files }) };
  } finally {
    await conn.close();
  }
}
