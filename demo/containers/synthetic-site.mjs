// Generates a hospital's raw export for the demo: a CSV of cases (acquisition features and
// demographics) and a CSV of labels. Deterministic per site; nothing here is real patient data.
//   node synthetic-site.mjs --site=ID --data_path=DIR --labels_path=DIR
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURES, normal, parseArgs, required, rng } from "./lib.mjs";

/** Three populations that differ the way real sites do. */
export const SITE_PROFILES = {
  // a large teaching hospital: the population the models were developed on
  "north-general": { seed: 11, cases: 900, prevalence: 0.3, female: 0.5, old: 0.35, vendorB: 0.2, shift: 0 },
  // acquisition shift: a different scanner fleet brightens and blurs the images
  "east-valley": { seed: 23, cases: 700, prevalence: 0.3, female: 0.5, old: 0.35, vendorB: 0.9, shift: 0.9 },
  // another subgroup mix: mostly older women
  "south-coast": { seed: 37, cases: 600, prevalence: 0.35, female: 0.75, old: 0.7, vendorB: 0.3, shift: 0 },
};

/** Class means of the informative features for a positive case. */
const SIGNAL = [1.1, 0.9, 0.8, 0.6, 0.3, 0];

export function generateSite(profile) {
  const rand = rng(profile.seed);
  const cases = [];
  for (let i = 0; i < profile.cases; i++) {
    const label = rand() < profile.prevalence ? 1 : 0;
    const sex = rand() < profile.female ? "F" : "M";
    const age = rand() < profile.old ? 65 + Math.floor(rand() * 30) : 18 + Math.floor(rand() * 47);
    const vendor = rand() < profile.vendorB ? "vendor-b" : "vendor-a";
    const blur = vendor === "vendor-b" ? 1 + profile.shift * 0.6 : 1;
    const row = { case_id: `c${String(i).padStart(5, "0")}`, sex, age, scanner_vendor: vendor };
    FEATURES.forEach((f, j) => {
      const bias = vendor === "vendor-b" && j < 2 ? profile.shift : 0;
      row[f] = +(SIGNAL[j] * label + bias + normal(rand) * blur).toFixed(4);
    });
    cases.push({ row, label });
  }
  return cases;
}

export function writeSite(profile, dataDir, labelsDir) {
  const cases = generateSite(profile);
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(labelsDir, { recursive: true });
  const cols = ["case_id", "sex", "age", "scanner_vendor", ...FEATURES];
  writeFileSync(join(dataDir, "cases.csv"), [cols.join(","), ...cases.map((c) => cols.map((k) => c.row[k]).join(","))].join("\n") + "\n");
  writeFileSync(join(labelsDir, "labels.csv"), ["case_id,effusion", ...cases.map((c) => `${c.row.case_id},${c.label}`)].join("\n") + "\n");
  return cases.length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  const profile = SITE_PROFILES[required(args, "site")];
  if (!profile) {
    process.stderr.write(`unknown demo site ${args.site}\n`);
    process.exit(2);
  }
  writeSite(profile, required(args, "data_path"), required(args, "labels_path"));
}
