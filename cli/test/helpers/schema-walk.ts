/** Walks JSON Schema trees for the tests of the schema files themselves. */
export type Schema = Record<string, unknown>;

/** Keywords whose value is a map of name → subschema. */
const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "dependentSchemas"];
/** Keywords whose value is one subschema. */
const SCHEMA_ONE = [
  "items",
  "additionalProperties",
  "propertyNames",
  "contains",
  "not",
  "if",
  "then",
  "else",
];
/** Keywords whose value is a list of subschemas. */
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];

/** Every subschema with its JSON pointer inside the schema, root first. */
export function walkSchema(schema: Schema, at = ""): [string, Schema | boolean][] {
  const out: [string, Schema | boolean][] = [[at || "/", schema]];
  const visit = (s: unknown, p: string) => {
    if (typeof s === "boolean") out.push([p, s]);
    else if (s && typeof s === "object" && !Array.isArray(s)) out.push(...walkSchema(s as Schema, p));
  };
  for (const k of SCHEMA_MAPS) {
    for (const [name, s] of Object.entries((schema[k] as Schema | undefined) ?? {}))
      visit(s, `${at}/${k}/${name}`);
  }
  for (const k of SCHEMA_ONE) {
    // `additionalProperties: false` closes an object; it is not a subschema that needs describing.
    if (k in schema && !(k === "additionalProperties" && schema[k] === false)) visit(schema[k], `${at}/${k}`);
  }
  for (const k of SCHEMA_LISTS) {
    for (const [i, s] of ((schema[k] as unknown[] | undefined) ?? []).entries()) visit(s, `${at}/${k}/${i}`);
  }
  return out;
}
