/**
 * Every fixture under cli/test/fixtures/schemas/valid/<kind>/ passes its schema; every fixture under
 * invalid/<kind>/ fails with an error at the path its `# expect-path:` header names (a JSON pointer,
 * as ajv reports it) and a diagnostic whose message contains its `# expect-message:` header.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { checkValue, type SchemaKind, validateSchema } from "../../src/formats/schema-registry.ts";
import { parseYaml } from "../../src/formats/yaml-source.ts";

const KINDS = ["site", "benchmark", "model", "dataset", "result"] as const satisfies readonly SchemaKind[];
const root = new URL("../fixtures/schemas/", import.meta.url);

function fixtures(group: "valid" | "invalid", kind: SchemaKind): { name: string; text: string }[] {
  const dir = new URL(`${group}/${kind}/`, root);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((name) => ({ name, text: readFileSync(new URL(name, dir), "utf8") }));
}

function load(text: string, name: string) {
  const { source, diagnostics } = parseYaml(text, name);
  assert.deepEqual(diagnostics, [], `${name} is not even valid YAML`);
  assert.ok(source);
  return source;
}

function header(text: string, key: string): string {
  const m = new RegExp(`^# ${key}: (.*)$`, "m").exec(text);
  assert.ok(m?.[1], `fixture lacks a "# ${key}:" header`);
  return m[1];
}

for (const kind of KINDS) {
  describe(`${kind} schema`, () => {
    const valid = fixtures("valid", kind);
    const invalid = fixtures("invalid", kind);

    it("has valid and invalid fixtures", () => {
      assert.ok(valid.length >= 2, `valid/${kind} has ${valid.length} fixtures`);
      assert.ok(invalid.length >= 5, `invalid/${kind} has ${invalid.length} fixtures`);
    });

    for (const f of valid) {
      it(`accepts valid/${kind}/${f.name}`, () => {
        const source = load(f.text, f.name);
        assert.deepEqual(validateSchema(kind, source), []);
        assert.deepEqual(checkValue(kind, source.data), []);
      });
    }

    for (const f of invalid) {
      it(`rejects invalid/${kind}/${f.name}`, () => {
        const path = header(f.text, "expect-path");
        const message = header(f.text, "expect-message");
        const source = load(f.text, f.name);
        const errors = checkValue(kind, source.data);
        assert.ok(
          errors.some((e) => e.startsWith(`${path}: `)),
          `no error at ${path}; got:\n${errors.join("\n")}`,
        );
        const diagnostics = validateSchema(kind, source);
        assert.ok(
          diagnostics.some((d) => d.message.includes(message)),
          `no diagnostic says "${message}"; got:\n${diagnostics.map((d) => d.message).join("\n")}`,
        );
        for (const d of diagnostics) assert.equal(d.rule, "FE100");
      });
    }
  });
}

describe("schema diagnostics", () => {
  it("point at the offending YAML node, not the file top", () => {
    const f = fixtures("invalid", "result").find((x) => x.name === "free-text-reason.yaml");
    assert.ok(f);
    const [d, ...rest] = validateSchema("result", load(f.text, f.name));
    assert.equal(rest.length, 0);
    const line = f.text.split("\n").findIndex((l) => l.includes('reason: "patient')) + 1;
    assert.equal(d?.line, line);
    assert.equal(d?.col, (f.text.split("\n")[line - 1] ?? "").indexOf('"patient') + 1);
  });

  it("report an unknown field at its key", () => {
    const f = fixtures("invalid", "model").find((x) => x.name === "owners-plural.yaml");
    assert.ok(f);
    const diagnostics = validateSchema("model", load(f.text, f.name));
    assert.equal(diagnostics.length, 1);
    const line = f.text.split("\n").findIndex((l) => l.startsWith("owners:")) + 1;
    assert.deepEqual([diagnostics[0]?.line, diagnostics[0]?.col], [line, 1]);
  });
});
