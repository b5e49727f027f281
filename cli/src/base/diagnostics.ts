/** A problem found in a governance file, located at the offending YAML node. */
export interface Diagnostic {
  /** Path relative to the governance root, with forward slashes. */
  file: string;
  /** 1-based line and column of the start of the offending node; 1:1 when the file itself is wrong. */
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
  severity: "error" | "warning";
  /** Stable rule id, e.g. `FE201`. */
  rule: string;
  /** Stable rule name, e.g. `unknown-model`. */
  name: string;
  message: string;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.file < b.file
    ? -1
    : a.file > b.file
      ? 1
      : a.line - b.line || a.col - b.col || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}
