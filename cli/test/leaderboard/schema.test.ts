/** Properties of schemas/leaderboard.schema.json itself: every subschema is described, objects are closed. */
import assert from "node:assert/strict";
import { test } from "node:test";
import schema from "../../../schemas/leaderboard.schema.json" with { type: "json" };

type Schema = Record<string, unknown>;

/** Every subschema with its JSON pointer, root first. */
function walk(s: Schema, at = "/"): [string, Schema][] {
  const out: [string, Schema][] = [[at, s]];
  const visit = (child: unknown, path: string) => {
    if (child && typeof child === "object" && !Array.isArray(child)) out.push(...walk(child as Schema, path));
  };
  for (const key of ["properties", "$defs"]) {
    for (const [name, child] of Object.entries((s[key] as Schema | undefined) ?? {}))
      visit(child, `${at}${key}/${name}/`);
  }
  for (const key of ["items", "propertyNames"]) visit(s[key], `${at}${key}/`);
  if (typeof s.additionalProperties === "object") visit(s.additionalProperties, `${at}additionalProperties/`);
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    for (const [i, child] of ((s[key] as unknown[] | undefined) ?? []).entries())
      visit(child, `${at}${key}/${i}/`);
  }
  return out;
}

const nodes = walk(schema as Schema);

test("the walker reaches the whole tree (so the checks below are not vacuous)", () => {
  assert.ok(nodes.length > 200, `${nodes.length} subschemas`);
  assert.ok(nodes.some(([p]) => p.includes("/$defs/metric/properties/pooled/anyOf/0/properties/tau2/")));
});

test("every subschema has a description", () => {
  const missing = nodes
    .filter(([, s]) => typeof s.description !== "string" || s.description.trim() === "")
    .map(([p]) => p);
  assert.deepEqual(missing, []);
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
