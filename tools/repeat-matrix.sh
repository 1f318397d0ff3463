#!/usr/bin/env bash
# Runs the matrix N times in a row and reports whether every case's outcome
# was identical each time: all claims except measured durations, and the
# verdict. Prints one line per difference and a final count.
#   tools/repeat-matrix.sh [RUNS=3] [TIME_SCALE=0.05]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
scale=${2:-0.05}
bin=build/bin/lingerlab
[ -x "$bin" ] || { echo "repeat-matrix.sh: build first (tools/build.sh)" >&2; exit 2; }
dir=$(mktemp -d /tmp/lingerlab-repeat.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 1 "$runs"); do
  rc=0
  "$bin" -q run --time-scale "$scale" --out "$dir/$i" >/dev/null || rc=$?
  echo "run $i: exit $rc"
done
python3 - "$dir" "$runs" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
TIMES = {"close_blocked_s"}  # measured durations: compared by the verdict's tolerance instead
docs = [json.load(open(f"{d}/{i}/results.json")) for i in range(1, n + 1)]
diffs = 0
for idx, first in enumerate(docs[0]["cases"]):
    def view(doc):
        c = doc["cases"][idx]
        claims = {k: v for k, v in c.get("outcome", {}).get("claims", {}).items() if k not in TIMES}
        return claims, c.get("verdict", {}).get("status"), c["status"]
    base = view(docs[0])
    for i, doc in enumerate(docs[1:], start=2):
        other = view(doc)
        if other != base:
            diffs += 1
            print(f"case {first['id']}: run 1 {base} != run {i} {other}")
for i, doc in enumerate(docs, start=1):
    print(f"run {i}: summary {json.dumps(doc['summary'])}")
print(f"{len(docs[0]['cases'])} cases x {n} runs: {diffs} difference(s) in outcome")
sys.exit(1 if diffs else 0)
PY
