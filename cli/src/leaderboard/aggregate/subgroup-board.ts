/**
 * A model's subgroup gaps: for each metric some site reports by subgroup, and each stratum, the
 * gap between a stratum's cells at each site, the largest of those, and the gap between the
 * cells pooled across sites by the metric's method.
 */
import type { Benchmark, MetricSpec, Result, SubgroupCell } from "../../governance/types.ts";
import type { SiteInput } from "../../results/pooling/method.ts";
import { poolMetric } from "../../results/pooling.ts";
import { noGap, type SubgroupCellValue, subgroupGaps } from "../../stats/subgroups.ts";
import type { SubgroupBoard, SubgroupGapBoard } from "../types.ts";
import type { Run } from "./runs.ts";

type PooledSubgroup = NonNullable<SubgroupBoard["pooled"]>;

/** One cell label's values across sites, for pooling, and how many sites suppressed it. */
interface CellLabel {
  inputs: SiteInput[];
  suppressed: number;
}

function gapBoard(cells: readonly SubgroupCellValue[]): SubgroupGapBoard {
  const { stratum: _stratum, ...gap } = subgroupGaps(cells)[0] ?? noGap("");
  return gap;
}

/** The gap over each cell label pooled across sites; null with a note when a cell does not pool. */
function pooledGap(
  spec: MetricSpec,
  stratum: string,
  labels: ReadonlyMap<string, CellLabel>,
): { pooled: PooledSubgroup | null; note: string | null } {
  let note: string | null = null;
  const cells: PooledSubgroup["cells"] = [];
  for (const [cell, { inputs, suppressed }] of labels) {
    if (inputs.length === 0) {
      cells.push({
        cell,
        n: null,
        value: null,
        suppressed: suppressed > 0,
        k: 0,
        suppressed_sites: suppressed,
      });
      continue;
    }
    const outcome = poolMetric(spec, inputs);
    if (!outcome.pooled) note ??= `cell ${cell}: ${outcome.note ?? "not pooled"}`;
    cells.push({
      cell,
      n: outcome.pooled?.n ?? null,
      value: outcome.pooled?.estimate ?? null,
      suppressed: false,
      k: outcome.pooled?.k ?? 0,
      suppressed_sites: suppressed,
    });
  }
  if (note !== null) return { pooled: null, note };
  const gap = gapBoard(
    cells.map((c) => ({ stratum, cell: c.cell, value: c.value, suppressed: c.suppressed })),
  );
  return { pooled: { ...gap, cells }, note: null };
}

/**
 * A result's subgroup cells as the leaderboard may show them: a cell under the benchmark's
 * minimum size is suppressed here, whatever the result file contains (validate flags it too),
 * so its value and n reach no page, JSON or CSV.
 */
export function visibleSubgroups(result: Result, minCell: number): SubgroupCell[] {
  return (result.subgroups ?? []).map((c) =>
    c.suppressed || c.n >= minCell ? c : { stratum: c.stratum, cell: c.cell, suppressed: true },
  );
}

/** One metric in one stratum; null when no site reports the stratum. */
function subgroupBoard(
  spec: MetricSpec,
  stratum: string,
  cells: readonly Run[],
  minCell: number,
): SubgroupBoard | null {
  const perSite: SubgroupBoard["sites"] = [];
  const labels = new Map<string, CellLabel>();
  for (const run of cells) {
    const own = visibleSubgroups(run.result, minCell).filter((c) => c.stratum === stratum);
    if (own.length === 0) continue;
    const values: SubgroupCellValue[] = own.map((c) => ({
      stratum,
      cell: c.cell,
      value: c.suppressed ? null : (c.metrics[spec.id]?.value ?? null),
      suppressed: c.suppressed === true,
    }));
    perSite.push({
      site: run.site,
      ...gapBoard(values),
      cells: own.map((c) => ({
        cell: c.cell,
        n: c.suppressed ? null : c.n,
        value: c.suppressed ? null : (c.metrics[spec.id]?.value ?? null),
        suppressed: c.suppressed === true,
      })),
    });
    for (const c of own) {
      let label = labels.get(c.cell);
      if (!label) {
        label = { inputs: [], suppressed: 0 };
        labels.set(c.cell, label);
      }
      if (c.suppressed) label.suppressed++;
      else {
        const value = c.metrics[spec.id];
        if (value) label.inputs.push({ site: run.site, value, n: c.n });
      }
    }
  }
  if (perSite.length === 0) return null;
  let largest: SubgroupBoard["largest"] = null;
  for (const s of perSite) {
    if (s.gap !== null && (largest === null || s.gap > (largest.gap as number))) {
      const { cells: _cells, ...rest } = s;
      largest = rest;
    }
  }
  const { pooled, note } = pooledGap(spec, stratum, labels);
  return { metric: spec.id, stratum, pooled, pooled_note: note, largest, sites: perSite };
}

/** Every metric some site reports by subgroup, in every stratum declared or reported. */
export function subgroupBoards(b: Benchmark, cells: readonly Run[]): SubgroupBoard[] {
  const boards: SubgroupBoard[] = [];
  const strata = new Set<string>(b.subgroups?.strata ?? []);
  for (const run of cells) for (const c of run.result.subgroups ?? []) strata.add(c.stratum);
  for (const spec of b.metrics) {
    const reported = cells.some((run) =>
      (run.result.subgroups ?? []).some((c) => c.metrics?.[spec.id] !== undefined),
    );
    if (!reported) continue;
    for (const stratum of strata) {
      const board = subgroupBoard(spec, stratum, cells, b.subgroups?.min_cell ?? 0);
      if (board) boards.push(board);
    }
  }
  return boards;
}
