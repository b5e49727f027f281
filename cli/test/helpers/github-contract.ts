/**
 * GitHub's published REST contract for the local GitHub server: every request fedeval sends and
 * every response the server returns is checked against GitHub's official OpenAPI description
 * (`@octokit/openapi`, api.github.com, pinned in package.json), so the tests cannot drift from what
 * GitHub accepts and answers. Only the operations fedeval uses are loaded from the 13 MB
 * description: their paths, and the components their schemas reach (Ajv compiles what a $ref reaches).
 *
 * A request: the operation exists (method and path), path and query parameters match their schemas
 * and no unknown query parameter is sent, a required body is there and matches. A response: its
 * status is one the operation declares, and a JSON body matches that status's schema.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The operations fedeval calls (forge/github.ts, forge/github-auth.ts, the teams check). */
export const OPERATIONS = {
  "/user": ["get"],
  "/repos/{owner}/{repo}/pulls": ["get", "post"],
  "/repos/{owner}/{repo}/pulls/{pull_number}": ["patch"],
  "/repos/{owner}/{repo}/issues/{issue_number}/labels": ["post"],
  "/repos/{owner}/{repo}/issues/{issue_number}/comments": ["post"],
  "/orgs/{org}/teams/{team_slug}/memberships/{username}": ["get"],
} as const;

const SPEC_ID = "https://api.github.com/openapi.json";

interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema: object;
}
interface Operation {
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> } | { $ref: string }>;
}
type Spec = {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
};

/** Where @octokit/openapi keeps the description of api.github.com. */
export function specFile(): string {
  return join(dirname(require.resolve("@octokit/openapi/package.json")), "generated/api.github.com.json");
}

const pointer = (ref: string, spec: Spec): unknown =>
  ref
    .replace(/^#\//, "")
    .split("/")
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], spec);

/** A schema whose `#/components/...` references point into the loaded description. */
function anchored(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(anchored);
  if (!schema || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [
      k,
      k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${SPEC_ID}${v}` : anchored(v),
    ]),
  );
}

interface CompiledOperation {
  method: string;
  template: string;
  match: RegExp;
  names: string[];
  parameters: Map<string, { in: string; required: boolean; check: ValidateFunction }>;
  body?: { required: boolean; check: ValidateFunction };
  responses: Map<string, ValidateFunction | undefined>;
}

export interface GitHubContract {
  /** Problems with a request; empty when GitHub would accept its shape. */
  request(method: string, url: URL, body: unknown): string[];
  /** Problems with a response to a request the contract accepted. */
  response(method: string, url: URL, status: number, body: unknown): string[];
}

let spec: Spec | undefined;
let loaded: GitHubContract | undefined;
const description = () => {
  spec ??= JSON.parse(readFileSync(specFile(), "utf8")) as Spec;
  return spec;
};

/** The contract of the operations fedeval uses, loaded once per process. */
export function githubContract(): GitHubContract {
  loaded ??= compileContract(description());
  return loaded;
}

/** A copy of one of the description's examples (`components/examples/<name>`), to answer with. */
export function githubExample<T extends object = Record<string, unknown>>(name: string): T {
  const example = description().components.examples?.[name] as { value?: T } | undefined;
  if (!example?.value) throw new Error(`GitHub's description has no example ${name}`);
  return structuredClone(example.value);
}

function compileContract(spec: Spec): GitHubContract {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
  addFormats(ajv);
  // only the components: operation schemas are compiled from the paths fedeval uses
  ajv.addSchema({ $id: SPEC_ID, components: spec.components });
  const compile = (schema: unknown) => ajv.compile(anchored(schema) as object);
  const coercing = new Ajv({ strict: false, validateSchema: false, logger: false, coerceTypes: true });
  addFormats(coercing);
  coercing.addSchema({ $id: SPEC_ID, components: spec.components });
  const operations: CompiledOperation[] = [];
  for (const [template, methods] of Object.entries(OPERATIONS)) {
    for (const method of methods) {
      const op = spec.paths[template]?.[method];
      if (!op) throw new Error(`GitHub's description has no ${method.toUpperCase()} ${template}`);
      const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
      const parameters = new Map<string, { in: string; required: boolean; check: ValidateFunction }>();
      for (const p of op.parameters ?? []) {
        const param = ("$ref" in p ? pointer(p.$ref, spec) : p) as Parameter;
        if (param.in === "header") continue;
        parameters.set(param.name, {
          in: param.in,
          required: Boolean(param.required),
          check: coercing.compile(
            anchored({ type: "object", properties: { value: param.schema } }) as object,
          ),
        });
      }
      const json = op.requestBody?.content["application/json"];
      const responses = new Map<string, ValidateFunction | undefined>();
      for (const [status, r] of Object.entries(op.responses)) {
        const response = ("$ref" in r ? pointer(r.$ref, spec) : r) as {
          content?: Record<string, { schema: object }>;
        };
        const schema = response.content?.["application/json"]?.schema;
        responses.set(status, schema ? compile(schema) : undefined);
      }
      operations.push({
        method: method.toUpperCase(),
        template,
        names,
        match: new RegExp(`^${template.replace(/\{[^}]+\}/g, "([^/]+)")}$`),
        parameters,
        body: json ? { required: Boolean(op.requestBody?.required), check: compile(json.schema) } : undefined,
        responses,
      });
    }
  }
  const errors = (check: ValidateFunction, what: string) =>
    (check.errors ?? []).slice(0, 5).map((e) => `${what}${e.instancePath || ""} ${e.message}`);
  const find = (method: string, url: URL) =>
    operations.find((o) => o.method === method && o.match.test(url.pathname));

  return {
    request(method, url, body) {
      const op = find(method, url);
      if (!op)
        return [`${method} ${url.pathname} is not an operation of GitHub's REST API that fedeval uses`];
      const where = `${method} ${op.template}`;
      const out: string[] = [];
      const values = op.match.exec(url.pathname)?.slice(1) ?? [];
      op.names.forEach((name, i) => {
        const p = op.parameters.get(name);
        if (p && !p.check({ value: decodeURIComponent(values[i] ?? "") }))
          out.push(...errors(p.check, `${where}: path parameter ${name}`));
      });
      for (const [name, value] of url.searchParams) {
        const p = op.parameters.get(name);
        if (!p || p.in !== "query") out.push(`${where}: unknown query parameter ${name}`);
        else if (!p.check({ value })) out.push(...errors(p.check, `${where}: query parameter ${name}`));
      }
      for (const [name, p] of op.parameters)
        if (p.in === "query" && p.required && !url.searchParams.has(name))
          out.push(`${where}: missing query parameter ${name}`);
      if (!op.body) {
        if (body !== undefined) out.push(`${where} takes no body`);
      } else if (body === undefined) {
        if (op.body.required) out.push(`${where}: missing body`);
      } else if (!op.body.check(body)) out.push(...errors(op.body.check, `${where}: body`));
      return out;
    },
    response(method, url, status, body) {
      const op = find(method, url);
      if (!op) return [];
      const where = `${method} ${op.template} → ${status}`;
      if (!op.responses.has(String(status)) && !op.responses.has("default"))
        return [
          `${where}: GitHub does not answer this operation with ${status} (${[...op.responses.keys()].join(", ")})`,
        ];
      const check = op.responses.get(String(status)) ?? op.responses.get("default");
      if (check && !check(body)) return errors(check, `${where}: body`);
      return [];
    },
  };
}
