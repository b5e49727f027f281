/**
 * `fedeval leaderboard build`, `report` and `drift` share this: load the repository, read git
 * for the commit and earlier runs, aggregate; then render pages, CSV and JSON into a folder that
 * replaces the previous build only once it is complete.
 */
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";
import { type GovernanceIndex, loadGovernance } from "../governance/loader.ts";
import { aggregateBenchmark, LEVEL, RANK_REPLICATES, RANK_SEED } from "./aggregate.ts";
import {
  benchmarkCsvFiles,
  benchmarksCsv,
  type LeaderboardSite,
  modelCsv,
  siteCsv,
  sitesCsv,
} from "./csv-tables.ts";
import { governanceCommit, resultHistory } from "./history.ts";
import { benchmarkView } from "./pages/benchmark-page.ts";
import { indexView } from "./pages/index-page.ts";
import { PAGE } from "./pages/links.ts";
import { modelView } from "./pages/model-page.ts";
import { reportView } from "./pages/report-page.ts";
import { siteView } from "./pages/site-page.ts";
import { loadTemplates, type Templates } from "./render.ts";
import type { BenchmarkBoard, Leaderboard } from "./types.ts";

export interface CollectOptions {
  root: string;
  allowUnsigned: boolean;
  /** The commit to record instead of git's HEAD. */
  commit?: string;
  /** Only this benchmark (an error when it does not exist). */
  benchmark?: string;
  logger: Logger;
}

export interface Collected {
  leaderboard: Leaderboard;
  /** The governance files it was built from. */
  index: GovernanceIndex;
  /** Governance files that did not load (their results are counted as unreadable). */
  unreadable: number;
}

export async function collectLeaderboard(opts: CollectOptions): Promise<Collected> {
  const { index, diagnostics } = await loadGovernance(opts.root);
  const ids = [...index.benchmarks.keys()].filter((id) => index.benchmarks.get(id)?.benchmark).sort();
  if (opts.benchmark !== undefined && !ids.includes(opts.benchmark)) {
    throw new UserError(
      `no benchmark "${opts.benchmark}" in ${opts.root}${ids.length ? ` (benchmarks: ${ids.join(", ")})` : ""}`,
    );
  }
  const unreadable = new Set(diagnostics.filter((d) => d.severity === "error").map((d) => d.file)).size;
  if (unreadable)
    opts.logger.warn(
      `${unreadable} governance file${unreadable === 1 ? "" : "s"} did not load and ${unreadable === 1 ? "is" : "are"} left out; \`fedeval validate\` says why`,
    );
  const build = await governanceCommit(opts.root, opts.commit);
  const present = new Set<string>();
  for (const folder of index.benchmarks.values())
    for (const r of folder.results.values()) present.add(r.file);
  const history = await resultHistory(opts.root, present, build.changed);
  const options = {
    allowUnsigned: opts.allowUnsigned,
    history,
    seed: RANK_SEED,
    replicates: RANK_REPLICATES,
  };
  const benchmarks: BenchmarkBoard[] = [];
  for (const id of opts.benchmark !== undefined ? [opts.benchmark] : ids) {
    const folder = index.benchmarks.get(id);
    if (folder?.benchmark) benchmarks.push(aggregateBenchmark(index, folder, folder.benchmark.data, options));
  }
  return {
    unreadable,
    index,
    leaderboard: {
      schema: "fedeval/leaderboard@1",
      build: {
        tool: `fedeval ${FEDEVAL_VERSION}`,
        commit: build.commit,
        dirty: build.dirty,
        allow_unsigned: opts.allowUnsigned,
        rank_seed: RANK_SEED,
        rank_replicates: RANK_REPLICATES,
        level: LEVEL,
      },
      benchmarks,
    },
  };
}

type OutputFile = [path: string, content: string];

