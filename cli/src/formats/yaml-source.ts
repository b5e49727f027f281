/**
 * Safe YAML reading with source positions.
 *
 * Governance files come from pull requests, so they are hostile until proven otherwise:
 * - YAML 1.2 core schema (`no` stays a string, no custom tags);
 * - duplicate keys are errors;
 * - alias expansion is bounded (a billion-laughs file fails fast);
 * - one document per file; empty files and non-UTF-8 bytes are errors;
 * - size limits and symlinks are checked by whoever reads the file (see `readSourceFile`).
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import {
  type Document,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from "yaml";
import { formatBytes } from "../base/bytes.ts";
import type { Diagnostic } from "../base/diagnostics.ts";

/** Files above this size are refused before they are parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Alias nodes allowed per file; MedPerf and MLCube files use none. */
export const MAX_ALIAS_COUNT = 100;

const PARSE_OPTIONS = { schema: "core", uniqueKeys: true, prettyErrors: false, strict: true } as const;

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
      const doc = parseAllDocuments(this.text, { ...PARSE_OPTIONS, lineCounter }) as Document.Parsed[];
      this.#located = { doc: doc[0] as Document.Parsed, lineCounter };
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
export function parseYaml(text: string, file: string): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const bare = { file };
  // only blank and comment lines (line by line: one pattern over the whole text backtracks exponentially)
  if (text.split(/[\n\r\u2028\u2029]/).every((line) => /^\s*(?:#|$)/.test(line))) {
    return { diagnostics: [diagnosticAt(bare, undefined, "FE002", "empty-file", "file is empty")] };
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter });
  const located = { file, lineCounter };
  if (!Array.isArray(docs)) {
    return { diagnostics: [diagnosticAt(bare, undefined, "FE002", "empty-file", "file is empty")] };
  }
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
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const dup = e.code === "DUPLICATE_KEY";
    const message = dup ? "duplicate key" : `YAML syntax error: ${firstLine(e.message)}`;
    diagnostics.push(
      diagnosticAt(
        located,
        e.pos[0],
        dup ? "FE004" : "FE003",
        dup ? "duplicate-key" : "yaml-syntax",
        message,
      ),
    );
  }
  if (diagnostics.length) return { diagnostics };
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
  if (data === null || data === undefined) {
    return { diagnostics: [diagnosticAt(bare, undefined, "FE002", "empty-file", "file is empty")] };
  }
  return { source: new YamlSource(file, text, data), diagnostics: [] };
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
