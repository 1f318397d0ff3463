#!/usr/bin/env bash
# Runs the matrix N times in one run (`lingerlab run --repeat N`, every
# repetition in parallel like any other case) and prints each case's claims
# that varied between repetitions -- "(race)" for the documented races
# (bytes before a RST by class, a close() that returned at once either way),
# "(within ...)" for durations within the tolerance, "FINDING" for anything
# else -- and the summary. Exits as `lingerlab run` does: 1 when a case's
# repetitions disagree on a compared claim (summary.unstable) or deviate,
# 3 when a case errs. doc/results-format.md "Repetitions".
#   tools/repeat-matrix.sh [RUNS=3] [TIME_SCALE=0.05] [more `run` options...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
scale=${2:-0.05}
shift $(($# < 2 ? $# : 2))
bin=build/bin/lingerlab
[ -x "$bin" ] || { echo "repeat-matrix.sh: build first (tools/build.sh)" >&2; exit 2; }
dir=$(mktemp -d /tmp/lingerlab-repeat.XXXXXX)
trap 'rm -rf "$dir"' EXIT
rc=0
"$bin" -q run --repeat "$runs" --time-scale "$scale" --out "$dir/r" "$@" >"$dir/out.txt" || rc=$?
grep -E ' varies over |^summary: ' "$dir/out.txt" || true
echo "exit $rc"
exit "$rc"