/** Every site of the leaderboard's benchmarks, in the order they first appear. */
function leaderboardSites(lb: Leaderboard): LeaderboardSite[] {
  const sites = new Map<string, LeaderboardSite>();
  for (const b of lb.benchmarks) {
    for (const s of b.sites) {
      const seen = sites.get(s.id);
      if (seen) seen.benchmarks.push(b.id);
      else sites.set(s.id, { id: s.id, name: s.name, country: s.country, benchmarks: [b.id] });
    }
  }
  return [...sites.values()];
}

/** Every file of the static site, by path relative to the output folder. */
export function* siteFiles(lb: Leaderboard, t: Templates): Generator<OutputFile> {
  yield ["leaderboard.css", t.css];
  yield ["leaderboard.json", `${JSON.stringify(lb)}\n`];
  yield [PAGE.index, t.index(indexView(lb))];
  yield ["benchmarks.csv", benchmarksCsv(lb)];
  const sites = leaderboardSites(lb);
  yield ["sites.csv", sitesCsv(sites)];
  for (const b of lb.benchmarks) {
    const dir = dirname(PAGE.benchmark(b.id));
    yield [PAGE.benchmark(b.id), t.benchmark(benchmarkView(lb, b))];
    for (const [name, content] of benchmarkCsvFiles(b)) yield [`${dir}/${name}`, content];
    for (const m of b.models) {
      yield [PAGE.model(b.id, m.id), t.model(modelView(lb, b, m))];
      yield [PAGE.model(b.id, m.id).replace(/\.html$/, ".csv"), modelCsv(b, m)];
    }
  }
  for (const { id } of sites) {
    yield [PAGE.site(id), t.site(siteView(lb, id))];
    yield [PAGE.site(id).replace(/\.html$/, ".csv"), siteCsv(lb, id)];
  }
}

/**
 * Writes the files into a fresh sibling folder, then swaps it in for `out`. An existing `out`
 * is replaced only when it is empty or a previous build (it holds leaderboard.json).
 */
export async function writeSite(
  out: string,
  files: Iterable<OutputFile>,
): Promise<{ files: number; bytes: Map<string, number> }> {
  const target = resolve(out);
  const existing = await stat(target).catch(() => undefined);
  if (existing) {
    if (!existing.isDirectory()) throw new UserError(`--out ${out}: exists and is not a directory`);
    const entries = await readdir(target);
    if (entries.length > 0 && !entries.includes("leaderboard.json")) {
      throw new UserError(
        `--out ${out}: the folder is not empty and holds no previous leaderboard; choose an empty or new folder`,
      );
    }
  }
  await mkdir(dirname(target), { recursive: true });
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.partial-`));
  const bytes = new Map<string, number>();
  try {
    const made = new Set<string>();
    for (const [path, content] of files) {
      const dir = dirname(join(staging, path));
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      await writeFile(join(staging, path), content);
      bytes.set(path, Buffer.byteLength(content));
    }
    await chmod(staging, 0o755);
    if (existing) {
      const old = `${staging}-old`;
      await rename(target, old);
      await rename(staging, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(staging, target);
    }
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  return { files: bytes.size, bytes };
}

export interface BuildOptions extends Omit<CollectOptions, "benchmark"> {
  out: string;
}

export interface BuildSummary extends Collected {
  files: number;
  /** Size in bytes of every file written, by path relative to the output folder. */
  bytes: Map<string, number>;
}

export async function buildLeaderboard(opts: BuildOptions): Promise<BuildSummary> {
  const collected = await collectLeaderboard(opts);
  const templates = await loadTemplates();
  const written = await writeSite(opts.out, siteFiles(collected.leaderboard, templates));
  return { ...collected, ...written };
}

/** The self-contained evidence report of one model on one benchmark. */
export function renderReport(lb: Leaderboard, benchmark: string, model: string, t: Templates): string {
  const b = lb.benchmarks.find((x) => x.id === benchmark);
  if (!b) throw new UserError(`no benchmark "${benchmark}"`);
  const m = b.models.find((x) => x.id === model);
  if (!m)
    throw new UserError(
      `no model "${model}" in benchmark ${benchmark}${b.models.length ? ` (models: ${b.models.map((x) => x.id).join(", ")})` : ""}`,
    );
  return t.report(reportView(lb, b, m));
}
