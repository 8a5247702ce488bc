#!/usr/bin/env bash
# NAME     sanitize_csv.sh
# DESC     Clean a one-column numbers CSV: trim spaces, drop blank lines, comments (from '#'
#          to the end of the line), the 'value' header and anything that is not a number.
#          Writes sanitized.csv (header 'value', one number a line) for load_numbers.
# USAGE    SRC=recipes/data/dirty_numbers.csv OUT_DIR=artifacts/out scriptlets/shell/sanitize_csv.sh
#          recipe: {type: shell, script: scriptlets/shell/sanitize_csv.sh,
#                   args: {src: "${DATA}/dirty_numbers.csv", out_dir: "${ARTIFACTS}"}}
# ENV      SRC             the CSV to clean (required)
#          OUT_DIR         folder for sanitized.csv, created if missing
#                          (default: $ORCH_ARTIFACTS, else ./artifacts); it must lie inside
#                          the project ($ORCH_ROOTDIR, else the current directory) or
#                          $ORCH_ARTIFACTS
#          ORCH_ARTIFACTS  this run's artifact folder, ORCH_STEP the step name (from the runner)
# RETURNS  exit 0, stdout one JSON line with the absolute path of sanitized.csv:
#            {"status":"ok","outputs":["files.sanitized_csv_v1"],"artifacts":[PATH],
#             "metrics":{"kept":N,"dropped":M},"warnings":[],
#             "set":{"files.sanitized_csv_v1":PATH}}
#          ('dropped' counts the non-numeric lines; each is named on stderr)
#          exit 1, stdout an error envelope, when SRC is unset or unreadable or OUT_DIR
#          is outside the project or cannot be created.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/scriptlet.sh"

open_dest sanitized.csv

counts=$(awk -v dest="$dest.tmp" '
  BEGIN { print "value" > dest; kept = 0; dropped = 0 }
  {
    line = $0
    sub(/\r$/, "", line); sub(/#.*/, "", line)
    gsub(/^[ \t]+|[ \t]+$/, "", line)
    if (line == "" || tolower(line) == "value") next
    if (line ~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/) {
      print line > dest; kept++
    } else {
      printf "sanitize_csv: line %d dropped: %s\n", NR, line > "/dev/stderr"; dropped++
    }
  }
  END { print kept, dropped }
' "$SRC") || fail "awk could not sanitise '$SRC'"
mv "$dest.tmp" "$dest" || fail "cannot write '$dest'"
read -r kept dropped <<<"$counts"

warning=""
[ "$kept" -gt 0 ] || warning="no numbers left after sanitising $SRC"
echo "sanitize_csv: kept $kept, dropped $dropped -> $dest" >&2
emit_ok files.sanitized_csv_v1 "\"kept\":$kept,\"dropped\":$dropped" "$warning"
