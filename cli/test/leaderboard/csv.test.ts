import assert from "node:assert/strict";
import { test } from "node:test";
import { tableCsv, toCsv } from "../../src/leaderboard/csv.ts";

test("CSV quotes commas, quotes and line breaks (RFC 4180), CRLF rows", () => {
  assert.equal(
    toCsv(
      ["a", "b"],
      [
        ["x,y", 'say "hi"'],
        ["line\nbreak", 1.5],
      ],
    ),
    'a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",1.5\r\n',
  );
});

test("null, undefined and non-finite numbers are empty; booleans are words", () => {
  assert.equal(toCsv(["a", "b", "c", "d"], [[null, undefined, Number.NaN, true]]), "a,b,c,d\r\n,,,true\r\n");
});

test("text a spreadsheet would run as a formula is defused; negative numbers are not", () => {
  assert.equal(
    toCsv(["t"], [['=HYPERLINK("x")'], ["+1"], ["@sum"], ["-2"], [-2]]),
    't\r\n"\'=HYPERLINK(""x"")"\r\n\'+1\r\n\'@sum\r\n\'-2\r\n-2\r\n',
  );
});

test("a table of columns is a header line of their headers, then a field per column in every row", () => {
  const columns = [
    { header: "id", get: (r: { id: string; n?: number }) => r.id },
    { header: "n", get: (r: { id: string; n?: number }) => r.n },
  ];
  assert.equal(tableCsv(columns, [{ id: "a", n: 2 }, { id: "=b" }]), "id,n\r\na,2\r\n'=b,\r\n");
  assert.equal(tableCsv(columns, []), "id,n\r\n");
});
