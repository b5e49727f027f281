/**
 * Properties of the schemas themselves: a description on every subschema of every file in
 * schemas/; for the governance schemas also identity, closed objects, anchored patterns, no free
 * text in results, and valid `examples`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { checkValue, SCHEMAS, type SchemaKind } from "../../src/formats/schema-registry.ts";
import { type Schema, walkSchema } from "../helpers/schema-walk.ts";

const KINDS = ["site", "benchmark", "model", "dataset", "result"] as const satisfies readonly SchemaKind[];

function types(s: Schema): string[] {
  return s.type === undefined ? [] : Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
}

for (const kind of KINDS) {
  const schema = SCHEMAS[kind] as Schema;
  const nodes = walkSchema(schema);

  describe(`${kind}.schema.json`, () => {
    it("is a 2020-12 schema with its $id, a title and the schema tag", () => {
      assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
      assert.equal(schema.$id, `https://fedeval.dev/schemas/${kind}.schema.json`);
      assert.equal(typeof schema.title, "string");
      assert.ok((schema.title as string).length > 0);
      const props = schema.properties as Record<string, Schema>;
      assert.equal(props.schema?.const, `fedeval/${kind}@1`);
      assert.ok((schema.required as string[]).includes("schema"));
    });

    it("has a walkable tree with $defs reached", () => {
      // Guards the walker itself: if it missed a keyword, the checks below would pass vacuously.
      assert.ok(nodes.length > 20, `only ${nodes.length} subschemas found`);
      assert.ok(nodes.some(([p]) => p.startsWith("/$defs/")));
    });

    it("closes every object: unknown fields are errors", () => {
      const open = nodes
        .filter(([, s]) => typeof s !== "boolean" && types(s).includes("object"))
        .filter(([, s]) => {
          const o = s as Schema;
          return (
            o.additionalProperties === undefined ||
            (o.properties !== undefined && o.additionalProperties !== false)
          );
        })
        .map(([p]) => p);
      assert.deepEqual(open, []);
    });

    it("anchors every pattern at both ends", () => {
      const loose = nodes
        .filter(([, s]) => typeof s !== "boolean" && typeof s.pattern === "string")
        .filter(([, s]) => !/^\^.*\$$/s.test((s as Schema).pattern as string))
        .map(([p]) => p);
      assert.deepEqual(loose, []);
    });

    it("uses every $def and refers only to its own $defs", () => {
      const refs = new Set(
        nodes.flatMap(([, s]) => (typeof s !== "boolean" && typeof s.$ref === "string" ? [s.$ref] : [])),
      );
      for (const ref of refs) assert.match(ref, /^#\/\$defs\/[A-Za-z0-9]+$/);
      const defs = Object.keys((schema.$defs as Schema | undefined) ?? {});
      assert.deepEqual(
        defs.filter((d) => !refs.has(`#/$defs/${d}`)),
        [],
      );
      assert.deepEqual(
        [...refs].filter((r) => !defs.includes(r.slice("#/$defs/".length))),
        [],
      );
    });

    it("has examples that validate", () => {
      const examples = schema.examples as unknown[];
      assert.ok(Array.isArray(examples) && examples.length >= 1);
      for (const e of examples) assert.deepEqual(checkValue(kind, e), []);
    });
  });
}

const schemaDir = fileURLToPath(new URL("../../../schemas/", import.meta.url));

describe("every schema file in schemas/", () => {
  const files = readdirSync(schemaDir).filter((f) => f.endsWith(".schema.json"));
  it("is there: the governance files, the leaderboard, the site policy, the container definitions", () => {
    assert.ok(files.length >= 9, files.join(", "));
  });
  for (const file of files) {
    it(`${file} has a description on every subschema, at every depth`, () => {
      const nodes = walkSchema(JSON.parse(readFileSync(join(schemaDir, file), "utf8")));
      assert.ok(nodes.length > 10, `only ${nodes.length} subschemas found`);
      const missing = nodes
        .filter(
          ([, s]) =>
            typeof s === "boolean" || typeof s.description !== "string" || s.description.trim() === "",
        )
        .map(([p]) => p);
      assert.deepEqual(missing, []);
    });
  }
});

describe("result.schema.json", () => {
  it("has no free-text string: every string is an enum, a const, a pattern or a date-time", () => {
    const free = walkSchema(SCHEMAS.result as Schema)
      .filter(([, s]) => typeof s !== "boolean" && types(s).includes("string"))
      .filter(([, s]) => {
        const o = s as Schema;
        return !(
          o.enum ||
          o.const !== undefined ||
          typeof o.pattern === "string" ||
          o.format === "date-time"
        );
      })
      .map(([p]) => p);
    assert.deepEqual(free, []);
  });

  it("refuses a string property anywhere in a metric value", () => {
    const base = (SCHEMAS.result as Schema).examples as Record<string, unknown>[];
    const doc = structuredClone(base[0]) as { metrics: Record<string, Record<string, unknown>> };
    for (const field of ["value", "se", "n", "reason", "ci", "counts", "histogram", "comment"]) {
      const bad = structuredClone(doc);
      bad.metrics.ece = { value: 0.04, [field]: "J. Doe, 1961-03-02" };
      assert.notDeepEqual(checkValue("result", bad), [], `a string in ${field} was accepted`);
    }
  });
});
