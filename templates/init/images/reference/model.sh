#!/bin/sh
# The reference model: `sh /app/model.sh infer` scores each prepared case (its opacity, clipped
# to [0, 1]) into predictions/predictions.csv (case_id,score).
set -eu
V=/mlcommons/volumes
[ "${1:-}" = infer ] || { echo "usage: model.sh infer" >&2; exit 2; }
awk -F, 'BEGIN { print "case_id,score" }
  { s = $2 + 0; if (s < 0) s = 0; if (s > 1) s = 1; print $1 "," s }' \
  "$V/data/cases.csv" > "$V/predictions/predictions.csv"
