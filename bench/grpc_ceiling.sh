#!/usr/bin/env bash
# make bench-grpc: what gRPC and the kernel cost on this machine before
# Missionlog does anything. The same clients drive two servers side by
# side, ROUNDS times in turn: bench's empty_server (no store, no disk: see
# empty_server.cc) and missionlogd on a scratch store. Client and servers
# share the machine's cores, as in `make bench`.
#   unary:  GetHead, 64 calls in flight, from the load generator (gRPC's C++
#           callback client, over one connection and over four) and from
#           h2load (nghttp2's load tool, a lean C HTTP/2 client);
#   read:   the whole log (1,000,000 events of the load generator's shape;
#           the empty server sends one canned message again and again),
#           from the load generator's read_all (parses every message) and
#           from h2load (three reads, parses nothing);
#   fanout: the load generator's subscribe_fanout (100 subscribers, 10,000
#           events/s), the empty server sending each append's events to
#           every subscriber at once, without storing them.
set -euo pipefail
build=${BUILD_DIR:-build}
rounds=${ROUNDS:-2}
calls=${CALLS:-100000}

if ! command -v h2load >/dev/null; then
  echo "bench-grpc: installing nghttp2-client (h2load)"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q \
    --no-install-recommends nghttp2-client >/dev/null
fi

# shellcheck source=bench/servers.sh
source "$(dirname "$0")/servers.sh"

start_server empty "$build/bench/empty_server" --listen=127.0.0.1:0
start_server missionlogd "$build/services/missionlogd" --listen=127.0.0.1:0 --http_listen= \
  --data_dir="$scratch/data"
read_events=1000000

# An empty GetHeadRequest as a gRPC message: no compression, length 0.
printf '\x00\x00\x00\x00\x00' >"$scratch/empty.grpc"

h2() {
  h2load "$@" -H 'content-type: application/grpc' -H 'te: trailers'
}

printf '%-12s %-32s %12s\n' server "client (GetHead)" calls/s
for _ in $(seq 1 "$rounds"); do
  for server in empty missionlogd; do
    for channels in 1 4; do
      rate=$("$build/bench/load_generator" --server="${address[$server]}" \
        --workloads=noop --ops="$calls" --channels="$channels" |
        sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p')
      printf '%-12s %-32s %12s\n' "$server" \
        "load_generator, $channels connection(s)" "$rate"
    done
    rate=$(h2 -n "$calls" -c 4 -m 16 -d "$scratch/empty.grpc" \
      "http://${address[$server]}/missionlog.v1.EventStore/GetHead" |
      sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p')
    printf '%-12s %-32s %12.0f\n' "$server" "h2load, 4 connections" "$rate"
  done
done

# The log the read workloads read, in missionlogd: the load generator's
# events, 100 to an append.
"$build/bench/load_generator" --server="${address[missionlogd]}" \
  --workloads=append_batch --batch_events="$read_events" >/dev/null
# ReadRequest{all: {}} as a gRPC message.
printf '\x00\x00\x00\x00\x02\x12\x00' >"$scratch/read_all.grpc"

echo
printf '%-12s %-32s %12s\n' server "client (Read of the log)" events/s
for _ in $(seq 1 "$rounds"); do
  for server in empty missionlogd; do
    rate=$("$build/bench/load_generator" --server="${address[$server]}" \
      --workloads=read_all | sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p')
    printf '%-12s %-32s %12s\n' "$server" "load_generator read_all" "$rate"
    seconds=$(h2 -n 3 -c 1 -m 1 -d "$scratch/read_all.grpc" \
      "http://${address[$server]}/missionlog.v1.EventStore/Read" |
      sed -n 's/^finished in \([0-9.]*\)\(m*\)s.*/\1 \2/p' |
      awk '{print ($2 == "m") ? $1 / 1000 : $1}')
    printf '%-12s %-32s %12.0f\n' "$server" "h2load, 3 reads" \
      "$(awk -v n="$read_events" -v s="$seconds" 'BEGIN {print 3 * n / s}')"
  done
done

echo
printf '%-12s %-32s %10s %10s\n' server "client (100 subscribers)" p50_ms p99_ms
for _ in $(seq 1 "$rounds"); do
  for server in empty missionlogd; do
    "$build/bench/load_generator" --server="${address[$server]}" \
      --workloads=subscribe_fanout |
      sed -n 's/.*p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\).*/\1 \2/p' |
      while read -r p50 p99; do
        printf '%-12s %-32s %10s %10s\n' "$server" \
          "load_generator subscribe_fanout" "$p50" "$p99"
      done
  done
done
