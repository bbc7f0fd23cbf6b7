#!/usr/bin/env bash
# make bench: starts missionlogd on a scratch directory and a free loopback
# port, runs the load generator's workloads against it, stops it, and prints
# the results as a table. Extra arguments go to the load generator.
set -euo pipefail
build=${BUILD_DIR:-build}
# shellcheck source=bench/servers.sh
source "$(dirname "$0")/servers.sh"
out="$scratch/results"

start_server missionlogd "$build/services/missionlogd" --listen=127.0.0.1:0 --http_listen= \
  --data_dir="$scratch/data"
echo "missionlogd on ${address[missionlogd]}, data in $scratch/data"

"$build/bench/load_generator" --server="${address[missionlogd]}" "$@" |
  tee "$out"
echo
printf '%-18s %8s %12s %10s %10s\n' workload clients events/s p50_ms p99_ms
sed -E 's/.*workload=([^ ]+) clients=([^ ]+).* events_per_s=([^ ]+) p50_ms=([^ ]+) p99_ms=([^ ]+).*/\1 \2 \3 \4 \5/' \
  "$out" | while read -r w c e p50 p99; do
  printf '%-18s %8s %12s %10s %10s\n' "$w" "$c" "$e" "$p50" "$p99"
done
