/**
 * Loads a governance repository: walks `sites/` and `benchmarks/`, reads every file through the
 * guards of yaml-source.ts, checks each against its JSON Schema and its path, and builds an index
 * of the entities that passed. Problems come back as diagnostics; nothing here throws on bad input.
 */
import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Diagnostic } from "../base/diagnostics.ts";
import { ExternalError, UsageError } from "../base/errors.ts";
import { parseContainerDefinition } from "../containers/definition.ts";
import type { ContainerDefinition } from "../containers/types.ts";
import { validateSchema } from "../formats/schema-registry.ts";
import {
  diagnosticAt,
  diagnosticAtPath,
  parseYaml,
  readSourceFile,
  type YamlSource,
} from "../formats/yaml-source.ts";
import { classifyPath, GOVERNANCE_FOLDERS, type GovernancePath } from "./layout.ts";
import type { Benchmark, Dataset, Model, Result, Site } from "./types.ts";

export interface Entry<T> {
  /** Path relative to the governance root. */
  file: string;
  source: YamlSource;
  data: T;
}

export interface ContainerEntry {
  file: string;
  source: YamlSource;
  definition: ContainerDefinition;
}

export interface BenchmarkFolder {
  id: string;
  benchmark?: Entry<Benchmark>;
  /** Keyed by the path relative to the benchmark folder, as references spell it: `containers/x.yaml`. */
  containers: Map<string, ContainerEntry>;
  /** Parameters files, keyed by container name (`containers/<name>/parameters.yaml`). */
  parameters: Map<string, YamlSource>;
  models: Map<string, Entry<Model>>;
  datasets: Map<string, Entry<Dataset>>;
  /** Keyed by `<dataset>/<model>`. */
  results: Map<string, Entry<Result>>;
}

export interface GovernanceIndex {
  root: string;
  sites: Map<string, Entry<Site>>;
  benchmarks: Map<string, BenchmarkFolder>;
  /** Every file seen under the governance folders, relative paths, sorted. */
  files: string[];
  /**
   * Files that exist but did not load (already reported); references to them are not reported
   * again. `sites` when that is not a folder (no site loads).
   */
  broken: Set<string>;
}

export interface LoadResult {
  index: GovernanceIndex;
  diagnostics: Diagnostic[];
}

/** How many files are read at once. */
const READ_CONCURRENCY = 64;

export async function loadGovernance(root: string): Promise<LoadResult> {
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new UsageError(`${root}: no such directory`);
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  let foundFolder = false;
  for (const folder of GOVERNANCE_FOLDERS) {
    const st = await lstat(join(root, folder)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw unreadable(folder, e);
    });
    if (!st) continue;
    foundFolder = true;
    if (st.isDirectory()) await walk(root, folder, files, diagnostics);
    else diagnostics.push(notAFile(folder, st.isSymbolicLink() ? "a symbolic link" : "a file"));
  }
  if (!foundFolder) {
    throw new UsageError(
      `${root}: not a governance repository (no sites/ or benchmarks/ folder); create one with \`fedeval init\``,
    );
  }
  files.sort();
  const broken = new Set(diagnostics.filter((d) => d.file === "sites").map((d) => d.file));
  const index: GovernanceIndex = { root, sites: new Map(), benchmarks: new Map(), files, broken };
  const work = files.map((file) => ({ file, where: classifyPath(file) }));
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const item = work[next++] as { file: string; where: GovernancePath };
      const found = await loadFile(root, item.file, item.where, index);
      if (found.length) {
        diagnostics.push(...found);
        if (found.some((d) => d.severity === "error")) index.broken.add(item.file);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, work.length) }, worker));
  return { index, diagnostics };
}

/** `sites` or `benchmarks` that is not a folder. */
function notAFile(folder: string, what: string): Diagnostic {
  return diagnosticAt(
    { file: folder },
    undefined,
    "FE001",
    "unknown-file",
    `${folder} is ${what}; a governance repository has a ${folder}/ folder`,
  );
}

/** A file or folder this user may not read: the machine's problem, not the repository's. */
export function unreadable(rel: string, e: NodeJS.ErrnoException): ExternalError {
  const why = e.code === "EACCES" || e.code === "EPERM" ? "permission denied" : (e.code ?? e.message);
  return new ExternalError(
    `${rel}: cannot read it (${why})`,
    "give the user running fedeval read access to the whole governance repository (e.g. `chmod -R u+rX`), or run fedeval as its owner",
    { cause: e },
  );
}

async function walk(root: string, rel: string, files: string[], diagnostics: Diagnostic[]): Promise<void> {
  const entries = await readdir(join(root, rel), { withFileTypes: true }).catch((e) => {
    throw unreadable(rel, e);
  });
  for (const e of entries) {
    const path = `${rel}/${e.name}`;
    if (e.isSymbolicLink()) {
      diagnostics.push(
        diagnosticAt(
          { file: path },
          undefined,
          "FE006",
          "symlink",
          "symbolic links are not allowed in a governance repository",
        ),
      );
    } else if (e.isDirectory()) {
      await walk(root, path, files, diagnostics);
    } else if (e.isFile()) {
      files.push(path);
    } else {
      diagnostics.push(
        diagnosticAt({ file: path }, undefined, "FE001", "unknown-file", "not a regular file"),
      );
    }
  }
}

