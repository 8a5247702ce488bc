#!/usr/bin/env bash
# NAME     enrich_csv.sh
# DESC     Add a 'squared' column to a numbers CSV: reads the 'value' column of SRC (a CSV
#          with a header, e.g. sanitize_csv.sh's output) and writes enriched.csv with the
#          header 'value,squared'. Blank lines are skipped; any other column is not copied.
# USAGE    SRC=artifacts/sanitized.csv OUT_DIR=artifacts/out scriptlets/shell/enrich_csv.sh
#          recipe: {type: shell, script: scriptlets/shell/enrich_csv.sh,
#                   args: {src: "${ARTIFACTS}/sanitized.csv", out_dir: "${ARTIFACTS}"}}
# ENV      SRC             the CSV to enrich (required; header with a 'value' column)
#          OUT_DIR         folder for enriched.csv, created if missing
#                          (default: $ORCH_ARTIFACTS, else ./artifacts); it must lie inside
#                          the project ($ORCH_ROOTDIR, else the current directory) or
#                          $ORCH_ARTIFACTS
#          ORCH_ARTIFACTS  this run's artifact folder, ORCH_STEP the step name (from the runner)
# RETURNS  exit 0, stdout one JSON line with the absolute path of enriched.csv:
#            {"status":"ok","outputs":["files.enriched_csv_v1"],"artifacts":[PATH],
#             "metrics":{"rows":N},"warnings":[],"set":{"files.enriched_csv_v1":PATH}}
#          exit 1, stdout an error envelope, when SRC is unset or unreadable, has no
#          'value' column, holds a value that is not a number (the reason names the line),
#          or OUT_DIR is outside the project or cannot be created.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/scriptlet.sh"

open_dest enriched.csv

# awk prints the row count, or the reason it failed and exits 1 (END runs even after an
# exit, hence the flag); CONVFMT keeps 15 significant digits in the squares.
result=$(awk -F, -v dest="$dest.tmp" -v src="$SRC" '
  function refuse(why) { print src ":" NR ": " why; failed = 1; exit 1 }
  BEGIN { CONVFMT = "%.15g"; col = 0; rows = 0; failed = 0 }
  { sub(/\r$/, "") }
  /^[ \t]*$/ { next }
  col == 0 {
    for (i = 1; i <= NF; i++) { h = tolower($i); gsub(/[ \t]/, "", h); if (h == "value") col = i }
    if (col == 0) refuse("the header has no value column")
    print "value,squared" > dest; next
  }
  {
    v = $col; gsub(/^[ \t]+|[ \t]+$/, "", v)
    if (v !~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/)
      refuse("\"" v "\" is not a number")
    print v "," (v * v) "" > dest; rows++
  }
  END {
    if (failed) exit 1
    if (col == 0) { print src ": no header line"; exit 1 }
    print rows
  }
' "$SRC") || { rm -f "$dest.tmp"; fail "$result"; }
mv "$dest.tmp" "$dest" || fail "cannot write '$dest'"

echo "enrich_csv: $result rows -> $dest" >&2
emit_ok files.enriched_csv_v1 "\"rows\":$result"
