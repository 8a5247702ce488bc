#!/usr/bin/env bash
# NAME     sanitize_csv.sh
# DESC     Clean a one-column numbers CSV: trim spaces, drop blank lines, comments (from '#'
#          to the end of the line), the 'value' header and anything that is not a number.
#          Writes sanitized.csv (header 'value', one number a line) for load_numbers.
# USAGE    SRC=recipes/data/dirty_numbers.csv OUT_DIR=/tmp/out scriptlets/shell/sanitize_csv.sh
#          recipe: {type: shell, script: scriptlets/shell/sanitize_csv.sh,
#                   args: {src: "${DATA}/dirty_numbers.csv", out_dir: "${ARTIFACTS}"}}
# ENV      SRC             the CSV to clean (required)
#          OUT_DIR         folder for sanitized.csv, created if missing
#                          (default: $ORCH_ARTIFACTS, else ./artifacts)
#          ORCH_ARTIFACTS  this run's artifact folder, ORCH_STEP the step name (from the runner)
# RETURNS  exit 0, stdout one JSON line with the absolute path of sanitized.csv:
#            {"status":"ok","outputs":["files.sanitized_csv_v1"],"artifacts":[PATH],
#             "metrics":{"kept":N,"dropped":M},"warnings":[],
#             "set":{"files.sanitized_csv_v1":PATH}}
#          ('dropped' counts the non-numeric lines; each is named on stderr)
#          exit 1, stdout an error envelope, when SRC is unset or unreadable or OUT_DIR
#          cannot be created.
set -u

json_string() {  # $1 as a JSON string literal
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g')"
}

fail() {
  printf '{"status":"error","reason":%s,"details":{},"exit_code":1,"step":%s,"ts":"%s"}\n' \
    "$(json_string "$1")" "$(json_string "${ORCH_STEP:-sanitize_csv}")" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  exit 1
}

[ -n "${SRC:-}" ] || fail "SRC is not set: pass args {src: PATH}"
[ -f "$SRC" ] && [ -r "$SRC" ] || fail "SRC '$SRC' is not a readable file"
out_dir="${OUT_DIR:-${ORCH_ARTIFACTS:-artifacts}}"
mkdir -p "$out_dir" 2>/dev/null || fail "cannot create OUT_DIR '$out_dir'"
dest="$(cd "$out_dir" && pwd)/sanitized.csv"

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

warnings=""
[ "$kept" -gt 0 ] || warnings=$(json_string "no numbers left after sanitising $SRC")
echo "sanitize_csv: kept $kept, dropped $dropped -> $dest" >&2
path=$(json_string "$dest")
printf '{"status":"ok","outputs":["files.sanitized_csv_v1"],"artifacts":[%s],' "$path"
printf '"metrics":{"kept":%d,"dropped":%d},"warnings":[%s],' "$kept" "$dropped" "$warnings"
printf '"set":{"files.sanitized_csv_v1":%s}}\n' "$path"
