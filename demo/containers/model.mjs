// The demo models: a logistic score over the prepared features, with weights baked into the
// image (weights.json beside this file), so each model is its own image.
//   node model.mjs infer --data_path=DATA --parameters_file=P --output_path=PREDICTIONS
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURES, parseArgs, readJsonl, required, rng, sigmoid, writeJsonl } from "./lib.mjs";

export function loadWeights() {
  const path = process.env.FEDEVAL_DEMO_WEIGHTS ?? new URL("./weights.json", import.meta.url);
  return JSON.parse(readFileSync(path, "utf8"));
}

function seedOf(id) {
  let h = 2166136261;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * The score of one case. `shortcut` models learned a spurious cue: for the named subgroup they
 * ignore the image features and add noise, which is what a subgroup gap looks like.
 */
export function score(weights, c) {
  let z = weights.intercept;
  FEATURES.forEach((f) => (z += (weights.weights[f] ?? 0) * c[f]));
  const sc = weights.shortcut;
  if (sc && c[sc.attribute] === sc.value) {
    const rand = rng(seedOf(c.case_id));
    z = weights.intercept + sc.noise * (rand() - 0.5) + 0.3 * c[FEATURES[0]];
  }
  return sigmoid(z);
}

const [task, ...rest] = process.argv.slice(2);
if (task === "infer") {
  const args = parseArgs(rest);
  const weights = loadWeights();
  const cases = readJsonl(join(required(args, "data_path"), "cases.jsonl"));
  const predictions = cases.map((c) => ({ case_id: c.case_id, score: +score(weights, c).toFixed(6) }));
  writeJsonl(join(required(args, "output_path"), "predictions.jsonl"), predictions);
} else if (task !== undefined) {
  process.stderr.write(`unknown task ${task}\n`);
  process.exit(2);
}
