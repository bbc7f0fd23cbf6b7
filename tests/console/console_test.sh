#!/usr/bin/env bash
# The console's browser tests (console/tests/console.test.mjs): a real
# missionlogd on free loopback ports with the demo data imported (as
# deploy/demo.sh does), then Debian's chromium headless through
# playwright-core. Screenshots go to BUILD_DIR/console-screenshots.
#   tests/console/console_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
cli="$build/clients/missionlog"
scratch=$(mktemp -d /tmp/missionlog-console-XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT

: >"$scratch/log"  # exists before the server's shell opens it
"$build/services/missionlogd" --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
  --data_dir="$scratch/store" >"$scratch/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "console and JSON API on" "$scratch/log" && break
  sleep 0.1
done
export MISSIONLOG_SERVER=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$scratch/log" | head -1)
url=$(sed -n 's/.*console and JSON API on \(http[^ ]*\)\/$/\1/p' "$scratch/log" | head -1)
[ -n "$url" ] || { cat "$scratch/log"; exit 1; }

cd "$source_dir"
"$cli" import govuk-orgs data/govuk-organisations/organisations-2023-02-01.json \
  data/govuk-organisations/organisations-2023-03-01.json >/dev/null
"$cli" import ifg-ministers data/ifg-ministers >/dev/null
"$cli" import spend-25k data/hmt-spend-25k >/dev/null
"$cli" import ocds data/ocds/releases data/ocds/records >/dev/null
"$cli" command --file=data/missions-2024.jsonl >/dev/null
"$cli" append test/xss/1 test.note.v1 \
  '{"title":"<script>window.__pwned=1</script>"}' >/dev/null
# Every projection has applied everything, and a checkpoint covers it,
# before the browser asks.
head=$("$cli" head --json | sed -E 's/.*"next_position":"?([0-9]+).*/\1/')
until "$cli" projections status --json | grep -q . &&
  ! "$cli" projections status | awk -v h="$head" 'NR > 1 && $3 < h { bad = 1 } END { exit !bad }'; do
  sleep 0.1
done
until "$cli" checkpoint --json | grep -q "\"tree_size\":$head,"; do sleep 0.1; done

MISSIONLOG_URL=$url MISSIONLOG_KEY=$(cat "$scratch/store/log.pub") \
  NPM_DIR="$build/console-npm" SCREENSHOTS="$build/console-screenshots" \
  node --test --test-concurrency=1 "$source_dir/console/tests/console.test.mjs"
