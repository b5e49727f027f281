import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getOrThrow } from "../../src/base/maps.ts";

describe("getOrThrow", () => {
  const map = new Map<string, number | undefined>([
    ["a", 1],
    ["b", undefined],
  ]);
  it("returns what the map holds, undefined included", () => {
    assert.equal(getOrThrow(map, "a", "count"), 1);
    assert.equal(getOrThrow(map, "b", "count"), undefined);
  });
  it("names what is missing", () => {
    assert.throws(() => getOrThrow(map, "c", "count"), { message: 'no count "c"' });
  });
});
