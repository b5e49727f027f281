/**
 * A bounded covert channel. A hostile evaluator can hide data in the low digits of numbers it is
 * allowed to write (640 bytes of a labels file fitted in the low bits of 160 values). So every
 * real number of a result (a metric's value, se and ci bounds) is rounded to the metric's
 * declared precision (`metrics[].precision` significant digits, default 4) where the result is
 * built, before anyone approves it; `validate` refuses a result with more digits (FE230); and the
 * approval screen says how many bits the result can carry at most, whatever the evaluator wrote.
 */
import type { MetricSpec, MetricValue, Result } from "../governance/types.ts";

/** Significant digits of a metric's real numbers when the benchmark declares none. */
export const DEFAULT_PRECISION = 4;

export function precisionOf(spec: MetricSpec | undefined): number {
  return spec?.precision ?? DEFAULT_PRECISION;
}

/** `x` to `digits` significant digits (as the shortest decimal JSON writes back). */
export function roundToPrecision(x: number, digits: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(digits));
}

/** The real numbers of a metric value, by field, as written (`ci` as two). */
export function realsOf(v: MetricValue): [field: string, x: number][] {
  const out: [string, number][] = [];
  if (v.value !== null) out.push(["value", v.value]);
  if (v.se !== undefined) out.push(["se", v.se]);
  if (v.ci) out.push(["ci", v.ci[0]], ["ci", v.ci[1]]);
  return out;
}

/** A metric value with its real numbers rounded to `digits` significant digits. */
export function roundMetricValue(v: MetricValue, digits: number): MetricValue {
  if (v.value === null) return v;
  const out: MetricValue = { ...v, value: roundToPrecision(v.value, digits) };
  if (v.se !== undefined) out.se = roundToPrecision(v.se, digits);
  if (v.ci) out.ci = [roundToPrecision(v.ci[0], digits), roundToPrecision(v.ci[1], digits)];
  return out;
}

/**
 * Decimal exponents a double can have (1e-323 … 1e308): a rounded number still chooses its
 * exponent freely, so that counts.
 */
const DECIMAL_EXPONENTS = 632;
/** Reasons a null value may give (a value is null or a number: one more choice). */
const NULL_CHOICES = 6;

/** Bits one real number rounded to `digits` significant digits can carry: sign, mantissa, exponent, or a null reason. */
export function bitsPerReal(digits: number): number {
  return Math.log2(2 * 9 * 10 ** (digits - 1) * DECIMAL_EXPONENTS + NULL_CHOICES);
}

export interface Capacity {
  /** At most this many bits of information can leave in the result's metric fields. */
  bits: number;
  /** Real numbers (values, se, ci bounds) and counts (n, confusion counts, histogram bins) counted. */
  reals: number;
  counts: number;
}

/**
 * How many bits the numbers of `result` can carry at most: each real number its `bitsPerReal`,
 * each count (n, confusion counts, histogram bins, at most the result's n) log2(n + 1), and one
 * bit for each optional field that is there or not. Identifiers, images and times are fedeval's
 * or the governance repository's, not the evaluator's, and are not counted.
 */
export function resultCapacity(
  result: Pick<Result, "n" | "metrics" | "subgroups"> & {
    provenance?: Pick<Result["provenance"], "latency_ms_per_case">;
  },
  specs: readonly MetricSpec[],
): Capacity {
  const byId = new Map(specs.map((m) => [m.id, m]));
  const countBits = Math.log2(result.n + 1);
  const capacity: Capacity = { bits: countBits, reals: 0, counts: 1 };
  const add = (metrics: Record<string, MetricValue>) => {
    for (const [id, v] of Object.entries(metrics)) {
      const digits = precisionOf(byId.get(id));
      // value or null, then whether se, ci, n, counts and histogram are there
      capacity.bits += bitsPerReal(digits) + 5;
      capacity.reals += 1;
      const reals = realsOf(v).length - (v.value === null ? 0 : 1);
      capacity.bits += reals * bitsPerReal(digits);
      capacity.reals += reals;
      const counts =
        (v.n !== undefined ? 1 : 0) +
        (v.counts ? 4 : 0) +
        (v.histogram ? v.histogram.positive.length + v.histogram.negative.length : 0);
      capacity.bits += counts * countBits + (v.histogram ? Math.log2(1000) : 0);
      capacity.counts += counts;
    }
  };
  add(result.metrics);
  if (result.provenance?.latency_ms_per_case !== undefined) {
    // the model's own timing: it chooses it too
    capacity.bits += bitsPerReal(DEFAULT_PRECISION);
    capacity.reals += 1;
  }
  for (const cell of result.subgroups ?? []) {
    // a declared cell: suppressed, or its n and metrics
    capacity.bits += 1;
    if (!cell.suppressed) {
      capacity.bits += countBits;
      capacity.counts += 1;
      add(cell.metrics);
    }
  }
  return capacity;
}
