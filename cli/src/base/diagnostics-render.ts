/** The three renderings of diagnostics: terminal, GitHub annotations, JSON. */
import { styleText } from "node:util";
import type { Diagnostic } from "./diagnostics.ts";
import { printable, printableJson } from "./printable.ts";

/** One line per diagnostic, whatever its file name or message holds (see printable.ts). */
export function formatDiagnostic(d: Diagnostic, color = false): string {
  const where = `${printable(d.file)}:${d.line}:${d.col}`;
  const sev = color ? styleText(d.severity === "error" ? "red" : "yellow", d.severity) : d.severity;
  return `${color ? styleText("bold", where) : where}: ${sev} ${d.rule} ${printable(d.message)} [${d.name}]`;
}

export function renderText(diagnostics: Diagnostic[], color = false): string {
  return diagnostics.map((d) => `${formatDiagnostic(d, color)}\n`).join("");
}

/** GitHub workflow command escaping (as @actions/core does), after the other unprintable characters are made visible. */
function escapeData(s: string): string {
  return printable(s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A"));
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** `::error file=…,line=…,col=…::message` lines, one per diagnostic. `prefix` maps root-relative paths to repo-relative ones. */
export function renderAnnotations(diagnostics: Diagnostic[], prefix = ""): string {
  return diagnostics
    .map((d) => {
      const props = [`file=${escapeProperty(prefix + d.file)}`, `line=${d.line}`, `col=${d.col}`];
      if (d.endLine) props.push(`endLine=${d.endLine}`);
      if (d.endCol) props.push(`endColumn=${d.endCol}`);
      props.push(`title=${escapeProperty(`${d.rule} ${d.name}`)}`);
      return `::${d.severity} ${props.join(",")}::${escapeData(d.message)}\n`;
    })
    .join("");
}

export interface JsonReport {
  valid: boolean;
  errors: number;
  warnings: number;
  files: number;
  diagnostics: Diagnostic[];
}

export function renderJson(report: JsonReport): string {
  const { valid, errors, warnings, files, diagnostics } = report;
  return `${printableJson(JSON.stringify({ valid, errors, warnings, files, diagnostics }, null, 2))}\n`;
}
