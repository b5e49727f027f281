// The demo benchmark's preparation container: prepare, sanity_check and statistics tasks.
//   node prep.mjs prepare --data_path=RAW --labels_path=RAWLABELS --parameters_file=P --output_path=DATA --output_labels_path=LABELS
//   node prep.mjs sanity_check --data_path=DATA --labels_path=LABELS --parameters_file=P
//   node prep.mjs statistics --data_path=DATA --labels_path=LABELS --parameters_file=P --output_path=STATS.yaml
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FEATURES, parseArgs, readCsv, readJsonl, required, writeJsonl } from "./lib.mjs";

const ageBand = (age) => (age < 40 ? "18-39" : age < 65 ? "40-64" : "65+");

function prepare(args) {
  const cases = readCsv(join(required(args, "data_path"), "cases.csv"));
  const labels = new Map(readCsv(join(required(args, "labels_path"), "labels.csv")).map((r) => [r.case_id, Number(r.effusion)]));
  const data = [];
  const truth = [];
  for (const c of cases) {
    if (!labels.has(c.case_id)) continue; // unlabelled cases are not evaluated
    data.push({ case_id: c.case_id, sex: c.sex, age_band: ageBand(Number(c.age)), ...Object.fromEntries(FEATURES.map((f) => [f, Number(c[f])])) });
    truth.push({ case_id: c.case_id, effusion: labels.get(c.case_id), sex: c.sex, age_band: ageBand(Number(c.age)), scanner_vendor: c.scanner_vendor });
  }
  writeJsonl(join(required(args, "output_path"), "cases.jsonl"), data);
  writeJsonl(join(required(args, "output_labels_path"), "labels.jsonl"), truth);
}

function sanityCheck(args) {
  const data = readJsonl(join(required(args, "data_path"), "cases.jsonl"));
  const labels = readJsonl(join(required(args, "labels_path"), "labels.jsonl"));
  const ids = new Set(labels.map((l) => l.case_id));
  const problems = [];
  if (data.length === 0) problems.push("no cases");
  for (const c of data) {
    if (!ids.has(c.case_id)) problems.push(`case ${c.case_id} has no label`);
    for (const f of FEATURES) if (!Number.isFinite(c[f])) problems.push(`case ${c.case_id}: ${f} is not a number`);
  }
  for (const l of labels) if (l.effusion !== 0 && l.effusion !== 1) problems.push(`case ${l.case_id}: label must be 0 or 1`);
  if (problems.length) {
    process.stderr.write(`sanity check failed: ${problems.length} problem(s), first: ${problems[0]}\n`);
    process.exit(1);
  }
  process.stdout.write(`sanity check passed: ${data.length} cases\n`);
}

function statistics(args) {
  const labels = readJsonl(join(required(args, "labels_path"), "labels.jsonl"));
  const count = (key) => labels.reduce((acc, l) => ((acc[l[key]] = (acc[l[key]] ?? 0) + 1), acc), {});
  const effusion = labels.filter((l) => l.effusion === 1).length;
  const stats = {
    num_cases: labels.length,
    label_counts: { effusion, no_effusion: labels.length - effusion },
    sex: count("sex"),
    age_band: count("age_band"),
    scanner_vendor: count("scanner_vendor"),
  };
  const out = required(args, "output_path");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(stats, null, 2)}\n`);
}

const [task, ...rest] = process.argv.slice(2);
const args = parseArgs(rest);
if (task === "prepare") prepare(args);
else if (task === "sanity_check") sanityCheck(args);
else if (task === "statistics") statistics(args);
else {
  process.stderr.write(`unknown task ${task}\n`);
  process.exit(2);
}
