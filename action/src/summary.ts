/**
 * The job summary of the validate mode, as Markdown: the verdict, a table of problems, and a
 * table of what the pull request changes (sites, benchmarks, models, datasets, results).
 * Everything that comes from the repository is escaped: file names and messages are written by
 * whoever opened the pull request.
 */
import type { FileChange } from "../../cli/src/base/git-history.ts";
import { classifyPath } from "../../cli/src/governance/layout.ts";
import type { GovernanceIndex } from "../../cli/src/governance/loader.ts";
import type { ValidationReport } from "../../cli/src/validate/validate-repository.ts";
import type { BenchmarkCompatibility } from "./compatibility.ts";
import type { PullRequest } from "./pull-request.ts";

/** Text safe in a Markdown table cell: no HTML, links, emphasis, pipes or line breaks. */
export function cell(text: string): string {
  return text.replace(/[\\`*_[\]<>&|~!]/g, "\\$&").replace(/\s*[\r\n]+\s*/g, " ");
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** GitHub refuses job summaries above 1 MiB; a repository broken everywhere still gets one. */
export const MAX_PROBLEM_ROWS = 500;

const CHANGE_WORD = { added: "added", modified: "changed", deleted: "deleted" } as const;

/** One row per changed site, benchmark, model, dataset or result; other files are left to the problems table. */
function changeRows(changes: FileChange[], index: GovernanceIndex, prefix: string): string[][] {
  const rows: string[][] = [];
  for (const change of changes) {
    const where = classifyPath(change.file);
    const present = change.status !== "deleted";
    let kind: string;
    let benchmark = "";
    let id: string;
    let details: string | undefined;
    if (where.kind === "site") {
      kind = "site";
      id = where.site;
      const site = present ? index.sites.get(where.site)?.data : undefined;
      if (site) details = `${site.name}; owners ${site.owners.join(", ")}`;
    } else if (where.kind === "benchmark") {
      kind = "benchmark";
      id = where.benchmark;
      const b = present ? index.benchmarks.get(where.benchmark)?.benchmark?.data : undefined;
      if (b) details = `version ${b.version}; committee ${b.committee.join(", ")}`;
    } else if (where.kind === "model") {
      kind = "model";
      benchmark = where.benchmark;
      id = where.model;
      const m = present ? index.benchmarks.get(where.benchmark)?.models.get(where.model)?.data : undefined;
      if (m) details = `owner ${m.owner.join(", ")}; status ${m.status}; image ${m.container.image}`;
    } else if (where.kind === "dataset") {
      kind = "dataset";
      benchmark = where.benchmark;
      id = where.dataset;
      const d = present
        ? index.benchmarks.get(where.benchmark)?.datasets.get(where.dataset)?.data
        : undefined;
      if (d) details = `site ${d.site}; status ${d.status}`;
    } else if (where.kind === "result") {
      kind = "result";
      benchmark = where.benchmark;
      id = `${where.model} on ${where.dataset}`;
      const r = present
        ? index.benchmarks.get(where.benchmark)?.results.get(`${where.dataset}/${where.model}`)?.data
        : undefined;
      if (r) details = `n ${r.n}; ${r.signature ? `signed with key ${r.signature.key}` : "unsigned"}`;
    } else {
      continue;
    }
    if (details === undefined) details = present ? "does not load: see the problems above" : "";
    rows.push([
      CHANGE_WORD[change.status],
      kind,
      cell(benchmark),
      cell(id),
      cell(details),
      cell(prefix + change.file),
    ]);
  }
  return rows;
}

export interface SummaryContext {
  /** The governance root's path in the repository ("" or "gov/"). */
  prefix: string;
  pullRequest?: PullRequest;
  /** The login whose ownership of the changed paths was checked, if it was. */
  author?: string;
}

export function validationSummary(
  report: ValidationReport,
  { prefix, pullRequest, author }: SummaryContext,
): string {
  const verdict = report.valid
    ? `✅ valid${report.warnings ? ` (${plural(report.warnings, "warning")})` : ""}`
    : `❌ invalid: ${plural(report.errors, "error")}${report.warnings ? `, ${plural(report.warnings, "warning")}` : ""}`;
  const out = [`## fedeval validate: ${verdict}`, ""];
  const checked = plural(report.files, "governance file");
  if (pullRequest && report.changes) {
    out.push(
      `Pull request #${pullRequest.number} by @${cell(pullRequest.author)} against base ${pullRequest.baseSha.slice(0, 12)}: ${plural(report.changes.length, "changed file")}, ${checked} checked.`,
    );
  } else if (report.changes) {
    out.push(`${plural(report.changes.length, "changed file")}, ${checked} checked.`);
  } else {
    out.push(`${checked} checked.`);
  }
  if (report.changes) {
    out.push(
      "",
      author ? `Ownership of the changed paths checked for @${cell(author)}.` : "Ownership not checked.",
    );
  }
  out.push("");
  if (report.diagnostics.length) {
    out.push("### Problems", "");
    out.push(
      table(
        ["", "Where", "Rule", "Problem"],
        report.diagnostics
          .slice(0, MAX_PROBLEM_ROWS)
          .map((d) => [
            d.severity,
            cell(`${prefix}${d.file}:${d.line}:${d.col}`),
            `${d.rule} ${d.name}`,
            cell(d.message),
          ]),
      ),
      "",
    );
    const more = report.diagnostics.length - MAX_PROBLEM_ROWS;
    if (more > 0)
      out.push(`… and ${plural(more, "more problem")}: every one is annotated in the job log.`, "");
  }
  const rows = report.changes ? changeRows(report.changes, report.index, prefix) : [];
  if (rows.length) {
    out.push(`### What this ${pullRequest ? "pull request" : "change"} changes`, "");
    out.push(table(["Change", "Kind", "Benchmark", "Id", "Details", "File"], rows), "");
  }
  return `${out.join("\n")}\n`;
}

/** A metric as the compatibility table shows it: up to 4 decimals. */
function metricCell(value: number | null, reason: string | undefined): string {
  return value === null ? `— (${cell(reason ?? "undefined")})` : String(Math.round(value * 1e4) / 1e4);
}

/** The "Compatibility test on demo data" section: one table per benchmark, model × metrics. */
export function compatibilitySummary(benchmarks: BenchmarkCompatibility[], index: GovernanceIndex): string {
  if (!benchmarks.length) return "";
  const out = ["### Compatibility test on demo data", ""];
  for (const b of benchmarks) {
    if (!b.demo) {
      out.push(
        `Benchmark ${cell(b.benchmark)} has no demo dataset (no demo_dataset in its benchmark.yaml): ${plural(b.models.length, "changed model")} not tested.`,
        "",
      );
      continue;
    }
    const report = b.report;
    if (!report.ok) {
      out.push(
        `❌ Benchmark ${cell(b.benchmark)}: the demo dataset could not be prepared (task ${report.step}: ${cell(report.message)}); ${plural(b.models.length, "model")} not tested.`,
        "",
      );
      continue;
    }
    const metrics = index.benchmarks.get(b.benchmark)?.benchmark?.data?.metrics ?? [];
    out.push(`Benchmark ${cell(b.benchmark)}, demo dataset of ${plural(report.cases, "case")}:`, "");
    out.push(
      table(
        ["Model", ...metrics.map((m) => cell(m.id)), "Outcome"],
        report.models.map((m) => [
          cell(m.model),
          ...metrics.map((spec) => metricCell(m.metrics[spec.id] ?? null, m.reasons[spec.id])),
          `${m.status === "ok" ? "✅" : "❌"} ${cell(m.message)}`,
        ]),
      ),
      "",
    );
  }
  return `${out.join("\n")}\n`;
}
