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

# inside_project PATH: whether PATH (links followed, missing parts allowed) lies inside the
# project ($ORCH_ROOTDIR, which the runner sets; the current directory when run on its own) or
# this run's artifact folder ($ORCH_ARTIFACTS): the only places a scriptlet writes.
inside_project() {
  local path root
  path=$(realpath -m -- "$1") || return 1
  for root in "${ORCH_ROOTDIR:-$PWD}" ${ORCH_ARTIFACTS:+"$ORCH_ARTIFACTS"}; do
    root=$(realpath -m -- "$root") || continue
    case "$path/" in "${root%/}/"*) return 0 ;; esac
  done
  return 1
}

# open_dest FILE: refuse an unset or unreadable SRC and an OUT_DIR outside the project, create
# OUT_DIR (default $ORCH_ARTIFACTS, else ./artifacts) and set dest to the absolute path of FILE
# in it.
open_dest() {
  [ -n "${SRC:-}" ] || fail "SRC is not set: pass args {src: PATH}"
  [ -f "$SRC" ] && [ -r "$SRC" ] || fail "SRC '$SRC' is not a readable file"
  local out_dir="${OUT_DIR:-${ORCH_ARTIFACTS:-artifacts}}"
  inside_project "$out_dir" || fail "OUT_DIR '$out_dir' is outside the project (${ORCH_ROOTDIR:-$PWD}${ORCH_ARTIFACTS:+ or $ORCH_ARTIFACTS})"
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