function folderOf(index: GovernanceIndex, id: string): BenchmarkFolder {
  let f = index.benchmarks.get(id);
  if (!f) {
    f = {
      id,
      containers: new Map(),
      parameters: new Map(),
      models: new Map(),
      datasets: new Map(),
      results: new Map(),
    };
    index.benchmarks.set(id, f);
  }
  return f;
}

async function loadFile(
  root: string,
  file: string,
  where: GovernancePath,
  index: GovernanceIndex,
): Promise<Diagnostic[]> {
  if (where.kind === "doc" || where.kind === "demo-data" || where.kind === "additional-files") return [];
  if (where.kind === "unknown") {
    return [diagnosticAt({ file }, undefined, "FE001", "unknown-file", `unexpected file: ${where.reason}`)];
  }
  const read = await readSourceFile(join(root, file), file).catch((e) => {
    throw unreadable(file, e);
  });
  if (read.text === undefined) return read.diagnostics;
  const parsed = parseYaml(read.text, file);
  if (!parsed.source) return parsed.diagnostics;
  const source = parsed.source;
  if (where.kind === "parameters") {
    if (typeof source.data !== "object" || Array.isArray(source.data)) {
      return [diagnosticAtPath(source, [], "FE100", "schema", "a parameters file must be a YAML mapping")];
    }
    folderOf(index, where.benchmark).parameters.set(where.name, source);
    return [];
  }
  if (where.kind === "container") {
    const { definition, diagnostics } = parseContainerDefinition(source);
    if (definition && !diagnostics.some((d) => d.severity === "error")) {
      folderOf(index, where.benchmark).containers.set(`containers/${where.name}.yaml`, {
        file,
        source,
        definition,
      });
    }
    return diagnostics;
  }
  const schemaDiagnostics = validateSchema(where.kind, source);
  if (schemaDiagnostics.length) return schemaDiagnostics;
  const idProblem = checkIdentity(where, source);
  if (idProblem) return [idProblem];
  switch (where.kind) {
    case "site":
      index.sites.set(where.site, { file, source, data: source.data as Site });
      break;
    case "benchmark":
      folderOf(index, where.benchmark).benchmark = { file, source, data: source.data as Benchmark };
      break;
    case "model":
      folderOf(index, where.benchmark).models.set(where.model, { file, source, data: source.data as Model });
      break;
    case "dataset":
      folderOf(index, where.benchmark).datasets.set(where.dataset, {
        file,
        source,
        data: source.data as Dataset,
      });
      break;
    case "result":
      folderOf(index, where.benchmark).results.set(`${where.dataset}/${where.model}`, {
        file,
        source,
        data: source.data as Result,
      });
      break;
  }
  return [];
}

/** The id inside a file must equal the id its path gives. */
function checkIdentity(where: GovernancePath, source: YamlSource): Diagnostic | undefined {
  const data = source.data as Record<string, unknown>;
  const expect: [path: (string | number)[], value: string][] = [];
  switch (where.kind) {
    case "site":
      expect.push([["id"], where.site]);
      break;
    case "benchmark":
      expect.push([["id"], where.benchmark]);
      break;
    case "model":
      expect.push([["id"], where.model]);
      break;
    case "dataset":
      expect.push([["id"], where.dataset]);
      break;
    case "result":
      expect.push(
        [["benchmark", "id"], where.benchmark],
        [["dataset"], where.dataset],
        [["model"], where.model],
      );
      break;
    default:
      return undefined;
  }
  for (const [path, value] of expect) {
    let actual: unknown = data;
    for (const seg of path) actual = (actual as Record<string, unknown> | undefined)?.[seg as string];
    if (actual !== value) {
      const field = path.join(".");
      return diagnosticAtPath(
        source,
        path,
        "FE102",
        "id-mismatch",
        `${field} is "${String(actual)}" but the file's path says "${value}"; the path and the id must agree`,
      );
    }
  }
  return undefined;
}

/**
 * One benchmark's folder from file texts (paths relative to the governance root), without schema
 * checks: what a tool that writes a tree (the demo, test fixtures) needs to sign approvals of it.
 */
export function benchmarkFolderFromTexts(id: string, texts: ReadonlyMap<string, string>): BenchmarkFolder {
  const index: GovernanceIndex = {
    root: "",
    sites: new Map(),
    benchmarks: new Map(),
    files: [],
    broken: new Set(),
  };
  const folder = folderOf(index, id);
  for (const [file, text] of texts) {
    const where = classifyPath(file);
    if (!("benchmark" in where) || where.benchmark !== id) continue;
    const source = parseYaml(text, file).source;
    if (!source) continue;
    if (where.kind === "container") {
      const { definition } = parseContainerDefinition(source);
      if (definition) folder.containers.set(`containers/${where.name}.yaml`, { file, source, definition });
    } else if (where.kind === "parameters") folder.parameters.set(where.name, source);
    else if (where.kind === "benchmark") folder.benchmark = { file, source, data: source.data as Benchmark };
    else if (where.kind === "model")
      folder.models.set(where.model, { file, source, data: source.data as Model });
    else if (where.kind === "dataset")
      folder.datasets.set(where.dataset, { file, source, data: source.data as Dataset });
  }
  return folder;
}
