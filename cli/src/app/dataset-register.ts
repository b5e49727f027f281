/**
 * `fedeval dataset register`: proposes the dataset association that `fedeval dataset prepare`
 * wrote into the site workspace (`$FEDEVAL_HOME/sites/S/datasets/B/ID/dataset.yaml`), once its
 * reference test passed (it then carries `reference_result`), as a pull request, with
 * `status: proposed`, or `status: approved` when the benchmark's `policy.auto_approve` approves
 * the site's datasets (by site id or by the requester's login; a team in the allowlist is left to
 * the committee). For a dataset the base has approved (re-prepared, a new hash), the proposal is
 * an update beside the approved version (`update:`), which stays approved until committee members
 * approve the update. Always on a fresh branch from the base.
 */

import { join } from "node:path";
import { UserError } from "../base/errors.ts";
import { gitHistory } from "../base/git-history.ts";
import { printable } from "../base/printable.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";
import { workspace } from "../base/workspace.ts";
import { pairs, renderPullRequestBody } from "../forge/pr-body.ts";
import type { Connection } from "../forge/proposal.ts";
import { checkValue } from "../formats/schema-registry.ts";
import { parseYaml, readSourceFile } from "../formats/yaml-source.ts";
import { editYaml } from "../formats/yaml-write.ts";
import { approvesWithoutReview } from "../governance/auto-approval.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths, requireSlugFlags } from "../governance/layout.ts";
import type { Benchmark, Dataset } from "../governance/types.ts";
import { type ChangeReport, type ProposeChangeRequest, proposeChange } from "./propose-change.ts";

export interface DatasetRegisterRequest extends ProposeChangeRequest {
  benchmark: string;
  site: string;
  /** The dataset's id. */
  name: string;
  /** GitHub login recorded as requested_by; default: the token's user on GitHub. */
  as?: string;
}

export interface DatasetRegisterReport extends ChangeReport {
  /** The association's path in the governance repository. */
  path: string;
  /** The benchmark's `policy.auto_approve` approves the site's datasets: proposed as `status: approved`. */
  approvedByPolicy: boolean;
  /** The base branch has this dataset approved: the proposal is an update beside it (`update:`). */
  updatesApproved: boolean;
}

/** Proposes the prepared association; a missing, unreadable or invalid one is a UserError. */
export async function registerDataset(req: DatasetRegisterRequest): Promise<DatasetRegisterReport> {
  requireSlugFlags([
    ["--benchmark", req.benchmark],
    ["--site", req.site],
    ["--name", req.name],
  ]);
  const file = join(
    workspace(req.env, req.cwd).site(req.site).dataset(req.benchmark, req.name),
    "dataset.yaml",
  );
  const dataset = await preparedAssociation(req, file);
  const path = paths.dataset(req.benchmark, req.name);
  let approvedByPolicy = false;
  let updatesApproved = false;
  const change = await proposeChange(req, async (conn) => {
    const requestedBy = req.as ?? (conn.github ? await conn.github.login() : dataset.requested_by);
    if (requestedBy) dataset.requested_by = requestedBy;
    approvedByPolicy = await approvesWithoutReview(
      await baseFile<Benchmark>(conn, paths.benchmark(req.benchmark)),
      "datasets",
      req.site,
      (allowlist) => !!requestedBy && allowlist.includes(requestedBy),
    );
    if (approvedByPolicy) dataset.status = "approved";
    const problems = checkValue("dataset", dataset);
    if (problems.length)
      throw new UserError(
        `${file} is not a valid dataset association:\n${problems.map((p) => `  ${printable(p)}`).join("\n")}`,
      );
    // a dataset the base has approved (and the policy does not approve anew): an update beside it
    const base = await baseFile<Dataset>(conn, path);
    updatesApproved = base?.status === "approved" && !approvedByPolicy;
    const files = new Map([
      [
        path,
        updatesApproved
          ? updateBeside(await baseText(conn, path), base as Dataset, dataset)
          : governanceFileText("dataset", dataset),
      ],
    ]);
    return {
      branch: `fedeval/${req.site}/dataset-${req.benchmark}-${req.name}`,
      fresh: true,
      files,
      message: `Register dataset ${req.name} of ${req.site} for ${req.benchmark}\n\nProposed with fedeval ${FEDEVAL_VERSION}.`,
      pullRequest: async () => ({
        title: `Register dataset ${req.name} (${req.site}) for ${req.benchmark}`,
        body: renderPullRequestBody("dataset", {
          site: req.site,
          benchmark: req.benchmark,
          dataset: req.name,
          tool: FEDEVAL_VERSION,
          path,
          update: updatesApproved,
          preparedWith: dataset.prepared_with,
          hash: dataset.hash,
          medperfUid: dataset.medperf_uid,
          preparedAt: dataset.prepared_at,
          statistics: pairs(dataset.statistics),
          referenceResult: dataset.reference_result ? pairs(dataset.reference_result) : undefined,
          files: [...files.keys()],
        }),
        labels: ["fedeval", "dataset", `site:${req.site}`],
      }),
    };
  });
  return { ...change, path, approvedByPolicy, updatesApproved };
}

