// The demo benchmark's evaluator. Writes results.yaml (JSON is YAML) in fedeval's evaluator
// output shape: { n, metrics: { id: {value, se?, counts?, histogram?} }, subgroups: [...] }.
//   node evaluate.mjs evaluate --predictions=PRED --labels=LABELS --parameters_file=P --output_path=RESULTS.yaml
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs, readJsonl, required, rng } from "./lib.mjs";

/** Exact Mann–Whitney AUC (ties count 1/2); null without both classes. */
export function auc(pairs) {
  const pos = pairs.filter((p) => p.y === 1).map((p) => p.s);
  const neg = pairs.filter((p) => p.y === 0).map((p) => p.s);
  if (!pos.length || !neg.length) return null;
  const all = [...pairs].sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k].y === 1) rankSum += rank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

export function histogram(pairs, bins) {
  const positive = new Array(bins).fill(0);
  const negative = new Array(bins).fill(0);
  for (const p of pairs) {
    const b = Math.min(bins - 1, Math.floor(p.s * bins));
    (p.y === 1 ? positive : negative)[b]++;
  }
  return { bins, positive, negative };
}

function confusion(pairs, threshold) {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const p of pairs) {
    const hit = p.s >= threshold;
    if (p.y === 1) hit ? c.tp++ : c.fn++;
    else hit ? c.fp++ : c.tn++;
  }
  return c;
}

const ratio = (a, b) => (b > 0 ? +(a / b).toFixed(6) : null);

export function ece(pairs, bins = 10) {
  let total = 0;
  for (let b = 0; b < bins; b++) {
    const inBin = pairs.filter((p) => Math.min(bins - 1, Math.floor(p.s * bins)) === b);
    if (!inBin.length) continue;
    const conf = inBin.reduce((a, p) => a + p.s, 0) / inBin.length;
    const acc = inBin.reduce((a, p) => a + p.y, 0) / inBin.length;
    total += (inBin.length / pairs.length) * Math.abs(acc - conf);
  }
  return total;
}

function bootstrapSe(pairs, statistic, rounds, seed) {
  const rand = rng(seed);
  const values = [];
  for (let r = 0; r < rounds; r++) {
    const sample = pairs.map(() => pairs[Math.floor(rand() * pairs.length)]);
    values.push(statistic(sample));
  }
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
}

const nullable = (v, digits = 6) => (v === null ? { value: null, reason: "undefined" } : { value: +v.toFixed(digits) });

export function evaluate(pairs, params) {
  const c = confusion(pairs, params.threshold);
  const sens = ratio(c.tp, c.tp + c.fn);
  const spec = ratio(c.tn, c.tn + c.fp);
  const a = auc(pairs);
  const metrics = {
    auc: a === null ? { value: null, reason: "undefined" } : { value: +a.toFixed(6), histogram: histogram(pairs, params.histogram_bins) },
    sensitivity: sens === null ? { value: null, reason: "undefined" } : { value: sens, counts: c },
    specificity: spec === null ? { value: null, reason: "undefined" } : { value: spec, counts: c },
    ece: { value: +ece(pairs).toFixed(6), se: +bootstrapSe(pairs, (s) => ece(s), params.bootstrap_rounds, 7).toFixed(6) },
  };
  return { n: pairs.length, metrics };
}

function subgroupCells(pairs, strata) {
  const cells = [];
  for (const stratum of strata) {
    const values = [...new Set(pairs.map((p) => p[stratum]))].sort();
    for (const value of values) {
      const sub = pairs.filter((p) => p[stratum] === value);
      const c = confusion(sub, 0.5);
      cells.push({
        stratum,
        cell: String(value),
        n: sub.length,
        metrics: { auc: nullable(auc(sub)), sensitivity: ratio(c.tp, c.tp + c.fn) === null ? { value: null, reason: "undefined" } : { value: ratio(c.tp, c.tp + c.fn), counts: c } },
      });
    }
  }
  return cells;
}

const [task, ...rest] = process.argv.slice(2);
if (task === "evaluate") {
  const args = parseArgs(rest);
  const params = { threshold: 0.5, histogram_bins: 20, bootstrap_rounds: 200, strata: [], ...JSON.parse(readFileSync(required(args, "parameters_file"), "utf8")) };
  const scores = new Map(readJsonl(join(required(args, "predictions"), "predictions.jsonl")).map((p) => [p.case_id, p.score]));
  const labels = readJsonl(join(required(args, "labels"), "labels.jsonl"));
  const missing = labels.filter((l) => !scores.has(l.case_id)).length;
  if (missing) {
    process.stderr.write(`${missing} labelled case(s) have no prediction\n`);
    process.exit(1);
  }
  const pairs = labels.map((l) => ({ ...l, y: l.effusion, s: scores.get(l.case_id) }));
  const out = { ...evaluate(pairs, params), subgroups: subgroupCells(pairs, params.strata) };
  const path = required(args, "output_path");
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
} else if (task !== undefined) {
  process.stderr.write(`unknown task ${task}\n`);
  process.exit(2);
}
