#!/usr/bin/env bash
# Builds the fuzz preset (clang, libFuzzer, ASan+UBSan) and runs each fuzz
# target for FUZZ_SECONDS seconds (default 10) from its seed corpus in
# fuzz/corpus/<target>, printing one line per target. Exits non-zero when any
# target crashes, leaks, times out or finds a property that does not hold;
# the input that did it is kept under build/fuzz/artifacts/<target>/.
#
#   bash scripts/fuzz.sh                     # every target, 10 s each
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh utf8 json_lines
#   FUZZ_SEED=1 bash scripts/fuzz.sh         # the same inputs every run
#
# New inputs that reach new code go to build/fuzz/corpus/<target>, which
# later runs start from too; the committed seeds are never written to.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-10}
all_targets=(utf8 line_splitter message_decoder json_lines recovery_store tcp_lines)
targets=("${@:-${all_targets[@]}}")
for target in "${targets[@]}"; do
  [[ -d fuzz/corpus/$target ]] || {
    echo "fuzz: unknown target \"$target\"; the targets are: ${all_targets[*]}" >&2
    exit 2
  }
done
[[ ${FUZZ_SEED:-1} =~ ^[1-9][0-9]*$ ]] || {
  echo "fuzz: FUZZ_SEED=\"$FUZZ_SEED\" is not a positive whole number" >&2
  exit 2
}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || {
  echo "fuzz: FUZZ_SECONDS=\"$seconds\" is not a whole number of seconds (1 or more)" >&2
  exit 2
}

cmake --preset fuzz >/dev/null
nice cmake --build --preset fuzz

# The targets write their scratch files under TMPDIR; a memory file system
# keeps the recovery store's fsyncs cheap.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi

build=build/fuzz
failed=0
total=0
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  artifacts=$build/artifacts/$target
  log=$build/logs/$target.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  flags=(-max_total_time="$seconds" -timeout=30 -print_final_stats=1 -artifact_prefix="$artifacts/")
  [[ -n ${FUZZ_SEED:-} ]] && flags+=(-seed="$FUZZ_SEED")
  # The TCP subject warns on stderr about every line it drops.
  [[ $target == tcp_lines ]] && flags+=(-close_fd_mask=2)
  status=0
  nice "$build/fuzz/${target}_fuzzer" "${flags[@]}" "$corpus" "fuzz/corpus/$target" >"$log" 2>&1 ||
    status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  coverage=$(grep -aoE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
  if ((status == 0)); then
    result="ok"
  else
    failed=1
    artifact=$(grep -aoE "Test unit written to [^ ]+" "$log" | tail -1 | cut -d' ' -f5 || true)
    result="FAILED (exit $status${artifact:+, input $artifact}; log $log)"
  fi
  total=$((total + ${executions:-0}))
  printf 'fuzz %-16s %12s executions  coverage %6s  %s\n' \
    "$target" "${executions:-?}" "${coverage:-?}" "$result"
  if ((status != 0)); then
    { grep -aE "property failed|ERROR|SUMMARY|runtime error" -A2 "$log" || true; } | head -20 |
      sed 's/^/  /' >&2
  fi
done
printf 'fuzz: %d executions in %d targets, %d s each: %s\n' \
  "$total" "${#targets[@]}" "$seconds" "$( ((failed)) && echo FAILED || echo ok)"
exit "$failed"
