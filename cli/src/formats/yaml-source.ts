/**
 * Safe YAML reading with source positions.
 *
 * Governance files come from pull requests, so they are hostile until proven otherwise:
 * - YAML 1.2 core schema (`no` stays a string, no custom tags);
 * - duplicate keys are errors, found in linear time (the yaml package's own check compares each
 *   key with every earlier one: 20,000 keys took 14 s), and a mapping holds at most
 *   `MAX_KEYS_PER_MAPPING` keys;
 * - alias expansion is bounded (a billion-laughs file fails fast);
 * - one document per file; empty files, non-UTF-8 bytes and control characters (line
 *   separators, escape codes, bidirectional overrides) are errors; lone CR line ends are lines;
 * - reading one file has a time budget, checked while it is parsed;
 * - size limits and symlinks are checked by whoever reads the file (see `readSourceFile`).
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import {
  Composer,
  type Document,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
} from "yaml";
import { formatBytes } from "../base/bytes.ts";
import type { Diagnostic } from "../base/diagnostics.ts";

/** Files above this size are refused before they are parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Alias nodes allowed per file; MedPerf and MLCube files use none. */
export const MAX_ALIAS_COUNT = 100;
/** Keys allowed in one mapping; governance files, container definitions and results need tens. */
export const MAX_KEYS_PER_MAPPING = 2000;
/** Milliseconds one file may take to parse and check for duplicate keys (a 1 MiB file takes well under one). */
export const PARSE_BUDGET_MS = 5000;

const PARSE_OPTIONS = { schema: "core", uniqueKeys: false, prettyErrors: false, strict: true } as const;

/** Characters a governance file may not hold: C0 controls but tab and line ends, DEL, C1, line separators, bidi controls. */
const FORBIDDEN_CHAR =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** How long parsing has taken: a clock (test seam) and the budget. */
export interface ParseBudget {
  ms: number;
  now: () => number;
}

const DEFAULT_BUDGET: ParseBudget = { ms: PARSE_BUDGET_MS, now: () => performance.now() };

class OverBudget extends Error {}

/**
 * Parses `text` into documents, with the clock checked every few thousand tokens; throws
 * OverBudget when the budget is spent.
 */
function composeDocuments(text: string, lineCounter: LineCounter, budget: ParseBudget): Document.Parsed[] {
  const deadline = budget.now() + budget.ms;
  function* tokens() {
    const parser = new Parser(lineCounter.addNewLine);
    lineCounter.addNewLine(0);
    let n = 0;
    for (const lexeme of new Lexer().lex(text)) {
      if (++n % 4096 === 0 && budget.now() > deadline) throw new OverBudget();
      yield* parser.next(lexeme);
    }
    yield* parser.end();
  }
  return Array.from(new Composer(PARSE_OPTIONS).compose(tokens())) as Document.Parsed[];
}

/**
 * A parsed file: its plain value, and source positions on demand. The syntax tree is dropped
 * after parsing and rebuilt only when a diagnostic needs a position: a repository of 10,000
 * files would otherwise keep 10,000 trees alive for the few that have problems.
 */
export class YamlSource {
  #located?: { doc: Document.Parsed; lineCounter: LineCounter };
  constructor(
    /** Path relative to the governance root (or as given), forward slashes. */
    readonly file: string,
    readonly text: string,
    /** The plain JavaScript value of the document. */
    readonly data: unknown,
  ) {}

  #locate(): { doc: Document.Parsed; lineCounter: LineCounter } {
    if (!this.#located) {
      const lineCounter = new LineCounter();
      const docs = composeDocuments(this.text, lineCounter, { ms: Number.POSITIVE_INFINITY, now: () => 0 });
      this.#located = { doc: docs[0] as Document.Parsed, lineCounter };
    }
    return this.#located;
  }

  get doc(): Document.Parsed {
    return this.#locate().doc;
  }

  get lineCounter(): LineCounter {
    return this.#locate().lineCounter;
  }
}

export type PathSegment = string | number;

