/**
 * Pull request texts, rendered from `templates/pr/<kind>.hbs` with Handlebars. Values are
 * HTML-escaped (Handlebars' `{{ }}`), so nothing in a governance file can inject markup into the
 * pull request; templates are compiled in strict mode, so a missing field is a bug, not a blank.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import { packageRoot } from "../base/package-root.ts";

export type PullRequestKind = "results" | "dataset" | "model";

const handlebars = Handlebars.create();
const compiled = new Map<PullRequestKind, Handlebars.TemplateDelegate>();

export function renderPullRequestBody(kind: PullRequestKind, data: object): string {
  let template = compiled.get(kind);
  if (!template) {
    const text = readFileSync(join(packageRoot(), "templates", "pr", `${kind}.hbs`), "utf8");
    template = handlebars.compile(text, { strict: true, knownHelpersOnly: true });
    compiled.set(kind, template);
  }
  return template(data);
}

/** A record as `{key, value}` pairs for templates; nested values as compact JSON. */
export function pairs(record: Record<string, unknown> | undefined): { key: string; value: string }[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({
    key,
    value: typeof value === "object" ? JSON.stringify(value) : String(value),
  }));
}
