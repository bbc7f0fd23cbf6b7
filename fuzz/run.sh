#!/usr/bin/env bash
# Runs libFuzzer targets built by `make fuzz` (in $FUZZ_DIR) for
# $FUZZ_SECONDS each, $FUZZ_JOBS at a time, starting from the committed
# corpus in fuzz/corpus/<target>/ (read only) plus a scratch corpus in
# $FUZZ_DIR/corpus/<target>/. Crashes, leaks and sanitizer reports are
# kept as $FUZZ_DIR/findings/<target>-*. With FUZZ_MERGE=1, inputs that
# add coverage are merged (minimised) into the committed corpus afterwards.
# Prints one line per target and exits 1 if any target found something.
#
#   FUZZ_DIR=build-fuzz FUZZ_SECONDS=600 fuzz/run.sh csv_fuzzer ...
set -uo pipefail
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}
FUZZ_MERGE=${FUZZ_MERGE:-0}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$FUZZ_DIR/findings" "$FUZZ_DIR/logs"

run_one() {
  local target=$1
  local binary="$FUZZ_DIR/fuzz/$target"
  mkdir -p "$FUZZ_DIR/corpus/$target"
  "$binary" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$FUZZ_DIR/findings/$target-" \
    "$FUZZ_DIR/corpus/$target" "$here/corpus/$target" \
    > "$FUZZ_DIR/logs/$target.log" 2>&1
  local status=$?
  local log="$FUZZ_DIR/logs/$target.log"
  local runs execs cov corpus
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(ls "$FUZZ_DIR/corpus/$target" "$here/corpus/$target" | grep -vc ':$\|^$')
  local found
  found=$(ls "$FUZZ_DIR/findings" | grep -c "^$target-" || true)
  printf 'fuzzer=%s seconds=%s runs=%s exec_per_s=%s coverage=%s corpus=%s findings=%s exit=%s\n' \
    "$target" "$FUZZ_SECONDS" "${runs:-?}" "${execs:-?}" "${cov:-?}" \
    "$corpus" "$found" "$status"
  if [ "$FUZZ_MERGE" = 1 ] && [ "$status" = 0 ]; then
    "$binary" -merge=1 -max_len=16384 "$here/corpus/$target" \
      "$FUZZ_DIR/corpus/$target" >> "$log" 2>&1
  fi
  [ "$status" = 0 ]
}
export -f run_one
export FUZZ_DIR FUZZ_SECONDS FUZZ_MERGE here

printf '%s\n' "$@" | xargs -P "$FUZZ_JOBS" -I{} bash -c 'run_one {}'
status=$?
if [ $status -ne 0 ]; then
  echo "fuzz: findings in $FUZZ_DIR/findings (logs in $FUZZ_DIR/logs)" >&2
  exit 1
fi
