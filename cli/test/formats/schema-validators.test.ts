/**
 * The validators the bundles carry, precompiled by standaloneValidatorsModule(), bundled here the
 * way scripts/build.mjs bundles them, accept and reject exactly what the validators compiled at
 * runtime do, with the same errors (including `parentSchema` and `data`, which the diagnostics
 * read). Values: each schema's examples, each example broken in several ways, and the fixtures.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv";
import { build } from "esbuild";
import { parse } from "yaml";
import { standaloneValidatorsModule, validator } from "../../src/formats/schema-validators.ts";
import { SCHEMAS, type SchemaKind } from "../../src/formats/schemas.ts";

async function precompiled(): Promise<(kind: SchemaKind) => ValidateFunction> {
  const { outputFiles } = await build({
    stdin: {
      contents: standaloneValidatorsModule(),
      sourcefile: "schema-validators.mjs",
      resolveDir: fileURLToPath(new URL("../../src/formats/", import.meta.url)),
      loader: "js",
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    logLevel: "silent",
  });
  const text = outputFiles[0]?.text ?? "";
  assert.doesNotMatch(text, /node_modules\/ajv\/dist\/compile\//, "the ajv compiler is not bundled");
  const module = await import(`data:text/javascript,${encodeURIComponent(text)}`);
  return module.validator;
}

/** Each example, and each broken: an unknown field, each field removed, each field of the wrong type. */
function values(kind: SchemaKind): [string, unknown][] {
  const examples = ((SCHEMAS[kind] as { examples?: unknown[] }).examples ?? []) as Record<string, unknown>[];
  assert.ok(examples.length > 0, `${kind} schema has examples`);
  const out: [string, unknown][] = [
    ["an array", []],
    ["a string", "x"],
  ];
  for (const [i, example] of examples.entries()) {
    out.push([`example ${i}`, example], [`example ${i} with an unknown field`, { ...example, zzz: 1 }]);
    for (const [key, value] of Object.entries(example)) {
      const { [key]: _, ...without } = example;
      out.push([`example ${i} without ${key}`, without]);
      const wrong = typeof value === "string" ? 42 : typeof value === "number" ? -1.5 : "?";
      out.push([`example ${i} with ${key}: ${JSON.stringify(wrong)}`, { ...example, [key]: wrong }]);
    }
  }
  const fixtures = new URL(`../fixtures/schemas/`, import.meta.url);
  for (const group of ["valid", "invalid"]) {
    let names: string[] = [];
    try {
      names = readdirSync(new URL(`${group}/${kind}/`, fixtures)).filter((f) => f.endsWith(".yaml"));
    } catch {}
    for (const name of names) {
      out.push([
        `${group}/${name}`,
        parse(readFileSync(new URL(`${group}/${kind}/${name}`, fixtures), "utf8")),
      ]);
    }
  }
  return out;
}

describe("precompiled schema validators", async () => {
  const precompiledValidator = await precompiled();

  for (const kind of Object.keys(SCHEMAS) as SchemaKind[]) {
    it(`${kind}: same verdicts and errors as compiled at runtime`, () => {
      const runtime = validator(kind);
      const standalone = precompiledValidator(kind);
      let rejected = 0;
      for (const [what, value] of values(kind)) {
        const valid = runtime(value);
        assert.equal(standalone(value), valid, what);
        assert.deepEqual(standalone.errors, runtime.errors, what);
        if (!valid) rejected++;
      }
      assert.ok(rejected >= 3, `${kind}: ${rejected} rejected values`);
    });
  }

  it("keeps what the diagnostics read: parentSchema with x-message, and the data", () => {
    const standalone = precompiledValidator("site");
    const site = (SCHEMAS.site as { examples: Record<string, unknown>[] }).examples[0];
    assert.equal(standalone({ ...site, country: "Norway" }), false);
    const error = standalone.errors?.find((e) => e.instancePath === "/country");
    assert.ok(error);
    assert.equal(error.data, "Norway");
    assert.equal(
      (error.parentSchema as Record<string, unknown>)["x-message"],
      "must be an ISO 3166-1 alpha-2 code such as NO or DE",
    );
  });
});
