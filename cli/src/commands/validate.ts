import { validateGovernance } from "../app/validate.ts";
import { renderAnnotations, renderJson, renderText } from "../base/diagnostics-render.ts";
import { UsageError } from "../base/errors.ts";
import type { CommandIO } from "./io.ts";

export interface ValidateCommandOptions {
  root: string;
  json?: boolean;
  format?: "text" | "json" | "github";
  changedSince?: string;
  author?: string;
}

/** Returns the exit code: 0 valid, 1 invalid (usage and I/O errors are thrown, exit 2). */
export async function validateCommand(opts: ValidateCommandOptions, io: CommandIO): Promise<number> {
  if (opts.author && !opts.changedSince)
    throw new UsageError("--author needs --changed-since (ownership is checked on a change)");
  const report = await validateGovernance({
    root: opts.root,
    changedSince: opts.changedSince,
    author: opts.author,
  });
  const format = opts.json ? "json" : (opts.format ?? "text");
  if (format === "json") {
    io.stdout(renderJson(report));
  } else if (format === "github") {
    io.stdout(renderAnnotations(report.diagnostics));
  } else {
    io.stdout(renderText(report.diagnostics, io.isTTY && !process.env.NO_COLOR));
    const scope = report.changes
      ? `${report.changes.length} changed of ${report.files} files`
      : `${report.files} files`;
    const summary = report.valid
      ? `valid: ${scope}${report.warnings ? `, ${report.warnings} warning${report.warnings > 1 ? "s" : ""}` : ""}\n`
      : `invalid: ${report.errors} error${report.errors > 1 ? "s" : ""}${report.warnings ? `, ${report.warnings} warning${report.warnings > 1 ? "s" : ""}` : ""} in ${scope}\n`;
    io.stderr(summary);
  }
  return report.valid ? 0 : 1;
}
