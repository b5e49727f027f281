/**
 * The governance repository layout (DESIGN.md section 2). Every governance file has exactly one
 * valid path, and the path encodes its kind, its id and its owner:
 *
 *   sites/<site>.yaml
 *   benchmarks/<benchmark>/benchmark.yaml
 *   benchmarks/<benchmark>/containers/<name>.yaml            container definition (MedPerf / MLCube)
 *   benchmarks/<benchmark>/containers/<name>/parameters.yaml  that container's parameters file
 *   benchmarks/<benchmark>/containers/<name>/additional_files/**  its additional files (additional_files.path), not parsed
 *   benchmarks/<benchmark>/models/<model>.yaml
 *   benchmarks/<benchmark>/datasets/<dataset>.yaml
 *   benchmarks/<benchmark>/results/<dataset>/<model>.yaml
 *   benchmarks/<benchmark>/demo/**                            public demo data (demo_dataset.path), not parsed
 *
 * `README.md` and `.gitkeep` are allowed anywhere under the known folders. Anything else under
 * `sites/` or `benchmarks/` is an unknown file, so `../` tricks and typos fail loudly.
 */
import { UsageError } from "../base/errors.ts";

export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Refuses command-line ids that are not slugs (they become paths in the governance repository). */
export function requireSlugFlags(flags: readonly (readonly [flag: string, value: string])[]): void {
  for (const [flag, value] of flags) {
    if (!SLUG.test(value))
      throw new UsageError(`${flag} "${value}" is not a valid id (lowercase letters, digits and "-")`);
  }
}

export type GovernancePath =
  | { kind: "site"; site: string }
  | { kind: "benchmark"; benchmark: string }
  | { kind: "container"; benchmark: string; name: string }
  | { kind: "parameters"; benchmark: string; name: string }
  | { kind: "additional-files"; benchmark: string; name: string }
  | { kind: "model"; benchmark: string; model: string }
  | { kind: "dataset"; benchmark: string; dataset: string }
  | { kind: "result"; benchmark: string; dataset: string; model: string }
  | { kind: "doc" }
  | { kind: "demo-data"; benchmark: string }
  | { kind: "unknown"; reason: string };

/** The top-level folders the loader walks. */
export const GOVERNANCE_FOLDERS = ["sites", "benchmarks"] as const;

function stem(name: string): string | undefined {
  return name.endsWith(".yaml") ? name.slice(0, -5) : undefined;
}

function slugReason(what: string, value: string): string | undefined {
  return SLUG.test(value)
    ? undefined
    : `${what} "${value}" is not a valid id (lowercase letters, digits and "-", 1–63 characters, starting with a letter or digit)`;
}

/** Classifies a path relative to the governance root (forward slashes). */
export function classifyPath(rel: string): GovernancePath {
  const parts = rel.split("/");
  const name = parts[parts.length - 1] ?? "";
  if (parts.some((p) => p === "" || p === "." || p === ".."))
    return { kind: "unknown", reason: "path has empty, . or .. segments" };
  if (name === "README.md" || name === ".gitkeep") return { kind: "doc" };
  if (name.endsWith(".yml"))
    return { kind: "unknown", reason: 'governance files end in ".yaml", not ".yml"' };
  const s = stem(name);
  if (parts[0] === "sites") {
    if (parts.length !== 2 || s === undefined)
      return { kind: "unknown", reason: "sites/ holds only <site>.yaml files" };
    const bad = slugReason("site id", s);
    return bad ? { kind: "unknown", reason: bad } : { kind: "site", site: s };
  }
  if (parts[0] !== "benchmarks") return { kind: "unknown", reason: "not under sites/ or benchmarks/" };
  const benchmark = parts[1] ?? "";
  if (parts.length < 3) return { kind: "unknown", reason: "benchmarks/ holds one folder per benchmark" };
  const badBenchmark = slugReason("benchmark id", benchmark);
  if (badBenchmark) return { kind: "unknown", reason: badBenchmark };
  const folder = parts[2];
  if (parts.length === 3) {
    if (folder === "benchmark.yaml") return { kind: "benchmark", benchmark };
    return {
      kind: "unknown",
      reason: `benchmarks/${benchmark}/ holds benchmark.yaml and the folders containers/, models/, datasets/, results/`,
    };
  }
  if (folder === "demo") return { kind: "demo-data", benchmark };
  if (folder === "containers") {
    if (parts.length === 4 && s !== undefined) {
      const bad = slugReason("container name", s);
      return bad ? { kind: "unknown", reason: bad } : { kind: "container", benchmark, name: s };
    }
    const dir = parts[3] ?? "";
    const badDir = slugReason("container name", dir);
    if (parts.length === 5 && name === "parameters.yaml") {
      return badDir ? { kind: "unknown", reason: badDir } : { kind: "parameters", benchmark, name: dir };
    }
    if (parts.length >= 6 && parts[4] === "additional_files") {
      return badDir
        ? { kind: "unknown", reason: badDir }
        : { kind: "additional-files", benchmark, name: dir };
    }
    return {
      kind: "unknown",
      reason:
        "containers/ holds <name>.yaml definitions, <name>/parameters.yaml files and <name>/additional_files/ folders",
    };
  }
  if (folder === "models" || folder === "datasets") {
    if (parts.length !== 4 || s === undefined)
      return { kind: "unknown", reason: `${folder}/ holds only <id>.yaml files` };
    const what = folder === "models" ? "model id" : "dataset id";
    const bad = slugReason(what, s);
    if (bad) return { kind: "unknown", reason: bad };
    return folder === "models"
      ? { kind: "model", benchmark, model: s }
      : { kind: "dataset", benchmark, dataset: s };
  }
  if (folder === "results") {
    if (parts.length !== 5 || s === undefined)
      return { kind: "unknown", reason: "results/ holds <dataset>/<model>.yaml files" };
    const dataset = parts[3] ?? "";
    const bad = slugReason("dataset id", dataset) ?? slugReason("model id", s);
    return bad ? { kind: "unknown", reason: bad } : { kind: "result", benchmark, dataset, model: s };
  }
  return {
    kind: "unknown",
    reason: `unknown folder "${folder}" in benchmarks/${benchmark}/ (demo data go in demo/)`,
  };
}

export const paths = {
  site: (site: string) => `sites/${site}.yaml`,
  benchmark: (b: string) => `benchmarks/${b}/benchmark.yaml`,
  model: (b: string, m: string) => `benchmarks/${b}/models/${m}.yaml`,
  dataset: (b: string, d: string) => `benchmarks/${b}/datasets/${d}.yaml`,
  result: (b: string, d: string, m: string) => `benchmarks/${b}/results/${d}/${m}.yaml`,
  container: (b: string, config: string) => `benchmarks/${b}/${config}`,
};
