/**
 * `fedeval model propose --benchmark B --container FILE --id ID [--image REF] [--owner LOGIN]`:
 * proposes a model association (`status: proposed`) and its container definition, copied
 * unchanged into `benchmarks/B/containers/ID.yaml`, as a pull request (app/model-propose.ts).
 */
import { type ModelProposeRequest, proposeModel } from "../app/model-propose.ts";
import { describeProposal } from "../app/propose-change.ts";
import type { CommandIO } from "./io.ts";

/** The request, less the logger: the command passes its own. */
export interface ModelProposeOptions extends Omit<ModelProposeRequest, "logger"> {}

export async function modelProposeCommand(opts: ModelProposeOptions, io: CommandIO): Promise<number> {
  const report = await proposeModel({ ...opts, logger: io.logger });
  if (!report.outcome) {
    io.stdout(`${report.path} in ${report.base} already says exactly this; nothing to propose\n`);
    return 0;
  }
  if (report.updatesApproved)
    io.stdout(
      `${opts.id} is approved on ${report.base}: this proposes an update beside the approved version (update: in ${report.path}); sites keep running the approved version until committee members approve the update\n`,
    );
  io.stdout(describeProposal(report.outcome, report.files, opts.dryRun));
  return 0;
}
