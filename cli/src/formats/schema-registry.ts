/**
 * Validation against the JSON Schemas of every file kind (./schemas.ts), and the mapping of ajv
 * errors to diagnostics that point at the offending YAML node.
 */
import type { ErrorObject } from "ajv";
import type { Diagnostic } from "../base/diagnostics.ts";
import { validator } from "./schema-validators.ts";
import type { SchemaKind } from "./schemas.ts";
import { diagnosticAtPath, type PathSegment, type YamlSource } from "./yaml-source.ts";

export { SCHEMAS, type SchemaKind } from "./schemas.ts";

/** Validates a parsed source against a schema kind. Returns one diagnostic per problem node. */
export function validateSchema(kind: SchemaKind, source: YamlSource): Diagnostic[] {
  const validate = validator(kind);
  if (validate(source.data)) return [];
  return schemaErrorsToDiagnostics(validate.errors ?? [], source);
}

/** Checks a plain value (not from YAML) against a schema; returns messages with JSON pointers. */
export function checkValue(kind: SchemaKind, value: unknown): string[] {
  const validate = validator(kind);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message ?? e.keyword}`);
}

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describePath(path: PathSegment[]): string {
  let s = "";
  for (const seg of path) s += typeof seg === "number" ? `[${seg}]` : s ? `.${seg}` : seg;
  return s || "document";
}

/**
 * Turns ajv errors into diagnostics. `oneOf`/`anyOf` produce an error per branch; we keep the
 * most specific ones (the deepest instance path) and drop the umbrella error when a branch error
 * explains it, so users see "auc.value must be number", not three lines of branch noise.
 */
export function schemaErrorsToDiagnostics(errors: ErrorObject[], source: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const custom = errors.filter(
    (e) => typeof (e.parentSchema as Record<string, unknown> | undefined)?.["x-message"] === "string",
  );
  const shown = custom.length ? pruneCustom(errors, custom) : pruneBranches(errors);
  for (const e of shown) {
    const path = pointerToPath(e.instancePath);
    let message: string;
    let at = path;
    let key = false;
    const xMessage = (e.parentSchema as Record<string, unknown> | undefined)?.["x-message"];
    if (typeof xMessage === "string") {
      message = `${describePath(path)}: ${xMessage}`;
    } else if (e.keyword === "additionalProperties") {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      at = [...path, extra];
      key = true;
      message = `unknown field "${extra}"${path.length ? ` in ${describePath(path)}` : ""}`;
    } else if (e.keyword === "required") {
      message = `missing required field "${(e.params as { missingProperty: string }).missingProperty}"${path.length ? ` in ${describePath(path)}` : ""}`;
    } else if (e.keyword === "enum") {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues
        .map((v) => JSON.stringify(v))
        .join(", ");
      message = `${describePath(path)} must be one of ${allowed}`;
    } else if (e.keyword === "const") {
      message = `${describePath(path)} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    } else if (e.keyword === "type") {
      message = `${describePath(path)} must be ${(e.params as { type: string }).type}, not ${typeName(e.data)}`;
    } else if (e.keyword === "pattern") {
      message = `${describePath(path)} ${JSON.stringify(e.data)} does not match ${(e.params as { pattern: string }).pattern}`;
    } else {
      message = `${describePath(path)} ${e.message ?? e.keyword}`;
    }
    const d = diagnosticAtPath(source, at, "FE100", "schema", message, { key });
    const k = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Keep custom-message errors, and other errors at paths no custom error covers. */
function pruneCustom(errors: ErrorObject[], custom: ErrorObject[]): ErrorObject[] {
  const covered = custom.map((e) => e.instancePath);
  const rest = pruneBranches(errors.filter((e) => !custom.includes(e))).filter(
    (e) => !covered.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)),
  );
  return [...dedupeByPath(custom), ...rest];
}

function dedupeByPath(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (seen.has(e.instancePath)) return false;
    seen.add(e.instancePath);
    return true;
  });
}

function pruneBranches(errors: ErrorObject[]): ErrorObject[] {
  const umbrella = new Set(["oneOf", "anyOf", "if", "then", "else", "not", "propertyNames"]);
  const specific = errors.filter((e) => !umbrella.has(e.keyword));
  // For a oneOf over object shapes, ajv reports each branch. When branches disagree on the type
  // itself, the type errors are all noise except one; keep errors at the deepest paths first.
  const result: ErrorObject[] = [];
  for (const e of specific) {
    const deeper = specific.some((o) => o !== e && o.instancePath.startsWith(`${e.instancePath}/`));
    if (e.keyword === "type" && deeper) continue;
    result.push(e);
  }
  if (result.length) return result;
  return errors.filter((e) => umbrella.has(e.keyword)).slice(0, 1);
}
