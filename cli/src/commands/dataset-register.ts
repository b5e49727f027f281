/**
 * `fedeval dataset register --benchmark B --site S --name ID`: proposes the dataset association
 * that `fedeval dataset prepare` wrote into the site workspace
 * (`$FEDEVAL_HOME/sites/S/datasets/B/ID/dataset.yaml`) as a pull request, with `status: proposed`,
 * or `status: approved` when the benchmark's `policy.auto_approve` approves the site's datasets
 * (by site id or by the requester's login; a team in the allowlist is left to the committee).
 */
import { join } from "node:path";
import { checkProposal } from "../app/check-proposal.ts";
import { UserError } from "../base/errors.ts";
import { gitHistory } from "../base/git-history.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";
import { workspace } from "../base/workspace.ts";
import { pairs, renderPullRequestBody } from "../forge/pr-body.ts";
import {
  connect,
  describeProposal,
  type ForgeRuntime,
  type ForgeSettings,
  propose,
  refusal,
} from "../forge/proposal.ts";
import { checkValue } from "../formats/schema-registry.ts";
import { parseYaml, readSourceFile } from "../formats/yaml-source.ts";
import { approvesWithoutReview } from "../governance/auto-approval.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths, requireSlugFlags } from "../governance/layout.ts";
import type { Benchmark, Dataset } from "../governance/types.ts";
import type { CommandIO } from "./io.ts";

export interface DatasetRegisterOptions extends ForgeSettings {
  benchmark: string;
  site: string;
  name: string;
  /** GitHub login recorded as requested_by; default: the token's user on GitHub. */
  as?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  githubTiming?: ForgeRuntime["githubTiming"];
}

export async function datasetRegisterCommand(opts: DatasetRegisterOptions, io: CommandIO): Promise<number> {
  requireSlugFlags([
    ["--benchmark", opts.benchmark],
    ["--site", opts.site],
    ["--name", opts.name],
  ]);
  const ws = workspace(opts.env, opts.cwd);
  const file = join(ws.site(opts.site).dataset(opts.benchmark, opts.name), "dataset.yaml");
  const read = await readSourceFile(file, file).catch(() => undefined);
  if (!read)
    throw new UserError(
      `no prepared dataset at ${file}; prepare it first with \`fedeval dataset prepare --benchmark ${opts.benchmark} --site ${opts.site} --name ${opts.name}\``,
    );
  const parsed = read.text === undefined ? undefined : parseYaml(read.text, file);
  if (!parsed?.source)
    throw new UserError(
      `${file} is not readable YAML: ${[...read.diagnostics, ...(parsed?.diagnostics ?? [])].map((d) => d.message).join("; ")}`,
    );
  const dataset: Dataset = { ...(parsed.source.data as Dataset), status: "proposed" };
  delete dataset.approved_by;
  if (dataset.id !== opts.name || dataset.site !== opts.site) {
    throw new UserError(
      `${file} describes dataset "${dataset.id}" of site "${dataset.site}", not ${opts.name} of ${opts.site}`,
    );
  }

  const conn = await connect(opts, {
    env: opts.env,
    workspace: ws,
    logger: io.logger,
    githubTiming: opts.githubTiming,
  });
  try {
    const requestedBy = opts.as ?? (conn.github ? await conn.github.login() : dataset.requested_by);
    if (requestedBy) dataset.requested_by = requestedBy;
    // the policy as the base branch has it (the clone has no work tree yet)
    const benchmarkFile = paths.benchmark(opts.benchmark);
    const text = await gitHistory(conn.clone.dir).readAt(`origin/${conn.clone.base}`, benchmarkFile);
    const benchmark = text === undefined ? undefined : parseYaml(text, benchmarkFile).source?.data;
    const approvesItself = await approvesWithoutReview(
      benchmark as Benchmark | undefined,
      "datasets",
      opts.site,
      (allowlist) => !!requestedBy && allowlist.includes(requestedBy),
    );
    if (approvesItself) dataset.status = "approved";
    const problems = checkValue("dataset", dataset);
    if (problems.length)
      throw new UserError(
        `${file} is not a valid dataset association:\n${problems.map((p) => `  ${p}`).join("\n")}`,
      );
    const path = paths.dataset(opts.benchmark, opts.name);
    const files = new Map([[path, governanceFileText("dataset", dataset)]]);
    const check = await checkProposal(conn.clone, files);
    if (check.errors.size) throw new UserError(refusal(check.errors));
    if (!check.differs.size) {
      io.stdout(`${path} in ${conn.clone.base} already says exactly this; nothing to register\n`);
      return 0;
    }
    const outcome = await propose(conn, {
      branch: `fedeval/${opts.site}/dataset-${opts.benchmark}-${opts.name}`,
      files,
      message: `Register dataset ${opts.name} of ${opts.site} for ${opts.benchmark}\n\nProposed with fedeval ${FEDEVAL_VERSION}.`,
      pullRequest: async () => ({
        title: `Register dataset ${opts.name} (${opts.site}) for ${opts.benchmark}`,
        body: renderPullRequestBody("dataset", {
          site: opts.site,
          benchmark: opts.benchmark,
          dataset: opts.name,
          tool: FEDEVAL_VERSION,
          preparedWith: dataset.prepared_with,
          hash: dataset.hash,
          medperfUid: dataset.medperf_uid,
          preparedAt: dataset.prepared_at,
          statistics: pairs(dataset.statistics),
          referenceResult: dataset.reference_result ? pairs(dataset.reference_result) : undefined,
          files: [...files.keys()],
        }),
        labels: ["fedeval", "dataset", `site:${opts.site}`],
      }),
    });
    if (approvesItself)
      io.stdout(
        `status: approved: benchmark ${opts.benchmark} approves datasets of ${opts.site} without a committee review (policy.auto_approve)\n`,
      );
    io.stdout(describeProposal(outcome, files, opts.dryRun));
    return 0;
  } finally {
    await conn.close();
  }
}
