/** A subgroup cell's value of one metric, as a result reports it. */
export interface SubgroupCellValue {
  stratum: string;
  cell: string;
  /** Null when the cell has no value (not computed, or suppressed). */
  value: number | null;
  /** Suppressed at the site because it had too few cases: shown as suppressed, never as 0. */
  suppressed?: boolean;
}

export interface SubgroupGap {
  stratum: string;
  /** Highest minus lowest visible cell value; null with fewer than 2 visible cells. */
  gap: number | null;
  lowest: { cell: string; value: number } | null;
  highest: { cell: string; value: number } | null;
  /** Cells with a value that entered the gap. */
  visible: number;
  /** Suppressed cells, never counted in the gap. */
  suppressed: string[];
  /** Cells neither suppressed nor valued (the metric was not computed there). */
  missing: string[];
}

/** A stratum with no cells yet: no gap, nothing seen. */
export function noGap(stratum: string): SubgroupGap {
  return { stratum, gap: null, lowest: null, highest: null, visible: 0, suppressed: [], missing: [] };
}

/**
 * Per stratum (in order of first appearance), the gap between the best and worst subgroup:
 * max − min over the cells that have a value. Suppressed cells are listed apart and never
 * treated as zero, even if a value came with them.
 */
export function subgroupGaps(cells: readonly SubgroupCellValue[]): SubgroupGap[] {
  const strata = new Map<string, SubgroupGap>();
  for (const c of cells) {
    let gap = strata.get(c.stratum);
    if (gap === undefined) {
      gap = noGap(c.stratum);
      strata.set(c.stratum, gap);
    }
    if (c.suppressed === true) {
      gap.suppressed.push(c.cell);
    } else if (c.value === null || !Number.isFinite(c.value)) {
      gap.missing.push(c.cell);
    } else {
      gap.visible++;
      if (gap.lowest === null || c.value < gap.lowest.value) gap.lowest = { cell: c.cell, value: c.value };
      if (gap.highest === null || c.value > gap.highest.value) gap.highest = { cell: c.cell, value: c.value };
    }
  }
  for (const gap of strata.values()) {
    if (gap.visible >= 2 && gap.lowest !== null && gap.highest !== null) {
      gap.gap = gap.highest.value - gap.lowest.value;
    }
  }
  return [...strata.values()];
}
