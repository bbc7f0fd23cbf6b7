#!/usr/bin/env bash
# make bench: starts missionlogd on a scratch directory and a free loopback
# port, runs the load generator's workloads against it, stops it, and prints
# the results as a table. Extra arguments go to the load generator.
#
# BENCH_TLS=cert: the server with TLS, client certificates and an access
# policy, the load generator authenticating with a client certificate;
# BENCH_TLS=token: the same with a bearer token instead. Unset: development
# mode (plaintext, no policy).
set -euo pipefail
build=${BUILD_DIR:-build}
data=$(mktemp -d /tmp/missionlog-bench-XXXXXX)
out=$(mktemp)
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data" "$out"' EXIT

server_flags=()
client_flags=()
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${BENCH_TLS:-}" ]; then
  tls="$data/tls"
  "$here/deploy/make-certs.sh" "$tls" localhost loadgen >/dev/null
  cat > "$data/policy.textproto" <<'POLICY'
grants {
  principals: "loadgen"
  roles: [WRITER, AUDITOR, INQUIRY]
  stream_prefixes: "loadgen/"
}
POLICY
  server_flags=(--tls_cert="$tls/server.pem" --tls_key="$tls/server.key"
    --tls_client_ca="$tls/ca.pem" --policy="$data/policy.textproto")
  client_flags=(--tls_ca="$tls/ca.pem")
  if [ "$BENCH_TLS" = token ]; then
    "$build/clients/missionlog" token loadgen --tokens-file="$data/tokens" \
      > "$data/token" 2>/dev/null
    server_flags+=(--tokens="$data/tokens")
    client_flags+=(--token="$(cat "$data/token")")
  else
    client_flags+=(--tls_cert="$tls/loadgen.pem" --tls_key="$tls/loadgen.key")
  fi
fi

"$build/services/missionlogd" --listen=127.0.0.1:0 --data_dir="$data" \
  ${server_flags[@]+"${server_flags[@]}"} >"$out" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$out" && break
  sleep 0.1
done
address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$out" | head -1)
[ -n "$address" ] || { echo "missionlogd did not start:"; cat "$out"; exit 1; }
echo "missionlogd on $address, data in $data"

"$build/bench/load_generator" --server="$address" \
  ${client_flags[@]+"${client_flags[@]}"} "$@" | tee "$out.results"
echo
printf '%-18s %8s %12s %10s %10s\n' workload clients events/s p50_ms p99_ms
sed -E 's/.*workload=([^ ]+) clients=([^ ]+).* events_per_s=([^ ]+) p50_ms=([^ ]+) p99_ms=([^ ]+).*/\1 \2 \3 \4 \5/' \
  "$out.results" | while read -r w c e p50 p99; do
  printf '%-18s %8s %12s %10s %10s\n' "$w" "$c" "$e" "$p50" "$p99"
done
rm -f "$out.results"
