/** pROC's aSAH data set split into three sites, for the AUC tests against pROC and metafor. */
import type { ScoreHistogram } from "../../src/stats/histogram.ts";

// pROC's aSAH (Turck et al. 2009, pROC 1.18.0): 113 patients after subarachnoid haemorrhage,
// outcome (1 = poor), S100β and WFNS grade, in data-set order; rows 1–38 are "site a", 39–76
// "site b", 77–113 "site c".
export const ASAH_POOR =
  "00001101001011001011101000000000100110110000000001100010001010011101101111000110100000010000000000001111110001000";
export const ASAH_S100B = [
  0.13, 0.14, 0.1, 0.04, 0.13, 0.1, 0.47, 0.16, 0.18, 0.1, 0.12, 0.1, 0.44, 0.71, 0.04, 0.08, 0.49, 0.04,
  0.07, 0.33, 0.09, 0.09, 0.07, 0.11, 0.07, 0.17, 0.07, 0.11, 0.13, 0.19, 0.05, 0.16, 0.41, 0.14, 0.34, 0.35,
  0.48, 0.09, 0.96, 0.25, 0.5, 0.46, 0.16, 0.07, 0.43, 0.45, 0.11, 0.08, 0.09, 0.86, 0.52, 0.08, 0.06, 0.13,
  2.07, 0.1, 0.14, 0.15, 0.07, 0.06, 0.77, 0.05, 0.09, 0.3, 0.03, 0.09, 0.04, 0.23, 0.7, 0.09, 0.27, 0.71,
  0.08, 0.26, 0.08, 0.16, 0.09, 0.13, 0.1, 0.08, 0.11, 0.33, 0.11, 0.28, 0.07, 0.1, 0.32, 0.22, 0.07, 0.05,
  0.24, 0.38, 0.1, 0.15, 0.08, 0.14, 0.1, 0.07, 0.04, 0.19, 0.56, 0.14, 0.58, 0.32, 0.82, 0.74, 0.15, 0.47,
  0.17, 0.44, 0.15, 0.5, 0.48,
];
export const ASAH_WFNS =
  "11113254125255125225211112121134214541425511241125521251222151125214524414121421232421451154221113125225552445111"
    .split("")
    .map(Number);

/** One bin per distinct score over all sites, so the histogram keeps every score (and every tie). */
export function asahSites(scores: readonly number[]): ScoreHistogram[] {
  const bins = [...new Set(scores)].sort((a, b) => a - b);
  const ranges = [
    [0, 38],
    [38, 76],
    [76, 113],
  ];
  return ranges.map(([from, to]) => {
    const positive = new Array<number>(bins.length).fill(0);
    const negative = new Array<number>(bins.length).fill(0);
    for (let i = from as number; i < (to as number); i++) {
      const bin = bins.indexOf(scores[i] as number);
      if (ASAH_POOR[i] === "1") positive[bin] = (positive[bin] as number) + 1;
      else negative[bin] = (negative[bin] as number) + 1;
    }
    return { positive, negative };
  });
}
