#!/usr/bin/env bash
# The architecture as a test: every #include of our own code points down
# the one direction of dependencies (docs/architecture.md), and outside the
# engine only its contract headers are used.
#
#   base <- tlog <- eventstore <- domain <- projections <- services
#   cluster (etcd and the replicated log) uses the engine; services use it
#   clients use base, tlog and domain (and the generated protos), but not
#   the domain's command path, which runs over the engine
#
# Tests, fuzzers and benchmarks may reach anything (white-box tests of the
# engine link its internals on purpose).
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"

declare -A allowed=(
  [base]="base"
  [tlog]="base tlog"
  [sealing]="base sealing"
  [eventstore]="base tlog eventstore"
  [domain]="base tlog sealing eventstore domain"
  [projections]="base tlog sealing eventstore domain projections"
  [cluster]="base tlog eventstore cluster"
  [services]="base tlog sealing eventstore domain projections cluster services"
  [clients]="base tlog sealing domain clients"
)
# The engine's contract: what code outside eventstore/ may include.
contract="event_store.h event_log.h tree_reader.h checkpoint_store.h
  projection_store.h replica_store.h sealed_store.h options.h recorded_event.h clock.h
  checkpointer.h backups.h"

failures=0
for folder in "${!allowed[@]}"; do
  [ -d "$folder" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    included=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
    top=${included%%/*}
    # Generated protos and third-party headers are not layers.
    [ -d "$top" ] || continue
    case "$top" in proto|tests|bench|fuzz|data|deploy|docs|console) continue ;; esac
    if ! grep -qw "$top" <<<"${allowed[$folder]}"; then
      echo "layering: $file includes $included ($folder may not use $top)"
      failures=$((failures + 1))
    elif [ "$folder" = clients ] && [ "$included" = domain/command_handler.h ]; then
      echo "layering: $file includes $included (the command path runs in the server)"
      failures=$((failures + 1))
    elif [ "$top" = eventstore ] && [ "$folder" != eventstore ] &&
         ! grep -qw "$(basename "$included")" <<<"$contract"; then
      echo "layering: $file includes $included (not part of the engine's contract)"
      failures=$((failures + 1))
    fi
  done < <(grep -rHn --include='*.h' --include='*.cc' '^#include "' "$folder" || true)
done
if [ "$failures" -gt 0 ]; then
  echo "layering: $failures include(s) against the architecture"
  exit 1
fi
echo "layering: every include points down the layers"
