/**
 * `fedeval outbox approve [ID...] [--site S] [--yes] [--as LOGIN] [--policy]`: the data owner's
 * approval. Each result is shown exactly as it will be committed, with the SHA-256 of the bytes
 * the signature covers; on approval it is signed with the site's key (pending → approved).
 *
 * With `--policy`, the site's policy file decides instead of a person (unattended runners), and
 * only entries it allows are approved; the others stay pending, with the reasons printed.
 */
import { resolve } from "node:path";
import { UserError } from "../base/errors.ts";
import { workspace } from "../base/workspace.ts";
import { ghLogin } from "../forge/github-auth.ts";
import { loadGovernance } from "../governance/loader.ts";
import type { Result } from "../governance/types.ts";
import { approvalScreen, approveEntry, checkApprover, chooseSite } from "../results/approval.ts";
import { Outbox, type OutboxEntry } from "../results/outbox.ts";
import { signingKeyFor } from "../results/site-keys.ts";
import { policyHolds, readSitePolicy } from "../results/site-policy.ts";
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
  const ws = workspace(opts.env, opts.cwd);
  const site = await chooseSite(ws, opts.site);
  const outbox = new Outbox(ws.site(site).outbox);
  let entries: OutboxEntry[];
  if (opts.ids.length) {
    entries = [];
    for (const id of opts.ids) {
      const entry = await outbox.read(id);
      if (entry.site !== site)
        throw new UserError(`outbox entry ${id} belongs to site ${entry.site}, not ${site}`);
      if (entry.state !== "pending") io.stderr(`${id} is already ${entry.state}; skipped\n`);
      else entries.push(entry);
    }
  } else {
    entries = (await outbox.list()).filter((e) => e.site === site && e.state === "pending");
  }
  if (!entries.length) {
    io.stderr(`nothing to approve in the outbox of site ${site}\n`);
    return 0;
  }
  if (!opts.policy && !opts.yes && !opts.stdinIsTTY) {
    throw new UserError(
      "approving needs a person to confirm, and stdin is not a terminal: run it in a terminal, pass --yes after reviewing the entries (`fedeval outbox show ID`), or let the site policy decide with --policy",
    );
  }

  const root = resolve(opts.cwd, opts.root);
  const { index } = await loadGovernance(root);
  const siteFile = index.sites.get(site)?.data;
  if (!siteFile)
    throw new UserError(
      `${root} has no valid sites/${site}.yaml; run from the governance repository or pass --root`,
    );
  const signer = await signingKeyFor(siteFile, ws.site(site).keys, opts.now());

  if (opts.policy) {
    const policy = await readSitePolicy(ws.site(site).policy);
    checkApprover(policy.approver, siteFile);
    let approved = 0;
    const held: string[] = [];
    for (const entry of entries) {
      const now = opts.now();
      const why = policyHolds(policy, entry, now);
      if (why.length) {
        held.push(`held ${entry.id}: ${why.join("; ")}\n`);
        continue;
      }
      await outbox.update(approveEntry(entry, { by: policy.approver, policy: "site-policy" }, signer, now));
      io.stdout(`approved ${entry.id} (site policy, key ${signer.key.id})\n`);
      approved++;
    }
    io.stdout(held.join(""));
    io.stderr(
      `${approved} approved by the site policy, ${held.length} held for a person${held.length ? " (`fedeval outbox approve ID`)" : ""}\n`,
    );
    return 0;
  }

  const by = opts.as ?? opts.env.GITHUB_ACTOR ?? (await ghLogin(opts.env));
  if (!by)
    throw new UserError(
      `who approves? Pass --as LOGIN (your GitHub login, one of the owners of site ${site})`,
    );
  checkApprover(by, siteFile);
  const confirm = opts.confirm ?? inquirerConfirm;
  let approved = 0;
  for (const entry of entries) {
    const signed = approveEntry(entry, { by, policy: "manual" }, signer, opts.now());
    io.stdout(approvalScreen(entry, signed.result as Result));
    let ok = opts.yes;
    if (!ok) {
      try {
        ok = await confirm(`Approve this result as ${by} and sign it for submission?`);
      } catch (e) {
        if ((e as Error).name === "ExitPromptError")
          throw new UserError(`approval interrupted; ${approved} approved, the rest stay pending`, 130);
        throw e;
      }
    }
    if (ok) {
      await outbox.update(signed);
      io.stdout(`approved ${entry.id} as ${by} (key ${signer.key.id})\n\n`);
      approved++;
    } else {
      io.stdout(`left ${entry.id} pending\n\n`);
    }
  }
  io.stderr(`${approved} of ${entries.length} approved; submit with \`fedeval submit --site ${site}\`\n`);
  return 0;
}
