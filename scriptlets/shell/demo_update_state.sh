#!/usr/bin/env bash
# NAME     demo_update_state.sh
# DESC     An ops client outside pytest: updates the run's shared context through its context
#          server with `orchestrator ctx set --url`, as a shell on a DUT or a vendor tool would.
#          Writes ops.link_state_v1 (LINK_STATE) and ops.switch_v1 ({port: PORT, admin:
#          ADMIN}); the server commits them at once, under the writer WHO.
# USAGE    recipe: {type: shell, script: scriptlets/shell/demo_update_state.sh,
#                   args: {link_state: up, port: et-0/0/1}}   (after start_context_server_v2)
# ENV      LINK_STATE   the link state to report (default up)
#          PORT         the switch port (default et-0/0/1)
#          ADMIN        the port's admin state (default enabled)
#          WHO          the writer recorded in the history (default ops-client)
#          ACCESS_FILE  the server's token file (default $ORCH_ARTIFACTS/context_server.token)
#          ORCH_CONTEXT_FILE  this step's context snapshot (from the runner): the server's URL
#                       is its context_server.url_v1
# RETURNS  exit 0, stdout {"status":"ok","outputs":[],"metrics":{"writes":2},...}
#          exit 1, stdout an error envelope with the server's reason when a write is refused,
#          or when no server was started.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/scriptlet.sh"

url=$(orchestrator ctx get context_server.url_v1 2>/dev/null) \
  || fail "no context server: context_server.url_v1 is not set; run start_context_server_v2 first"
access="${ACCESS_FILE:-${ORCH_ARTIFACTS:-artifacts}/context_server.token}"

put() {  # put KEY VALUE: one write through the server, or the error envelope with its reason
  local said
  said=$(orchestrator ctx set "$1" "$2" --url "$url" --who "${WHO:-ops-client}" \
         --token-file "$access" 2>&1) || fail "$(printf '%s' "$said" | tr '\n' ' ')"
  echo "demo_update_state: $said" >&2
}

put ops.link_state_v1 "${LINK_STATE:-up}"
put ops.switch_v1 "{\"port\": $(json_string "${PORT:-et-0/0/1}"), \"admin\": $(json_string "${ADMIN:-enabled}")}"
printf '{"status":"ok","outputs":[],"artifacts":[],"metrics":{"writes":2},"warnings":[]}\n'
