#!/usr/bin/env bash
# make bench: starts missionlogd on a scratch directory and a free loopback
# port, runs the load generator's workloads against it, stops it, and prints
# the results as a table. Extra arguments go to the load generator.
set -euo pipefail
build=${BUILD_DIR:-build}
data=$(mktemp -d /tmp/missionlog-bench-XXXXXX)
out=$(mktemp)
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data" "$out"' EXIT

"$build/services/missionlogd" --listen=127.0.0.1:0 --data_dir="$data" >"$out" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$out" && break
  sleep 0.1
done
address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$out" | head -1)
[ -n "$address" ] || { echo "missionlogd did not start:"; cat "$out"; exit 1; }
echo "missionlogd on $address, data in $data"

"$build/bench/load_generator" --server="$address" "$@" | tee "$out.results"
echo
printf '%-18s %8s %12s %10s %10s\n' workload clients events/s p50_ms p99_ms
sed -E 's/.*workload=([^ ]+) clients=([^ ]+).* events_per_s=([^ ]+) p50_ms=([^ ]+) p99_ms=([^ ]+).*/\1 \2 \3 \4 \5/' \
  "$out.results" | while read -r w c e p50 p99; do
  printf '%-18s %8s %12s %10s %10s\n' "$w" "$c" "$e" "$p50" "$p99"
done
rm -f "$out.results"