export function diagnosticAt(
  source: Pick<YamlSource, "file" | "lineCounter"> | { file: string; lineCounter?: undefined },
  offset: number | undefined,
  rule: string,
  name: string,
  message: string,
  endOffset?: number,
): Diagnostic {
  if (offset === undefined || !source.lineCounter) {
    return { file: source.file, line: 1, col: 1, severity: "error", rule, name, message };
  }
  const start = source.lineCounter.linePos(offset);
  const d: Diagnostic = {
    file: source.file,
    line: start.line,
    col: start.col,
    severity: "error",
    rule,
    name,
    message,
  };
  if (endOffset !== undefined && endOffset > offset) {
    const end = source.lineCounter.linePos(endOffset);
    d.endLine = end.line;
    d.endCol = end.col;
  }
  return d;
}

/**
 * Parses YAML text. Returns the source, or the diagnostics that stop it from being used.
 * Never throws on bad input.
 */
export function parseYaml(
  raw: string,
  file: string,
  budget: ParseBudget = DEFAULT_BUDGET,
): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const bare = { file };
  const empty = { diagnostics: [diagnosticAt(bare, undefined, "FE002", "empty-file", "file is empty")] };
  // a lone CR ends a line (old Mac files; YAML 1.2 says so, the yaml package reads it as text)
  const text = raw.replace(/\r(?!\n)/g, "\n");
  const forbidden = FORBIDDEN_CHAR.exec(text);
  if (forbidden) {
    const lines = new LineCounter();
    lines.addNewLine(0);
    for (let i = text.indexOf("\n"); i >= 0 && i < forbidden.index; i = text.indexOf("\n", i + 1)) {
      lines.addNewLine(i + 1);
    }
    const code = (forbidden[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
    return {
      diagnostics: [
        diagnosticAt(
          { file, lineCounter: lines },
          forbidden.index,
          "FE009",
          "control-character",
          `U+${code} is a control character (line separator, escape code or bidirectional control): governance files hold none`,
        ),
      ],
    };
  }
  // only blank and comment lines (line by line: one pattern over the whole text backtracks exponentially)
  if (text.split("\n").every((line) => /^\s*(?:#|$)/.test(line))) return empty;
  const lineCounter = new LineCounter();
  const located = { file, lineCounter };
  const overBudget = {
    diagnostics: [
      diagnosticAt(
        bare,
        undefined,
        "FE010",
        "too-complex",
        `reading this file took longer than ${budget.ms / 1000} s; governance files are small: split or simplify it`,
      ),
    ],
  };
  let docs: Document.Parsed[];
  try {
    docs = composeDocuments(text, lineCounter, budget);
  } catch (e) {
    if (e instanceof OverBudget) return overBudget;
    throw e;
  }
  if (!docs.length) return empty;
  if (docs.length > 1) {
    const second = docs[1] as Document.Parsed;
    return {
      diagnostics: [
        diagnosticAt(
          located,
          second.range?.[0],
          "FE003",
          "yaml-syntax",
          "a governance file holds exactly one YAML document",
        ),
      ],
    };
  }
  const doc = docs[0] as Document.Parsed;
  const diagnostics: Diagnostic[] = doc.errors.map((e) =>
    diagnosticAt(located, e.pos[0], "FE003", "yaml-syntax", `YAML syntax error: ${firstLine(e.message)}`),
  );
  if (diagnostics.length) return { diagnostics };
  const keyProblem = checkKeys(doc, located, budget);
  if (keyProblem === "over-budget") return overBudget;
  if (keyProblem) return { diagnostics: [keyProblem] };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      return {
        diagnostics: [
          diagnosticAt(
            bare,
            undefined,
            "FE005",
            "alias-bomb",
            `too many YAML alias expansions (limit ${MAX_ALIAS_COUNT}); refusing a possible billion-laughs file`,
          ),
        ],
      };
    }
    return {
      diagnostics: [
        diagnosticAt(
          bare,
          undefined,
          "FE003",
          "yaml-syntax",
          `YAML error: ${firstLine(String((e as Error).message))}`,
        ),
      ],
    };
  }
  if (data === null || data === undefined) return empty;
  return { source: new YamlSource(file, text, data), diagnostics: [] };
}

/**
 * The first key problem of the document, in one pass over its nodes: a mapping with more than
 * MAX_KEYS_PER_MAPPING keys, a key that is not a scalar, or a key twice (as the plain value sees
 * it: `1` and `"1"` are the same key there).
 */
function checkKeys(
  doc: Document.Parsed,
  located: { file: string; lineCounter: LineCounter },
  budget: ParseBudget,
): Diagnostic | "over-budget" | undefined {
  const deadline = budget.now() + budget.ms;
  const stack: unknown[] = [doc.contents];
  let visited = 0;
  while (stack.length) {
    const node = stack.pop();
    if (++visited % 4096 === 0 && budget.now() > deadline) return "over-budget";
    if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isMap(node)) {
      if (node.items.length > MAX_KEYS_PER_MAPPING) {
        return diagnosticAt(
          located,
          node.range?.[0],
          "FE011",
          "too-many-keys",
          `a mapping with ${node.items.length} keys; at most ${MAX_KEYS_PER_MAPPING} are allowed`,
        );
      }
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        if (key !== null && !isScalar(key)) {
          return diagnosticAt(
            located,
            rangeOf(key)?.[0],
            "FE003",
            "yaml-syntax",
            "a mapping key must be a plain value, not a mapping or a list",
          );
        }
        const name = String(key === null ? "" : (key.value ?? ""));
        if (seen.has(name)) {
          return diagnosticAt(located, rangeOf(key)?.[0], "FE004", "duplicate-key", "duplicate key");
        }
        seen.add(name);
        stack.push(pair.value);
      }
    }
  }
  return undefined;
}

