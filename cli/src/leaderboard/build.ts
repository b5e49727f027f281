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
import { type CsvValue, toCsv } from "./csv.ts";
import { governanceCommit, resultHistory } from "./history.ts";
import { loadTemplates, type Templates } from "./render.ts";
import { type BenchmarkBoard, EXCLUSION_REASONS, type Leaderboard } from "./types.ts";
import {
  benchmarkView,
  hardwareText,
  indexView,
  modelView,
  PAGE,
  reportView,
  siteIndex,
  siteView,
} from "./view.ts";

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

/** Every file of the static site, by path relative to the output folder. */
export function* siteFiles(lb: Leaderboard, t: Templates): Generator<OutputFile> {
  yield ["leaderboard.css", t.css];
  yield ["leaderboard.json", `${JSON.stringify(lb)}\n`];
  yield [PAGE.index, t.index(indexView(lb))];
  yield [
    "benchmarks.csv",
    toCsv(
      [
        "benchmark",
        "title",
        "version",
        "primary_metric",
        "models",
        "sites",
        "included",
        "unverified",
        "earlier_runs",
        ...EXCLUSION_REASONS.map((r) => `excluded_${r.replace(/-/g, "_")}`),
      ],
      lb.benchmarks.map((b) => [
        b.id,
        b.title,
        b.version,
        b.primary_metric,
        b.models.length,
        b.sites.length,
        b.results.included,
        b.results.unverified,
        b.results.earlier_runs,
        ...EXCLUSION_REASONS.map((r) => b.results.excluded[r]),
      ]),
    ),
  ];
  const sites = new Map<string, { name: string; country: string | null; benchmarks: string[] }>();
  for (const b of lb.benchmarks) {
    for (const s of b.sites) {
      const seen = sites.get(s.id);
      if (seen) seen.benchmarks.push(b.id);
      else sites.set(s.id, { name: s.name, country: s.country, benchmarks: [b.id] });
    }
  }
  yield [
    "sites.csv",
    toCsv(
      ["site", "name", "country", "benchmarks"],
      [...sites].map(([id, s]) => [id, s.name, s.country, s.benchmarks.join(" ")]),
    ),
  ];
  for (const b of lb.benchmarks) {
    const dir = dirname(PAGE.benchmark(b.id));
    yield [PAGE.benchmark(b.id), t.benchmark(benchmarkView(lb, b))];
    yield* benchmarkCsv(b, dir);
    for (const m of b.models) {
      yield [PAGE.model(b.id, m.id), t.model(modelView(lb, b, m))];
      yield [
        PAGE.model(b.id, m.id).replace(/\.html$/, ".csv"),
        toCsv(
          ["site", "dataset", "n", ...b.metrics.map((x) => x.id), "signature", "file"],
          m.cells.map((c) => {
            const values = siteIndex(m).get(c.site)?.values;
            return [
              c.site,
              c.dataset,
              c.n,
              ...b.metrics.map((x) => values?.get(x.id)?.value ?? null),
              c.signature,
              c.file,
            ];
          }),
        ),
      ];
    }
  }
  for (const [id] of sites) {
    yield [PAGE.site(id), t.site(siteView(lb, id))];
    const rows: CsvValue[][] = [];
    for (const b of lb.benchmarks) {
      for (const m of b.models) {
        const entry = siteIndex(m).get(id);
        if (!entry) continue;
        const c = entry.cell;
        for (const x of b.metrics)
          rows.push([
            b.id,
            m.id,
            c.dataset,
            c.n,
            x.id,
            entry.values.get(x.id)?.value ?? null,
            c.signature,
            c.file,
          ]);
      }
    }
    yield [
      PAGE.site(id).replace(/\.html$/, ".csv"),
      toCsv(["benchmark", "model", "dataset", "n", "metric", "value", "signature", "file"], rows),
    ];
  }
}

