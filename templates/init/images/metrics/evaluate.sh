#!/bin/sh
# The evaluator: `sh /app/evaluate.sh evaluate` reads the model's predictions and the prepared
# labels and writes results.yaml in fedeval's shape, each metric with what its pooling needs:
#   auc          histogram  the exact AUC and a 20-bin score histogram of positives and negatives
#   sensitivity  counts     the value and the confusion counts at the threshold
#   specificity  counts
#   brier        meta       the mean squared error and its standard error
set -eu
V=/mlcommons/volumes
[ "${1:-}" = evaluate ] || { echo "usage: evaluate.sh evaluate" >&2; exit 2; }
threshold=$(awk -F': *' '$1 == "threshold" { print $2 }' "$V/parameters/parameters_file.yaml")
awk -F, -v t="${threshold:-0.5}" -v bins=20 '
  # a proportion, or null (undefined) when nothing is counted under it
  function ratio(a, b) { return b ? sprintf("%.6f", a / b) : "null" }
  # a square root by Newton steps (some awks, busybox among them, may be built without sqrt)
  function root(x,   r, i) { if (x <= 0) return 0; r = x < 1 ? 1 : x; for (i = 0; i < 60; i++) r = (r + x / r) / 2; return r }
  NR == FNR { if (FNR > 1) score[$1] = $2 + 0; next }
  !($1 in score) { print "no prediction for case " $1 > "/dev/stderr"; exit 1 }
  {
    s = score[$1]; y = $2 + 0; n++
    if (y == 1) { pos[++np] = s } else { neg[++nn] = s }
    b = int(s * bins); if (b >= bins) b = bins - 1
    if (y == 1) hp[b]++; else hn[b]++
    if (s >= t) { if (y == 1) tp++; else fp++ } else { if (y == 1) fn++; else tn++ }
    e = (s - y) * (s - y); sum += e; sq += e * e
  }
  END {
    for (i = 1; i <= np; i++) for (j = 1; j <= nn; j++) w += pos[i] > neg[j] ? 1 : pos[i] == neg[j] ? 0.5 : 0
    brier = sum / n; sd = n > 1 ? root((sq - n * brier * brier) / (n - 1)) : 0
    printf "n: %d\nmetrics:\n", n
    printf "  auc:\n    value: %s\n    histogram:\n      bins: %d\n", ratio(w, np * nn), bins
    printf "      positive: ["; for (b = 0; b < bins; b++) printf "%s%d", b ? ", " : "", hp[b]; print "]"
    printf "      negative: ["; for (b = 0; b < bins; b++) printf "%s%d", b ? ", " : "", hn[b]; print "]"
    counts = sprintf("{tp: %d, fp: %d, tn: %d, fn: %d}", tp, fp, tn, fn)
    printf "  sensitivity:\n    value: %s\n    counts: %s\n", ratio(tp, tp + fn), counts
    printf "  specificity:\n    value: %s\n    counts: %s\n", ratio(tn, tn + fp), counts
    printf "  brier:\n    value: %.6f\n    se: %.6f\n", brier, sd / root(n)
  }
' "$V/predictions/predictions.csv" "$V/labels/labels.csv" > "$V/results/results.yaml"
