#!/usr/bin/env bash
# make bench-tls: the append workloads against a development-mode server
# (plaintext, no policy) and then against one with TLS, client certificates
# and an access policy, and the TLS figures as a share of the plaintext
# ones. Extra arguments go to the load generator.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
workloads=${WORKLOADS:-noop,append_single,append_stream,append_batch}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for mode in plaintext cert token; do
  if [ "$mode" = plaintext ]; then tls=""; else tls=$mode; fi
  echo "== $mode"
  BENCH_TLS=$tls "$here/run_server_bench.sh" --workloads="$workloads" "$@" |
    grep '^workload=' | sed "s/^/mode=$mode /" | tee -a "$results"
done
echo
printf '%-16s %14s %14s %8s %14s %8s\n' workload plaintext/s tls+cert/s share \
  tls+token/s share
for w in ${workloads//,/ }; do
  rate() {
    sed -n "s/^mode=$1 workload=$w .*events_per_s=\([0-9.]*\).*/\1/p" \
      "$results" | head -1
  }
  p=$(rate plaintext)
  c=$(rate cert)
  t=$(rate token)
  awk -v w="$w" -v p="$p" -v c="$c" -v t="$t" 'BEGIN {
    printf "%-16s %14.0f %14.0f %7.0f%% %14.0f %7.0f%%\n", w, p, c,
      (p > 0 ? 100 * c / p : 0), t, (p > 0 ? 100 * t / p : 0) }'
done
