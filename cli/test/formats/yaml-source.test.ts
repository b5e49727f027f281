import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { printable, printableJson } from "../../src/base/printable.ts";
import { MAX_KEYS_PER_MAPPING, parseYaml } from "../../src/formats/yaml-source.ts";

const only = (text: string) => {
  const { source, diagnostics } = parseYaml(text, "f.yaml");
  return { data: source?.data, d: diagnostics.map((x) => `${x.line}:${x.col} ${x.rule} ${x.message}`) };
};

describe("parseYaml: hostile text", () => {
  it("reads CR-only, CRLF and mixed line ends as lines, a comment first or not", () => {
    const want = { a: 1, b: { c: "x" } };
    for (const text of [
      "a: 1\rb:\r  c: x\r",
      "# c\ra: 1\rb:\r  c: x",
      "a: 1\r\nb:\r\n  c: x\r\n",
      "a: 1\rb:\n  c: x\r\n",
    ]) {
      assert.deepEqual(only(text), { data: want, d: [] }, JSON.stringify(text));
    }
    assert.deepEqual(only("# c\ra: 1\ra: 2\r").d, ["3:1 FE004 duplicate key"]);
  });

  it("refuses control characters, line separators and bidi controls at their line and column", () => {
    assert.deepEqual(only("a: 1\nb: x\u2028y\n").d, [
      "2:5 FE009 U+2028 is a control character (line separator, escape code or bidirectional control): governance files hold none",
    ]);
    for (const c of ["\u2029", "\u202e", "\u0085", "\x1b", "\x00", "\x7f", "\u2066"]) {
      assert.match(only(`# x${c}\na: 1\n`).d[0] ?? "", /^1:4 FE009 U\+/, printable(c));
    }
    // tab, CR and LF are line ends and blanks, not control characters here
    assert.deepEqual(only("a:\t1\r\n").d, []);
  });

  it("finds a duplicate key among many in one pass, at the second one; 1 and '1' are the same key", () => {
    const keys = Array.from({ length: MAX_KEYS_PER_MAPPING - 1 }, (_, i) => `k${i}: ${i}`);
    assert.deepEqual(only([...keys, "k7: again"].join("\n")).d, [
      `${MAX_KEYS_PER_MAPPING}:1 FE004 duplicate key`,
    ]);
    assert.deepEqual(only("x:\n  1: a\n  '1': b\n").d, ["3:3 FE004 duplicate key"]);
    assert.deepEqual(only("{a: 1, b: [{c: 1, c: 2}]}").d, ["1:19 FE004 duplicate key"]);
    assert.deepEqual(only(keys.join("\n")).d, []);
  });

  it("bounds the keys of a mapping, block or flow, and refuses structured keys", () => {
    const n = MAX_KEYS_PER_MAPPING + 1;
    const block = `top:\n${Array.from({ length: n }, (_, i) => `  k${i}: 1`).join("\n")}\n`;
    assert.deepEqual(only(block).d, [
      `2:3 FE011 a mapping with ${n} keys; at most ${MAX_KEYS_PER_MAPPING} are allowed`,
    ]);
    const flow = `[{${Array.from({ length: n }, (_, i) => `k${i}: 1`).join(", ")}}]`;
    assert.match(only(flow).d[0] ?? "", /^1:2 FE011 a mapping with \d+ keys/);
    assert.deepEqual(only("? [a]\n: 1\n").d, [
      "1:3 FE003 a mapping key must be a plain value, not a mapping or a list",
    ]);
  });

  it("stops at the time budget", () => {
    const text = Array.from({ length: 1500 }, (_, i) => `k${i}: [${i}, ${i}]`).join("\n");
    let t = 0;
    // a clock that advances 1 ms a reading: the budget runs out after a few thousand tokens
    const budget = { ms: 2, now: () => t++ };
    assert.deepEqual(only(text).d, []);
    const r = parseYaml(text, "f.yaml", budget);
    assert.equal(r.source, undefined);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.rule} ${d.message}`),
      ["FE010 reading this file took longer than 0.002 s; governance files are small: split or simplify it"],
    );
  });

  it("an empty, comment-only or null document is empty", () => {
    for (const text of ["", "\n\n", "# a\r# b\r", "~\n", "---\n"]) {
      assert.deepEqual(only(text).d, ["1:1 FE002 file is empty"], JSON.stringify(text));
    }
  });
});

describe("printable", () => {
  it("writes every character that could forge or hide a line as a visible escape", () => {
    assert.equal(
      printable("a\nb\rc\td\x1b[2Ke\u2028f\u202eg\x9bh"),
      "a\\nb\\rc\\td\\u{1b}[2Ke\\u{2028}f\\u{202e}g\\u{9b}h",
    );
    assert.equal(printable("sites/north-general.yaml é ü"), "sites/north-general.yaml é ü");
  });

  it("keeps JSON valid and its value the same", () => {
    const value = { m: "a\u2028b\u202ec\x9bd\x7f" };
    const json = printableJson(JSON.stringify(value, null, 2));
    assert.equal(printable(json.replace(/\n/g, "")), json.replace(/\n/g, ""));
    assert.deepEqual(JSON.parse(json), value);
  });
});
