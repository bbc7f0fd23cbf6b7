#!/usr/bin/env bash
# make bench-grpc: what a unary call costs on this machine before Missionlog
# does anything. GetHead is called on two servers side by side: bench's
# empty_server (a callback handler that does no work, nothing else
# registered) and missionlogd on a scratch store. Two clients drive each,
# 64 calls in flight: the load generator (gRPC's C++ callback client, over
# one connection and over four) and h2load (nghttp2's load tool, a lean C
# HTTP/2 client, over four connections), ROUNDS times in turn. Client and
# servers share the machine's cores, as in `make bench`.
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
start_server missionlogd "$build/services/missionlogd" --listen=127.0.0.1:0 \
  --data_dir="$scratch/data"

# An empty GetHeadRequest as a gRPC message: no compression, length 0.
printf '\x00\x00\x00\x00\x00' >"$scratch/empty.grpc"

printf '%-12s %-32s %12s\n' server client calls/s
for _ in $(seq 1 "$rounds"); do
  for server in empty missionlogd; do
    for channels in 1 4; do
      rate=$("$build/bench/load_generator" --server="${address[$server]}" \
        --workloads=noop --ops="$calls" --channels="$channels" |
        sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p')
      printf '%-12s %-32s %12s\n' "$server" \
        "load_generator, $channels connection(s)" "$rate"
    done
    rate=$(h2load -n "$calls" -c 4 -m 16 -d "$scratch/empty.grpc" \
      -H 'content-type: application/grpc' -H 'te: trailers' \
      "http://${address[$server]}/missionlog.v1.EventStore/GetHead" |
      sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p')
    printf '%-12s %-32s %12.0f\n' "$server" "h2load, 4 connections" "$rate"
  done
done