/** The association `fedeval dataset prepare` wrote, as `status: proposed` and without approvers. */
async function preparedAssociation(req: DatasetRegisterRequest, file: string): Promise<Dataset> {
  const read = await readSourceFile(file, file).catch(() => undefined);
  if (!read)
    throw new UserError(
      `no prepared dataset at ${file}; prepare it first with \`fedeval dataset prepare --benchmark ${req.benchmark} --site ${req.site} --name ${req.name}\``,
    );
  const parsed = read.text === undefined ? undefined : parseYaml(read.text, file);
  if (!parsed?.source)
    throw new UserError(
      `${file} is not readable YAML: ${[...read.diagnostics, ...(parsed?.diagnostics ?? [])].map((d) => d.message).join("; ")}`,
    );
  const dataset: Dataset = { ...(parsed.source.data as Dataset), status: "proposed" };
  delete dataset.approvals;
  delete dataset.update;
  if (dataset.id !== req.name || dataset.site !== req.site) {
    throw new UserError(
      `${file} describes dataset "${dataset.id}" of site "${dataset.site}", not ${req.name} of ${req.site}`,
    );
  }
  if (!dataset.reference_result) {
    throw new UserError(
      `dataset ${req.name} has not passed its reference test (the benchmark's reference model on it), so the committee could not see that it works: run \`fedeval dataset test --benchmark ${req.benchmark} --site ${req.site} --name ${req.name}\` first`,
    );
  }
  return dataset;
}

/** A file's text on the remote's base branch (the clone has no work tree yet). */
function baseText(conn: Connection, file: string): Promise<string | undefined> {
  return gitHistory(conn.clone.dir).readAt(`origin/${conn.clone.base}`, file);
}

/** A governance file as the remote's base branch has it, parsed. */
async function baseFile<T>(conn: Connection, file: string): Promise<T | undefined> {
  const text = await baseText(conn, file);
  return (text === undefined ? undefined : parseYaml(text, file).source?.data) as T | undefined;
}

/** What the site prepared anew, as an update beside the approved association (the base's text, kept as it is). */
const UPDATED_FIELDS = [
  "prepared_with",
  "hash",
  "medperf_uid",
  "statistics",
  "reference_result",
  "prepared_at",
] as const;

function updateBeside(text: string | undefined, approved: Dataset, prepared: Dataset): string {
  const update: Record<string, unknown> = {};
  for (const k of UPDATED_FIELDS) if (prepared[k] !== undefined) update[k] = prepared[k];
  const same = UPDATED_FIELDS.every((k) => JSON.stringify(prepared[k]) === JSON.stringify(approved[k]));
  if (same || text === undefined) return text ?? governanceFileText("dataset", prepared);
  if (prepared.requested_by) update.requested_by = prepared.requested_by;
  return editYaml(text, [[["update"], update]]);
}
