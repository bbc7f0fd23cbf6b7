# Sourced by the bench scripts: a scratch directory, servers started on free
# loopback ports, and both removed on exit.
#
#   scratch           the scratch directory (removed on exit)
#   start_server NAME COMMAND...
#                     runs COMMAND (which must print "listening on ADDRESS"),
#                     waits for that line, and sets address[NAME]
# Servers get SIGTERM on exit, and are waited for.
scratch=$(mktemp -d /tmp/missionlog-bench-XXXXXX)
server_pids=()
declare -A address
stop_servers() {
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap stop_servers EXIT

start_server() {
  local name=$1
  shift
  local out="$scratch/$name.out"
  "$@" >"$out" 2>&1 &
  server_pids+=($!)
  for _ in $(seq 1 100); do
    grep -q "listening on" "$out" && break
    sleep 0.1
  done
  address[$name]=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$out" | head -1)
  [ -n "${address[$name]}" ] || { echo "$name did not start:"; cat "$out"; exit 1; }
}
