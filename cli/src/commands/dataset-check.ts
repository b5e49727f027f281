/**
 * `fedeval dataset check --benchmark B --site S --name ID [--root GOV]`: re-hashes a prepared
 * dataset and compares it with the hash recorded when it was prepared and, with `--root`, with
 * the hash registered in the governance repository.
 */

import { checkPreparedDataset, type DatasetCheckRequest } from "../app/dataset-check.ts";
import type { CommandIO } from "./io.ts";

/** The request, less the logger: the command passes its own. */
export interface DatasetCheckOptions extends Omit<DatasetCheckRequest, "logger"> {}

const SHOWN = 20;

/** Exit 0: unchanged. Exit 1: the data differs from its preparation or its registration. */
export async function datasetCheckCommand(opts: DatasetCheckOptions, io: CommandIO): Promise<number> {
  const check = await checkPreparedDataset({ ...opts, logger: io.logger });
  const lines = [`dataset ${opts.name} (${check.dir})`, `  now       ${check.actual.hash}`];
  const same = check.actual.hash === check.expected;
  lines.push(`  prepared  ${check.expected}  ${same ? "same" : "DIFFERENT"}`);
  if (check.registered !== undefined) {
    lines.push(
      `  registered ${check.registered}  ${check.registered === check.actual.hash ? "same" : "DIFFERENT"}`,
    );
  }
  if (!same) {
    const { added, removed, resized, modified } = check.changes;
    const list = (what: string, files: string[]) => {
      if (!files.length) return;
      lines.push(
        `  ${what} since preparation (${files.length}):`,
        ...files.slice(0, SHOWN).map((f) => `    ${f}`),
      );
      if (files.length > SHOWN) lines.push(`    ... and ${files.length - SHOWN} more`);
    };
    list("added", added);
    list("removed", removed);
    list("size changed", resized);
    list("modified", modified);
    if (!added.length && !removed.length && !resized.length && !modified.length) {
      lines.push(
        "  every file has its name, size and modification time of preparation: contents were changed or swapped in place",
      );
    }
  }
  lines.push(
    check.ok
      ? "ok: the data is what was prepared"
      : "the data is not what was prepared or registered: results on it would not match its registration; prepare it again",
  );
  io.stdout(`${lines.join("\n")}\n`);
  return check.ok ? 0 : 1;
}