function firstLine(s: string): string {
  return s.split("\n")[0]?.trim() ?? s;
}

/**
 * Reads a file as UTF-8 text with the loader's guards: no symlinks, a size bound, valid UTF-8.
 * `display` is the path used in diagnostics.
 */
export async function readSourceFile(
  absPath: string,
  display: string,
  maxBytes = MAX_FILE_BYTES,
): Promise<{ text?: string; diagnostics: Diagnostic[] }> {
  const bare = { file: display };
  // One open, without following a symlink and without blocking on a FIFO; then fstat and read
  // through the same handle, so what is checked is what is read.
  let handle: FileHandle;
  try {
    handle = await open(absPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ELOOP") throw e;
    return {
      diagnostics: [
        diagnosticAt(
          bare,
          undefined,
          "FE006",
          "symlink",
          "symbolic links are not allowed in a governance repository",
        ),
      ],
    };
  }
  let bytes: Buffer;
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      return { diagnostics: [diagnosticAt(bare, undefined, "FE001", "unknown-file", "not a regular file")] };
    }
    if (st.size > maxBytes) {
      return {
        diagnostics: [
          diagnosticAt(
            bare,
            undefined,
            "FE007",
            "file-too-large",
            `file is ${formatBytes(st.size)}, above the ${formatBytes(maxBytes)} limit for governance files`,
          ),
        ],
      };
    }
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    return {
      diagnostics: [
        {
          ...diagnosticAt(
            bare,
            undefined,
            "FE008",
            "not-utf8",
            `file is not valid UTF-8 (byte ${at.byte} at line ${at.line})`,
          ),
          line: at.line,
        },
      ],
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, diagnostics: [] };
}

function firstInvalidUtf8(bytes: Uint8Array): { byte: number; line: number } {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid;
    }
  }
  let line = 1;
  for (let i = 0; i < lo; i++) if (bytes[i] === 10) line++;
  return { byte: lo, line };
}

/**
 * Finds the node at a JSON-pointer-like path in the document. With `key: true`, returns the key
 * node of the last segment (for "unknown field" errors). Falls back to the deepest existing node.
 */
export function locate(
  doc: Document.Parsed,
  path: readonly PathSegment[],
  opts: { key?: boolean } = {},
): [number, number] | undefined {
  let node: unknown = doc.contents;
  let best: [number, number] | undefined = rangeOf(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return best;
      if (last && opts.key) return rangeOf(pair.key) ?? best;
      node = pair.value;
      best = rangeOf(node) ?? rangeOf(pair.key) ?? best;
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg];
      best = rangeOf(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function rangeOf(node: unknown): [number, number] | undefined {
  if (isNode(node) && (node as Node).range) {
    const r = (node as Node).range as [number, number, number];
    return [r[0], r[1]];
  }
  return undefined;
}

/** A diagnostic pointing at the node at `path` of a parsed source. */
export function diagnosticAtPath(
  source: YamlSource,
  path: readonly PathSegment[],
  rule: string,
  name: string,
  message: string,
  opts: { key?: boolean } = {},
): Diagnostic {
  const r = locate(source.doc, path, opts);
  return diagnosticAt(source, r?.[0], rule, name, message, r?.[1]);
}
