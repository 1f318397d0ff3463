#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan+UBSan) into build-fuzz/ and runs
# each for SECONDS (default 60), starting from its seed corpus in the repo
# (<dir>/testdata/fuzz/<harness>/); inputs found are kept in build-fuzz/corpus/.
# Prints executions and coverage per harness. Exits 1 on a crash, leak or
# timeout, printing the reproducer's path and the command that replays it.
#   tools/fuzz.sh [SECONDS] [HARNESS...]        # default: every harness
# Needs clang-14 and libclang-rt-14-dev (tools/install-deps.sh fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
all=(frame_fuzz auth_fuzz agent_session_fuzz agent_client_fuzz matrix_fuzz expected_table_fuzz results_fuzz)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

# Where each harness's seeds live, and its largest input: the seeds' size
# with room to grow, small enough to keep executions fast.
declare -A seeds=(
  [frame_fuzz]=agents/protocol [auth_fuzz]=agents/protocol [agent_session_fuzz]=agents/agent
  [agent_client_fuzz]=suite/coordinator [matrix_fuzz]=suite/matrix
  [expected_table_fuzz]=suite/expect [results_fuzz]=suite/cli)
declare -A max_len=(
  [frame_fuzz]=4096 [auth_fuzz]=4096 [agent_session_fuzz]=16384 [agent_client_fuzz]=16384
  [matrix_fuzz]=16384 [expected_table_fuzz]=32768 [results_fuzz]=32768)
for h in "${harnesses[@]}"; do
  [ -n "${seeds[$h]:-}" ] || { echo "fuzz.sh: unknown harness '$h' (known: ${all[*]})" >&2; exit 2; }
done

cxx=${CXX_FUZZ:-clang++-14}
command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx missing (tools/install-deps.sh fuzz)" >&2; exit 3; }
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLINGERLAB_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"${JOBS:-$(nproc)}" --target "${harnesses[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/bin/llvm-symbolizer-14 ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14
fi
failed=()
summary=()
for h in "${harnesses[@]}"; do
  corpus=build-fuzz/corpus/$h
  artifacts=build-fuzz/artifacts/$h/
  log=build-fuzz/logs/$h.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  echo "== fuzz $h: ${seconds}s, max_len ${max_len[$h]}"
  rc=0
  build-fuzz/fuzz/"$h" -max_total_time="$seconds" -max_len="${max_len[$h]}" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" \
    "$corpus" "${seeds[$h]}/testdata/fuzz/$h" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  line="$h: ${execs:-?} executions, ${cov:-no coverage line}, corpus $(ls "$corpus" | wc -l) files"
  if [ "$rc" -ne 0 ]; then
    grep -E 'ERROR: |SUMMARY: |runtime error|Test unit written|deadly signal|timeout' "$log" | head -8 >&2 || true
    repro=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -1)
    line="$line -- FAILED (exit $rc); reproducer: ${repro:-see $log}; replay: build-fuzz/fuzz/$h ${repro:-INPUT}; log: $log"
    failed+=("$h")
  fi
  echo "$line"
  summary+=("$line")
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failed: ${failed[*]}" >&2
  exit 1
fi
