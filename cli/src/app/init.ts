/**
 * A new governance repository from templates/init/: folders, a README, a sample site and benchmark
 * that validate, the JSON Schemas (for editors), the workflows and CODEOWNERS.
 */
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { UserError } from "../base/errors.ts";
import { packageRoot } from "../base/package-root.ts";
import { CODEOWNERS_PATH, renderCodeowners } from "../governance/codeowners.ts";
import { SLUG } from "../governance/layout.ts";
import { loadGovernance } from "../governance/loader.ts";

export interface InitRequest {
  /** The folder to scaffold: new, empty, or holding only `.git`. */
  dir: string;
  /** Id of the sample benchmark. */
  benchmark: string;
  /** Id of the sample site. */
  site: string;
}

export interface InitReport {
  /** The files written, relative to `dir`, in the order they were written. */
  written: string[];
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

export async function initGovernance(request: InitRequest): Promise<InitReport> {
  for (const [flag, value] of [
    ["--benchmark", request.benchmark],
    ["--site", request.site],
  ] as const) {
    if (!SLUG.test(value))
      throw new UserError(
        `${flag} "${value}" is not a valid id (lowercase letters, digits and "-", starting with a letter or digit)`,
      );
  }
  const existing = await readdir(request.dir).catch(() => [] as string[]);
  if (existing.filter((f) => f !== ".git").length)
    throw new UserError(`${request.dir} is not empty; fedeval init only writes into an empty or new folder`);
  const templates = join(packageRoot(), "templates");
  const written: string[] = [];
  for (const file of await listFiles(join(templates, "init"))) {
    const fill = (text: string) =>
      text.replaceAll("__BENCHMARK__", request.benchmark).replaceAll("__SITE__", request.site);
    const target = fill(file);
    await mkdir(dirname(join(request.dir, target)), { recursive: true });
    await writeFile(join(request.dir, target), fill(await readFile(join(templates, "init", file), "utf8")));
    written.push(target);
  }
  // the governance files' schema lines point at these (editors validate as people type)
  await mkdir(join(request.dir, "schemas"), { recursive: true });
  for (const file of (await readdir(join(packageRoot(), "schemas")))
    .filter((f) => f.endsWith(".schema.json"))
    .sort()) {
    await cp(join(packageRoot(), "schemas", file), join(request.dir, "schemas", file));
    written.push(`schemas/${file}`);
  }
  const workflows = join(templates, "workflows");
  for (const file of await listFiles(workflows).catch(() => [] as string[])) {
    await mkdir(join(request.dir, ".github/workflows"), { recursive: true });
    await cp(join(workflows, file), join(request.dir, ".github/workflows", file));
    written.push(`.github/workflows/${file}`);
  }
  const { index } = await loadGovernance(request.dir);
  await mkdir(join(request.dir, ".github"), { recursive: true });
  await writeFile(join(request.dir, CODEOWNERS_PATH), renderCodeowners(index));
  written.push(CODEOWNERS_PATH);
  return { written };
}
