import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { UserError } from "../base/errors.ts";
import { packageRoot } from "../base/package-root.ts";
import { CODEOWNERS_PATH, renderCodeowners } from "../governance/codeowners.ts";
import { SLUG } from "../governance/layout.ts";
import { loadGovernance } from "../governance/loader.ts";
import type { CommandIO } from "./io.ts";

export interface InitOptions {
  dir: string;
  benchmark: string;
  site: string;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

/**
 * Scaffolds a governance repository: folders, a README, a sample site and benchmark that validate,
 * the JSON Schemas (for editors), workflows, CODEOWNERS.
 */
export async function initCommand(opts: InitOptions, io: CommandIO): Promise<number> {
  for (const [flag, value] of [
    ["--benchmark", opts.benchmark],
    ["--site", opts.site],
  ] as const) {
    if (!SLUG.test(value))
      throw new UserError(
        `${flag} "${value}" is not a valid id (lowercase letters, digits and "-", starting with a letter or digit)`,
      );
  }
  const existing = await readdir(opts.dir).catch(() => [] as string[]);
  if (existing.filter((f) => f !== ".git").length)
    throw new UserError(`${opts.dir} is not empty; fedeval init only writes into an empty or new folder`);
  const templates = join(packageRoot(), "templates");
  const written: string[] = [];
  for (const file of await listFiles(join(templates, "init"))) {
    const target = file.replaceAll("__BENCHMARK__", opts.benchmark).replaceAll("__SITE__", opts.site);
    const text = (await readFile(join(templates, "init", file), "utf8"))
      .replaceAll("__BENCHMARK__", opts.benchmark)
      .replaceAll("__SITE__", opts.site);
    await mkdir(dirname(join(opts.dir, target)), { recursive: true });
    await writeFile(join(opts.dir, target), text);
    written.push(target);
  }
  // the governance files' schema lines point at these (editors validate as people type)
  await mkdir(join(opts.dir, "schemas"), { recursive: true });
  for (const file of (await readdir(join(packageRoot(), "schemas")))
    .filter((f) => f.endsWith(".schema.json"))
    .sort()) {
    await cp(join(packageRoot(), "schemas", file), join(opts.dir, "schemas", file));
    written.push(`schemas/${file}`);
  }
  const workflows = join(templates, "workflows");
  for (const file of await listFiles(workflows).catch(() => [] as string[])) {
    await mkdir(join(opts.dir, ".github/workflows"), { recursive: true });
    await cp(join(workflows, file), join(opts.dir, ".github/workflows", file));
    written.push(`.github/workflows/${file}`);
  }
  const { index } = await loadGovernance(opts.dir);
  await mkdir(join(opts.dir, ".github"), { recursive: true });
  await writeFile(join(opts.dir, CODEOWNERS_PATH), renderCodeowners(index));
  written.push(CODEOWNERS_PATH);
  io.stdout(written.map((f) => `created ${f}\n`).join(""));
  io.stderr(
    `\nNext: put your GitHub login in sites/${opts.site}.yaml and benchmarks/${opts.benchmark}/benchmark.yaml, replace the example image digests, then\n  git init && git add -A && git commit -m "Governance repository" && npx fedeval validate .\n`,
  );
  return 0;
}
