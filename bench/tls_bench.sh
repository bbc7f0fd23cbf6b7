#!/usr/bin/env bash
# make bench-tls: the append workloads against three servers side by side:
# development mode (plaintext, no policy), TLS with client certificates and
# an access policy, and TLS with a bearer token and the policy. Each
# workload runs against the three in turn, ROUNDS times (so a VM that
# slows down over the run does not favour the first mode), and the best
# round of each is reported, with the TLS figures as a share of plaintext.
# Extra arguments go to the load generator.
set -euo pipefail
build=${BUILD_DIR:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
workloads=${WORKLOADS:-noop,append_single,append_stream,append_batch}
rounds=${ROUNDS:-2}
# shellcheck source=bench/servers.sh
source "$here/bench/servers.sh"

tls="$scratch/tls"
"$here/deploy/make-certs.sh" "$tls" localhost loadgen >/dev/null
cat > "$scratch/policy.textproto" <<'POLICY'
grants {
  principals: "loadgen"
  roles: [WRITER, AUDITOR, INQUIRY]
  stream_prefixes: "loadgen/"
}
POLICY
"$build/clients/missionlog" token loadgen --tokens-file="$scratch/tokens" \
  > "$scratch/token" 2>/dev/null
secure=(--tls_cert="$tls/server.pem" --tls_key="$tls/server.key"
  --tls_client_ca="$tls/ca.pem" --policy="$scratch/policy.textproto"
  --tokens="$scratch/tokens")

declare -A client
start() {  # mode, server flags...
  local mode=$1
  shift
  start_server "$mode" "$build/services/missionlogd" --listen=127.0.0.1:0 --http_listen= \
    --data_dir="$scratch/data-$mode" "$@"
}
start plaintext
start cert "${secure[@]}"
start token "${secure[@]}"
client[plaintext]=""
client[cert]="--tls_ca=$tls/ca.pem --tls_cert=$tls/loadgen.pem --tls_key=$tls/loadgen.key"
client[token]="--tls_ca=$tls/ca.pem --token=$(cat "$scratch/token")"

results="$scratch/results"
for w in ${workloads//,/ }; do
  for round in $(seq 1 "$rounds"); do
    for mode in plaintext cert token; do
      # shellcheck disable=SC2086
      "$build/bench/load_generator" --server="${address[$mode]}" \
        ${client[$mode]} --workloads="$w" "$@" |
        grep '^workload=' | sed "s/^/mode=$mode round=$round /" |
        tee -a "$results"
    done
  done
done

echo
printf '%-16s %14s %14s %8s %14s %8s\n' workload plaintext/s tls+cert/s share \
  tls+token/s share
for w in ${workloads//,/ }; do
  best() {
    sed -n "s/^mode=$1 round=[0-9]* workload=$w .*events_per_s=\([0-9.]*\).*/\1/p" \
      "$results" | sort -g | tail -1
  }
  p=$(best plaintext)
  c=$(best cert)
  t=$(best token)
  awk -v w="$w" -v p="$p" -v c="$c" -v t="$t" 'BEGIN {
    printf "%-16s %14.0f %14.0f %7.0f%% %14.0f %7.0f%%\n", w, p, c,
      (p > 0 ? 100 * c / p : 0), t, (p > 0 ? 100 * t / p : 0) }'
done
