#!/usr/bin/env bash
# `make cluster`: three etcd members and three missionlogd nodes on
# loopback, each with a scratch directory under CLUSTER_DIR, until Ctrl-C
# (README "Running three nodes"). Prints how to use them.
#
#   etcd members   127.0.0.1:7621, :7622, :7623 (peers :7631-:7633)
#   missionlogd    127.0.0.1:7601 (node a), :7602 (b), :7603 (c)
set -euo pipefail
BUILD_DIR=${BUILD_DIR:-build}
CLUSTER_DIR=${CLUSTER_DIR:-./missionlog-cluster}
# etcd's request limit, and the one missionlogd keeps under (10 MiB: an
# append of the default 16 MiB does not fit; the README says so).
MAX_REQUEST_BYTES=${MAX_REQUEST_BYTES:-10485760}
cli=$BUILD_DIR/clients/missionlog
daemon=$BUILD_DIR/services/missionlogd
nodes=(a b c)

mkdir -p "$CLUSTER_DIR"
CLUSTER_DIR=$(cd "$CLUSTER_DIR" && pwd)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

initial=""
for i in 0 1 2; do
  initial+="${initial:+,}e$i=http://127.0.0.1:$((7631 + i))"
done
for i in 0 1 2; do
  # --snapshot-count etc. are etcd's defaults; the quota is raised from
  # 2 GiB to 8 GiB (missionlogd compacts what every node has applied).
  etcd --name "e$i" --data-dir "$CLUSTER_DIR/etcd$i" \
    --listen-client-urls "http://127.0.0.1:$((7621 + i))" \
    --advertise-client-urls "http://127.0.0.1:$((7621 + i))" \
    --listen-peer-urls "http://127.0.0.1:$((7631 + i))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((7631 + i))" \
    --initial-cluster "$initial" --initial-cluster-state new \
    --initial-cluster-token missionlog \
    --max-request-bytes "$MAX_REQUEST_BYTES" \
    --quota-backend-bytes 8589934592 \
    >"$CLUSTER_DIR/etcd$i.log" 2>&1 &
  pids+=($!)
done

# Until every member answers (one that cannot start, e.g. on a port in
# use, stops the script).
for i in 0 1 2; do
  until ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$((7621 + i))" \
    --dial-timeout=1s endpoint health >/dev/null 2>&1; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "etcd member e$i did not start:" >&2
      tail -5 "$CLUSTER_DIR/etcd$i.log" >&2
      exit 1
    fi
    sleep 0.2
  done
done

# Each node's own key, all named after the log (ORIGIN), listed in the
# configuration.
ORIGIN=${ORIGIN:-localhost/missionlog-cluster}
config=$CLUSTER_DIR/cluster.conf
if [ ! -f "$config" ]; then
  echo "# node NAME ADDRESS VERIFIER_KEY (deploy/cluster.sh)" >"$config.tmp"
  for i in 0 1 2; do
    n=${nodes[$i]}
    mkdir -p "$CLUSTER_DIR/$n"
    "$cli" keygen --origin="$ORIGIN" --out="$CLUSTER_DIR/$n/node" >/dev/null
    echo "node $n 127.0.0.1:$((7601 + i)) $(cat "$CLUSTER_DIR/$n/node.pub")" \
      >>"$config.tmp"
  done
  mv "$config.tmp" "$config"
fi

for i in 0 1 2; do
  n=${nodes[$i]}
  "$daemon" --listen="127.0.0.1:$((7601 + i))" \
    --http_listen="127.0.0.1:$((7681 + i))" \
    --data_dir="$CLUSTER_DIR/$n/data" \
    --signing_key="$CLUSTER_DIR/$n/node.key" \
    --cluster="$config" --node="$n" \
    --etcd_endpoints=127.0.0.1:7621,127.0.0.1:7622,127.0.0.1:7623 \
    --etcd_max_request_bytes="$MAX_REQUEST_BYTES" ${NODE_FLAGS:-} \
    >"$CLUSTER_DIR/$n.log" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  until grep -q "listening on" "$CLUSTER_DIR/${nodes[$i]}.log" 2>/dev/null; do
    if ! kill -0 "${pids[$((3 + i))]}" 2>/dev/null; then
      cat "$CLUSTER_DIR/${nodes[$i]}.log" >&2
      exit 1
    fi
    sleep 0.2
  done
done

cat <<INFO
Three etcd members and three missionlogd nodes are running (logs and data
in $CLUSTER_DIR):
  node a  127.0.0.1:7601    node b  127.0.0.1:7602    node c  127.0.0.1:7603
  consoles  http://127.0.0.1:7681/  http://127.0.0.1:7682/  http://127.0.0.1:7683/

Try, in another terminal:
  export MISSIONLOG_SERVER=127.0.0.1:7601,127.0.0.1:7602,127.0.0.1:7603
  $cli append dept/notes/1 NoteRecorded '{"text":"hello"}'
  $cli --server=127.0.0.1:7603 read dept/notes/1
  $cli --server=127.0.0.1:7602 head
  $cli --server=127.0.0.1:7602 verify --require-cosigners=3 \\
    --key=$CLUSTER_DIR/a/node.pub,$CLUSTER_DIR/b/node.pub,$CLUSTER_DIR/c/node.pub

Ctrl-C stops them all (the data stays; rm -rf $CLUSTER_DIR to start anew).
INFO
# A process killed (to try the failure behaviour) leaves the others
# running; Ctrl-C stops them all.
wait
