/**
 * Text from governance files (file names, YAML keys, values quoted in messages) is hostile: a
 * newline, a carriage return, an escape sequence, a Unicode line separator or a bidirectional
 * override in it could forge or hide a line of output (`…: error FE000 all good`). Every renderer
 * passes such text through `printable`, which writes those characters as visible escapes.
 */

/**
 * C0 controls (tab included: it can fake alignment), DEL, C1 controls, the Unicode line and
 * paragraph separators, and the bidirectional embedding, override and isolate controls.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every unprintable character written as `\n`, `\r`, `\t` or `\u{…}`: always one line. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, escapeChar);
}

function escapeChar(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  if (c === "\t") return "\\t";
  return `\\u{${(c.codePointAt(0) as number).toString(16)}}`;
}

/** What JSON.stringify leaves raw in strings: DEL, C1, separators, bidi controls. */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with the characters JSON.stringify leaves raw as `\uXXXX`: still valid JSON, and the same value. */
export function printableJson(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, "0")}`);
}