function* benchmarkCsv(b: BenchmarkBoard, dir: string): Generator<OutputFile> {
  const primary = b.primary_metric;
  yield [
    `${dir}/ranking.csv`,
    toCsv(
      [
        "cohort",
        "rank",
        "rank_low",
        "rank_high",
        "tie_group",
        "model",
        "title",
        "status",
        "ranked",
        "estimate",
        "ci_low",
        "ci_high",
        "worst_site",
        "worst_value",
        "best_site",
        "best_value",
        "sd",
        "coverage_sites",
        "coverage_of",
        "full_coverage",
        "unverified_results",
        "note",
      ],
      b.models.map((m) => {
        const p = m.metrics[primary];
        return [
          m.coverage.cohort,
          m.rank?.rank,
          m.rank?.low,
          m.rank?.high,
          m.rank?.tie_group,
          m.id,
          m.title,
          m.status,
          m.ranked,
          p?.pooled?.estimate,
          p?.pooled?.ci_low,
          p?.pooled?.ci_high,
          p?.spread?.worst.site,
          p?.spread?.worst.value,
          p?.spread?.best.site,
          p?.spread?.best.value,
          p?.spread?.sd,
          m.coverage.sites,
          m.coverage.of,
          m.coverage.full,
          m.cells.filter((c) => !c.verified).length,
          m.note,
        ];
      }),
    ),
  ];
  yield [
    `${dir}/metrics.csv`,
    toCsv(
      [
        "model",
        "status",
        "metric",
        "method",
        "estimator",
        "estimate",
        "ci_low",
        "ci_high",
        "tau2",
        "i2",
        "q",
        "k",
        "n",
        "note",
      ],
      b.models.flatMap((m) =>
        b.metrics.map((x) => {
          const mb = m.metrics[x.id];
          const p = mb?.pooled;
          return [
            m.id,
            m.status,
            x.id,
            x.pooling,
            p?.estimator,
            p?.estimate,
            p?.ci_low,
            p?.ci_high,
            p?.tau2,
            p?.i2,
            p?.q,
            p?.k,
            p?.n,
            mb?.note,
          ];
        }),
      ),
    ),
  ];
  yield [
    `${dir}/sites.csv`,
    toCsv(
      [
        "model",
        "site",
        "dataset",
        "metric",
        "value",
        "reason",
        "se",
        "ci_low",
        "ci_high",
        "ci_reported",
        "n",
        "verified",
      ],
      b.models.flatMap((m) =>
        b.metrics.flatMap((x) =>
          (m.metrics[x.id]?.sites ?? []).map((s) => [
            m.id,
            s.site,
            s.dataset,
            x.id,
            s.value,
            s.reason,
            s.se,
            s.ci_low,
            s.ci_high,
            s.ci_reported,
            s.n,
            s.verified,
          ]),
        ),
      ),
    ),
  ];
  yield [
    `${dir}/provenance.csv`,
    toCsv(
      [
        "model",
        "site",
        "dataset",
        "file",
        "version",
        "n",
        "signature",
        "key",
        "signature_detail",
        "governance_commit",
        "model_image",
        "evaluator_image",
        "preparation_image",
        "dataset_hash",
        "tool",
        "started_at",
        "finished_at",
        "isolation",
        "cpu",
        "gpu",
        "memory_gb",
        "latency_ms_per_case",
        "approved_by",
        "approved_at",
        "approval_policy",
        "partial",
        "errors",
      ],
      b.models.flatMap((m) =>
        m.cells.map((c) => [
          m.id,
          c.site,
          c.dataset,
          c.file,
          c.version,
          c.n,
          c.signature,
          c.key,
          c.signature_detail,
          c.governance_commit,
          c.images.model,
          c.images.evaluator,
          c.images.preparation,
          c.dataset_hash,
          c.tool,
          c.started_at,
          c.finished_at,
          c.isolation,
          c.hardware?.cpu,
          c.hardware?.gpu,
          c.hardware?.memory_gb,
          c.latency_ms_per_case,
          c.approval?.by,
          c.approval?.at,
          c.approval?.policy,
          c.partial,
          c.errors.join(" "),
        ]),
      ),
    ),
  ];
  const values = b.models.map(
    (m) => new Map((m.metrics[primary]?.sites ?? []).map((s) => [s.site, s.value])),
  );
  yield [
    `${dir}/heatmap.csv`,
    toCsv(
      ["site", ...b.models.map((m) => m.id)],
      b.sites.map((s) => [s.id, ...values.map((v) => v.get(s.id) ?? null)]),
    ),
  ];
  yield [
    `${dir}/subgroups.csv`,
    toCsv(
      ["model", "metric", "stratum", "scope", "cell", "n", "value", "suppressed", "gap"],
      b.models.flatMap((m) =>
        m.subgroups.flatMap((g) => [
          ...g.sites.flatMap((s) =>
            s.cells.map((c) => [
              m.id,
              g.metric,
              g.stratum,
              s.site,
              c.cell,
              c.n,
              c.value,
              c.suppressed,
              s.gap,
            ]),
          ),
          ...(g.pooled?.cells ?? []).map((c) => [
            m.id,
            g.metric,
            g.stratum,
            "pooled",
            c.cell,
            c.n,
            c.value,
            c.suppressed,
            g.pooled?.gap,
          ]),
        ]),
      ),
    ),
  ];
  const alerts = new Map(b.drift.alerts.map((a) => [a.run, a]));
  yield [
    `${dir}/drift.csv`,
    toCsv(
      [
        "model",
        "site",
        "run",
        "dataset",
        "version",
        "finished_at",
        "metric",
        "value",
        "verified",
        "file",
        "commit",
        "alert_drop",
        "max_drop",
      ],
      b.drift.series.flatMap((s) =>
        s.runs.map((r, i) => [
          s.model,
          s.site,
          i + 1,
          r.dataset,
          r.version,
          r.finished_at,
          b.drift.metric,
          r.value,
          r.verified,
          r.file,
          r.commit,
          alerts.get(r)?.drop,
          b.drift.max_drop,
        ]),
      ),
    ),
  ];
  yield [
    `${dir}/efficiency.csv`,
    toCsv(
      ["model", "latency_ms_per_case", "k", "n", "min_site", "min", "max_site", "max", "hardware"],
      b.models.map((m) => {
        const l = m.efficiency.latency_ms_per_case;
        return [
          m.id,
          l?.estimate,
          l?.k,
          l?.n,
          l?.min.site,
          l?.min.value,
          l?.max.site,
          l?.max.value,
          m.efficiency.hardware.map(hardwareText).join("; "),
        ];
      }),
    ),
  ];
  yield [
    `${dir}/excluded.csv`,
    toCsv(
      ["file", "reason", "detail"],
      b.results.excluded_files.map((f) => [f.file, f.reason, f.detail]),
    ),
  ];
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
