/** Properties of schemas/leaderboard.schema.json itself: objects are closed (descriptions: schemas/meta.test.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import schema from "../../../schemas/leaderboard.schema.json" with { type: "json" };
import { type Schema, walkSchema } from "../helpers/schema-walk.ts";

const nodes = walkSchema(schema).filter((n): n is [string, Schema] => typeof n[1] !== "boolean");

test("the walker reaches the whole tree (so the check below is not vacuous)", () => {
  assert.ok(nodes.length > 200, `${nodes.length} subschemas`);
  assert.ok(nodes.some(([p]) => p === "/$defs/metric/properties/pooled/anyOf/0/properties/tau2"));
});

test("every object is closed and lists all its properties as required (absent values are null)", () => {
  for (const [path, s] of nodes) {
    if (!s.properties) continue;
    assert.equal(s.additionalProperties, false, path);
    assert.deepEqual([...(s.required as string[])].sort(), Object.keys(s.properties as Schema).sort(), path);
  }
});

test("it is a 2020-12 schema with its $id and the format tag", () => {
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(schema.$id, "https://fedeval.dev/schemas/leaderboard.schema.json");
  assert.equal(schema.properties.schema.const, "fedeval/leaderboard@1");
});
