# Sourced by the curriculum's shell scriptlets: their envelopes and their SRC / OUT_DIR
# handling. The error envelope names the step $ORCH_STEP, else the script's own name.

json_string() {  # $1 as a JSON string literal
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g')"
}

fail() {  # print the error envelope with reason $1 and exit 1
  printf '{"status":"error","reason":%s,"details":{},"exit_code":1,"step":%s,"ts":"%s"}\n' \
    "$(json_string "$1")" "$(json_string "${ORCH_STEP:-$(basename "$0" .sh)}")" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  exit 1
}

# open_dest FILE: refuse an unset or unreadable SRC, create OUT_DIR (default $ORCH_ARTIFACTS,
# else ./artifacts) and set dest to the absolute path of FILE in it.
open_dest() {
  [ -n "${SRC:-}" ] || fail "SRC is not set: pass args {src: PATH}"
  [ -f "$SRC" ] && [ -r "$SRC" ] || fail "SRC '$SRC' is not a readable file"
  local out_dir="${OUT_DIR:-${ORCH_ARTIFACTS:-artifacts}}"
  mkdir -p "$out_dir" 2>/dev/null || fail "cannot create OUT_DIR '$out_dir'"
  dest="$(cd "$out_dir" && pwd)/$1"
}

# emit_ok KEY METRICS [WARNING]: print the ok envelope of a step that wrote dest, published
# under context key KEY; METRICS is the inside of the metrics object ('"rows":3').
emit_ok() {
  local path warnings=""
  path=$(json_string "$dest")
  [ -z "${3:-}" ] || warnings=$(json_string "$3")
  printf '{"status":"ok","outputs":["%s"],"artifacts":[%s],"metrics":{%s},"warnings":[%s],' \
    "$1" "$path" "$2" "$warnings"
  printf '"set":{"%s":%s}}\n' "$1" "$path"
}
