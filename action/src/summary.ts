/**
 * The job summary of the validate mode, as Markdown: the verdict, a table of problems, and a
 * table of what the pull request changes (sites, benchmarks, models, datasets, results).
 * Everything that comes from the repository is escaped: file names and messages are written by
 * whoever opened the pull request.
 */
import type { BenchmarkCompatibility } from "../../cli/src/app/compatibility.ts";
import type { ChangedEntity, GovernanceIndex, ValidateReport } from "../../cli/src/app/validate.ts";
import { printable } from "../../cli/src/base/printable.ts";
import type { PullRequest } from "./pull-request.ts";

/** Text safe in a Markdown table cell: no HTML, links, emphasis, pipes or line breaks. */
export function cell(text: string): string {
  return printable(text.replace(/[\\`*_[\]<>&|~!]/g, "\\$&").replace(/\s*[\r\n]+\s*/g, " "));
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

/** A changed entity's benchmark, id, and what the tree now says of it (undefined: deleted or does not load). */
function describeEntity(entity: ChangedEntity): { benchmark: string; id: string; details?: string } {
  switch (entity.kind) {
    case "site": {
      const s = entity.data;
      return { benchmark: "", id: entity.site, details: s && `${s.name}; owners ${s.owners.join(", ")}` };
    }
    case "benchmark": {
      const b = entity.data;
      const details = b && `version ${b.version}; committee ${b.committee.join(", ")}`;
      return { benchmark: "", id: entity.benchmark, details };
    }
    case "model": {
      const m = entity.data;
      const details = m && `owner ${m.owner.join(", ")}; status ${m.status}; image ${m.container.image}`;
      return { benchmark: entity.benchmark, id: entity.model, details };
    }
    case "dataset": {
      const d = entity.data;
      return {
        benchmark: entity.benchmark,
        id: entity.dataset,
        details: d && `site ${d.site}; status ${d.status}`,
      };
    }
    case "result": {
      const r = entity.data;
      const details = r && `n ${r.n}; ${r.signature ? `signed with key ${r.signature.key}` : "unsigned"}`;
      return { benchmark: entity.benchmark, id: `${entity.model} on ${entity.dataset}`, details };
    }
  }
}

/** One row per changed site, benchmark, model, dataset or result; other files are left to the problems table. */
function changeRows(changed: ChangedEntity[], prefix: string): string[][] {
  return changed.map((entity) => {
    const { benchmark, id, details } = describeEntity(entity);
    const present = entity.status !== "deleted";
    return [
      CHANGE_WORD[entity.status],
      entity.kind,
      cell(benchmark),
      cell(id),
      cell(details ?? (present ? "does not load: see the problems above" : "")),
      cell(prefix + entity.file),
    ];
  });
}

export interface SummaryContext {
  /** The governance root's path in the repository ("" or "gov/"). */
  prefix: string;
  pullRequest?: PullRequest;
  /** The login whose ownership of the changed paths was checked, if it was. */
  author?: string;
}

export function validationSummary(
  report: ValidateReport,
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
  const rows = report.changed ? changeRows(report.changed, prefix) : [];
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
