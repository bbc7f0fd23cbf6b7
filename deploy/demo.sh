#!/usr/bin/env bash
# make demo: starts missionlogd on a temporary directory, imports the demo
# dataset in data/ (real ministers, spending and organisation changes, and
# the five missions of 2024 with clearly-labelled illustrative records),
# appends a decision with the CLI, and prints a short tour. On a terminal
# the server then keeps running until Ctrl-C, so you can try the CLI
# yourself; the temporary directory is deleted when it stops.
set -euo pipefail
build=${BUILD_DIR:-build}
cli="$build/clients/missionlog"
data=$(mktemp -d /tmp/missionlog-demo-XXXXXX)
log="$data/missionlogd.log"
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

"$build/services/missionlogd" --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --data_dir="$data/store" \
  >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$log" && break
  sleep 0.1
done
address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -1)
[ -n "$address" ] || { echo "missionlogd did not start:"; cat "$log"; exit 1; }
export MISSIONLOG_SERVER=$address

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }
show() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}" | cut -c1-200; }

console=$(sed -n 's/.*console and JSON API on \([^ ]*\).*/\1/p' "$log" | head -1)
echo "missionlogd on $address, data in $data/store; the console on $console"
step "Organisations: GOV.UK before and after the 7 Feb 2023 split of BEIS and DCMS" \
  "$cli" import govuk-orgs data/govuk-organisations/organisations-2023-02-01.json \
  data/govuk-organisations/organisations-2023-03-01.json
step "Ministers: the Institute for Government Ministers Database" \
  "$cli" import ifg-ministers data/ifg-ministers
step "Spending: HM Treasury payments over £25,000, April 2010 - March 2025" \
  "$cli" import spend-25k data/hmt-spend-25k
step "Contracts: OCDS releases and records from Contracts Finder" \
  "$cli" import ocds data/ocds/releases data/ocds/records
step "The five missions of 2024 (and illustrative records)" \
  "$cli" command --file=data/missions-2024.jsonl

show "A mission's stream" "$cli" read dhsc/mission/nhs
show "An appointment's events: Rachel Reeves, Chancellor of the Exchequer" \
  "$cli" read ifg/appointment/75a9bfc6-a9dc-448c-b6aa-32a35eaabdc4
show "An organisation change: the UK Space Agency moves to DSIT" \
  "$cli" read govuk/organisation/uk-space-agency
show "A month of Treasury payments" "$cli" read hmt/spend/2024-03 --limit=5
step "Appending a decision with the CLI (an ILLUSTRATIVE one)" \
  "$cli" command RecordDecision --stream=dhsc/decision/illustrative-002 \
  --command-id=demo-decision-002 \
  '{"title": "ILLUSTRATIVE: publish diagnostic waits weekly", "decision": "ILLUSTRATIVE: publish waits for each community diagnostic centre every week", "forum": "Health mission board (illustrative)", "level": "DECISION_LEVEL_DEPARTMENT", "decided_by": [{"post": {"stream": "ifg/post/34af9aa7-d349-4d36-9017-611292586653"}}], "missions": [{"stream": "dhsc/mission/nhs"}], "decided_on": {"year": 2025, "month": 3, "day": 3}}'
head=$("$cli" head --json | sed 's/.*"next_position":\([0-9]*\).*/\1/')
show "Who was Chancellor of the Exchequer on 1 January 2023?" \
  "$cli" query government-on 2023-01-01 --post="Chancellor of the Exchequer" \
  --min-position="$head"
show "Who was Prime Minister on 24 and on 25 October 2022?" \
  "$cli" query government-on 2022-10-24 --rank=PM
show "" "$cli" query government-on 2022-10-25 --rank=PM
show "Who owns the NHS mission (and who held that post)?" \
  "$cli" query who-owned dhsc/mission/nhs 2025-01-01
show "HM Treasury's payments over £25,000 in 2023-24, by month" \
  "$cli" query spending --organisation=hmt --fiscal-year=2023-24
show "Where were the NHS mission's decisions made?" \
  "$cli" query decision-locus dhsc/mission/nhs
show "Which concerns were overdue on 1 April 2025?" \
  "$cli" query concerns --overdue-on=2025-04-01
show "What was decided while a concern about the decision was open?" \
  "$cli" query decisions-over-open-concerns dhsc/decision/illustrative-001
show "Contribution claims on the growth mission with nothing behind them" \
  "$cli" query mission-washing hmt/mission/growth
printf '\n\033[1m== Events by type\033[0m\n'
"$cli" read --all --json | sed -n 's/.*"type":"\([^"]*\)".*/\1/p' | sort |
  uniq -c | sort -rn
"$cli" head

if [ -t 0 ] && [ -t 1 ]; then
  cat <<EOT

The demo server keeps running on $address. In another terminal:
  export MISSIONLOG_SERVER=$address
  $cli command list
  $cli read dhsc/decision/illustrative-002
  $cli query government-on 2010-05-12
  $cli projections status
  $cli tail --from=now
Ctrl-C stops it and deletes $data.
EOT
  wait "$pid" || true
fi
