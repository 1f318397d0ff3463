#!/usr/bin/env bash
# Runs the matrix N times in a row and reports whether every case's outcome
# was the same each time. Compared (must be identical): every claim except
# measured durations and the racy claims below, the verdict and the status.
# Racy claims are reported per case as "varies (race)" when they differ,
# never as a difference:
#   client_bytes when the client's read ended in an error (the connection was
#   reset): how much of the payload arrived before the RST is a race between
#   transmission and the server's close(). data_lost and client_end stay
#   compared.
# Prints one line per difference and per racy claim (its values), and a final
# count; exits 1 if a compared claim differed.
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

def racy(claims):
    """Claims whose value is a race in this outcome (see the header)."""
    out = set()
    if claims.get("client_end") not in (None, "eof", "limit"):
        out.add("client_bytes")
    return out

docs = [json.load(open(f"{d}/{i}/results.json")) for i in range(1, n + 1)]
diffs = varied = 0
for idx, first in enumerate(docs[0]["cases"]):
    runs = [doc["cases"][idx] for doc in docs]
    claims = [c.get("outcome", {}).get("claims", {}) for c in runs]
    races = set().union(*(racy(cl) for cl in claims))
    def view(c, cl):
        stable = {k: v for k, v in cl.items() if k not in TIMES and k not in races}
        return stable, c.get("verdict", {}).get("status"), c["status"]
    base = view(runs[0], claims[0])
    for i in range(1, n):
        other = view(runs[i], claims[i])
        if other != base:
            diffs += 1
            print(f"case {first['id']}: run 1 {base} != run {i + 1} {other}")
    for k in sorted(races):
        values = [cl.get(k) for cl in claims]
        if len(set(map(json.dumps, values))) > 1:
            varied += 1
            print(f"case {first['id']}: {k} varies (race): {', '.join(map(str, values))}")
        else:
            print(f"case {first['id']}: {k} {values[0]} in all {n} runs "
                  f"(race: not compared, may vary)")
for i, doc in enumerate(docs, start=1):
    print(f"run {i}: summary {json.dumps(doc['summary'])}")
print(f"{len(docs[0]['cases'])} cases x {n} runs: {diffs} difference(s) in compared outcome, "
      f"{varied} racy claim(s) varied")
sys.exit(1 if diffs else 0)
PY
