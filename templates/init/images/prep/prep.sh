#!/bin/sh
# The benchmark's data preparation. One script, one command per task: the container definition
# (benchmarks/*/containers/prep.yaml) runs `sh /app/prep.sh <task>`, so the script knows which
# task runs. Raw data: data/cases.csv (case_id,opacity) and labels/labels.csv (case_id,finding).
set -eu
V=/mlcommons/volumes
case "${1:-}" in
  prepare)
    # raw export -> prepared data: one row per case, no header, sorted by case id
    awk -F, 'NR > 1 && NF >= 2 { print $1 "," $2 }' "$V/raw_data/cases.csv" | sort > "$V/data/cases.csv"
    awk -F, 'NR > 1 && NF >= 2 { print $1 "," $2 }' "$V/raw_labels/labels.csv" | sort > "$V/labels/labels.csv"
    ;;
  sanity_check)
    # every case has one label, 0 or 1, and every label a case (exit 1 otherwise)
    awk -F, '
      NR == FNR { cases[$1] = 1; n++; next }
      !($1 in cases) { print "label for an unknown case: " $1; bad = 1 }
      $2 != "0" && $2 != "1" { print "label is not 0 or 1 for case " $1; bad = 1 }
      { m++ }
      END { if (n != m) { print n " cases but " m " labels"; bad = 1 }; if (!bad) print "sanity check passed: " n " cases"; exit bad }
    ' "$V/data/cases.csv" "$V/labels/labels.csv"
    ;;
  statistics)
    awk -F, '{ n++; if ($2 == "1") p++ }
      END { printf "num_cases: %d\nlabel_counts:\n  positive: %d\n  negative: %d\n", n, p, n - p }' \
      "$V/labels/labels.csv" > "$V/statistics/statistics.yaml"
    ;;
  *)
    echo "usage: prep.sh prepare|sanity_check|statistics" >&2
    exit 2
    ;;
esac
