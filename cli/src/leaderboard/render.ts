/**
 * Handlebars rendering of the leaderboard pages and the report, from templates/leaderboard/.
 * Templates use only `{{…}}` (escaped) for data; the one unescaped insertion is the stylesheet,
 * registered as a partial for the self-contained report.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import Handlebars from "handlebars";
import { packageRoot } from "../base/package-root.ts";

export interface Templates {
  index: Handlebars.TemplateDelegate;
  benchmark: Handlebars.TemplateDelegate;
  model: Handlebars.TemplateDelegate;
  site: Handlebars.TemplateDelegate;
  report: Handlebars.TemplateDelegate;
  /** The stylesheet, written next to the pages as leaderboard.css. */
  css: string;
}

export function templatesDir(): string {
  return join(packageRoot(), "templates", "leaderboard");
}

const COMPILE = { strict: true, knownHelpersOnly: true, preventIndent: true } as const;

export async function loadTemplates(dir = templatesDir()): Promise<Templates> {
  const hb = Handlebars.create();
  const css = await readFile(join(dir, "leaderboard.css"), "utf8");
  hb.registerPartial("css", css);
  for (const name of await readdir(join(dir, "partials"))) {
    if (name.endsWith(".hbs"))
      hb.registerPartial(name.slice(0, -4), await readFile(join(dir, "partials", name), "utf8"));
  }
  const page = async (name: string) => hb.compile(await readFile(join(dir, `${name}.hbs`), "utf8"), COMPILE);
  return {
    index: await page("index"),
    benchmark: await page("benchmark"),
    model: await page("model"),
    site: await page("site"),
    report: await page("report"),
    css,
  };
}
