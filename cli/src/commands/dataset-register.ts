/**
 * `fedeval dataset register --benchmark B --site S --name ID`: proposes the dataset association
 * that `fedeval dataset prepare` wrote into the site workspace as a pull request
 * (app/dataset-register.ts).
 */
import { type DatasetRegisterRequest, registerDataset } from "../app/dataset-register.ts";
import { describeProposal } from "../app/propose-change.ts";
import type { CommandIO } from "./io.ts";

/** The request, less the logger: the command passes its own. */
export interface DatasetRegisterOptions extends Omit<DatasetRegisterRequest, "logger"> {}

export async function datasetRegisterCommand(opts: DatasetRegisterOptions, io: CommandIO): Promise<number> {
  const report = await registerDataset({ ...opts, logger: io.logger });
  if (!report.outcome) {
    io.stdout(`${report.path} in ${report.base} already says exactly this; nothing to register\n`);
    return 0;
  }
  if (report.approvedByPolicy)
    io.stdout(
      `status: approved: benchmark ${opts.benchmark} approves datasets of ${opts.site} without a committee review (policy.auto_approve)\n`,
    );
  if (report.updatesApproved)
    io.stdout(
      `${opts.name} is approved on ${report.base}: this proposes an update beside the approved version (update: in ${report.path}); it stays approved until committee members approve the update\n`,
    );
  io.stdout(describeProposal(report.outcome, report.files, opts.dryRun));
  return 0;
}
