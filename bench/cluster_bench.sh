#!/usr/bin/env bash
# make bench-cluster: the same append and read workloads against one
# missionlogd and against the three-node cluster (deploy/cluster.sh: three
# etcd members and three nodes, all six processes on this machine), in the
# same run; then the failover time (kill -9 of the node a client uses, to
# its next acknowledged append on another) and the catch-up rate of a wiped
# node copying the log from a peer. Prints a table.
#
# OPS (append_single calls) and BATCH_EVENTS (events of append_batch) set
# the sizes, the same for both.
set -euo pipefail
build=${BUILD_DIR:-build}
# shellcheck source=bench/servers.sh
source "$(dirname "$0")/servers.sh"
workloads=(--workloads=append_single,append_batch,read_all
  --ops="${OPS:-20000}" --batch_events="${BATCH_EVENTS:-200000}")
cli=$build/clients/missionlog

echo "== one node"
start_server single "$build/services/missionlogd" --listen=127.0.0.1:0 --http_listen= \
  --data_dir="$scratch/single"
"$build/bench/load_generator" --server="${address[single]}" "${workloads[@]}" |
  tee "$scratch/single.out"
kill -TERM "${server_pids[0]}"
wait "${server_pids[0]}" || true

echo "== three nodes (node a's listener; every node applies everything)"
CLUSTER_DIR="$scratch/cluster" BUILD_DIR="$build" \
  NODE_FLAGS=--etcd_retention_interval_ms=500 \
  "$(dirname "$0")/../deploy/cluster.sh" >"$scratch/cluster.out" 2>&1 &
cluster_pid=$!
server_pids+=("$cluster_pid")
for _ in $(seq 1 150); do
  grep -q "Ctrl-C" "$scratch/cluster.out" && break
  sleep 0.2
done
grep -q "Ctrl-C" "$scratch/cluster.out" || { cat "$scratch/cluster.out"; exit 1; }
"$build/bench/load_generator" --server=127.0.0.1:7601 "${workloads[@]}" |
  tee "$scratch/cluster.bench"

echo "== failover: kill -9 node a while a client appends through a,b,c"
"$build/bench/failover_probe" --server=127.0.0.1:7601,127.0.0.1:7602,127.0.0.1:7603 \
  --seconds=8 >"$scratch/failover.out" &
probe=$!
sleep 3
kill -9 "$(pgrep -f -- '--node=a ' | head -1)"
wait "$probe"
cat "$scratch/failover.out"

echo "== catch-up: node c wiped, restarted, copies from a peer"
c_pid=$(pgrep -f -- '--node=c ' | head -1)
c_args=$(tr '\0' ' ' <"/proc/$c_pid/cmdline")
events=$("$cli" --server=127.0.0.1:7602 --json head |
  sed -E 's/.*"next_position":"?([0-9]+).*/\1/')
kill -9 "$c_pid"
rm -rf "$scratch/cluster/c/data"
# Wait until etcd has compacted what c would need (every node applied it).
sleep 2
started=$(date +%s.%N)
# shellcheck disable=SC2086
$c_args >"$scratch/c-again.log" 2>&1 &
c_again=$!
server_pids+=("$c_again")
until grep -q "copied up to" "$scratch/c-again.log"; do
  kill -0 "$c_again" 2>/dev/null || { cat "$scratch/c-again.log"; exit 1; }
  sleep 0.05
done
finished=$(date +%s.%N)
copied=$(sed -n 's/.*copied up to \([0-9]*\).*/\1/p' "$scratch/c-again.log")
grep "missionlogd: cop" "$scratch/c-again.log"

echo
printf '%-16s %14s %14s %8s\n' workload one_node three_nodes ratio
for w in append_single append_batch read_all; do
  one=$(sed -n "s/.*workload=$w .*events_per_s=\([0-9]*\).*/\1/p" "$scratch/single.out")
  three=$(sed -n "s/.*workload=$w .*events_per_s=\([0-9]*\).*/\1/p" "$scratch/cluster.bench")
  awk -v w="$w" -v one="$one" -v three="$three" \
    'BEGIN { printf "%-16s %14s %14s %7.0f%%\n", w, one, three, 100 * three / one }'
done
sed -E 's/failover longest_gap_ms=([0-9]+) appends=([0-9]+) failed=([0-9]+)/failover: longest wait for an acknowledged append \1 ms (\2 appends, \3 failed after all retries)/' \
  "$scratch/failover.out"
awk -v n="$copied" -v s="$started" -v f="$finished" -v e="$events" 'BEGIN {
  printf "catch-up: %d events copied and checked in %.2f s (%.0f events/s; the log had %d)\n",
    n, f - s, n / (f - s), e }'
