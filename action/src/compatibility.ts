/**
 * The compatibility test in `command: validate` (cli/src/app/compatibility.ts): each model test
 * is a group of the job log, and a model that fails gets an error annotation on its file.
 */
import * as core from "@actions/core";
import {
  type CompatibilityTestReport,
  type CompatibilityTestRequest,
  testCompatibility,
} from "../../cli/src/app/compatibility.ts";

export interface CompatibilityOptions extends Omit<CompatibilityTestRequest, "group"> {
  /** The governance root's path in the repository ("" or "gov/"), for annotations. */
  prefix: string;
}

/** Runs the test of the changed models; annotates failures. */
export async function runCompatibility({
  prefix,
  ...request
}: CompatibilityOptions): Promise<CompatibilityTestReport> {
  const report = await testCompatibility({ ...request, group: core.group });
  for (const failure of report.failures) {
    core.error(failure.message, { file: prefix + failure.file, title: "fedeval compatibility test" });
  }
  return report;
}
