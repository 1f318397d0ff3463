#!/usr/bin/env bash
# Benchmark: runs the whole matrix at a time scale (default 0.05) and prints
# the run's wall time, its longest case, their ratio (target: below 1.3, i.e.
# cases really run in parallel), the coordinator's peak memory (peak RSS from
# getrusage, and VmHWM sampled from /proc/<pid>/status) and its peak thread
# count (the Threads line of /proc/<pid>/status, sampled every 20 ms).
# Numbers, not a pass/fail test: the machine is shared and noisy.
#   tools/bench-matrix.sh [TIME_SCALE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-0.05}
runs=${2:-1}
bin=build/bin/lingerlab
[ -x "$bin" ] || { echo "bench-matrix.sh: build first (tools/build.sh)" >&2; exit 2; }
for i in $(seq 1 "$runs"); do
  out=$(mktemp -d /tmp/lingerlab-bench.XXXXXX)
  python3 - "$bin" "$scale" "$out" <<'PY'
import json, resource, subprocess, sys, time
bin, scale, out = sys.argv[1:4]
t0 = time.monotonic()
proc = subprocess.Popen([bin, "-q", "run", "--time-scale", scale, "--out", out],
                        stdout=subprocess.DEVNULL)
peak_threads = 0
hwm_kib = 0
while proc.poll() is None:
    try:
        with open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    peak_threads = max(peak_threads, int(line.split()[1]))
                elif line.startswith("VmHWM:"):
                    hwm_kib = max(hwm_kib, int(line.split()[1]))
    except (FileNotFoundError, ProcessLookupError):
        pass
    time.sleep(0.02)
rc = proc.wait()
wall_outer = time.monotonic() - t0
rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
doc = json.load(open(f"{out}/results.json"))
durs = {c["id"]: c.get("duration_s", 0) for c in doc["cases"]}
longest = max(durs, key=durs.get)
wall = doc["environment"]["wall_s"]
print(f"time_scale={scale} cases={len(durs)} exit={rc} summary={json.dumps(doc['summary'])}")
print(f"wall_s={wall:.2f} (process {wall_outer:.2f}) longest_case={longest} "
      f"longest_s={durs[longest]:.2f} ratio={wall / durs[longest]:.3f} peak_rss_mib={rss_kib / 1024:.1f} "
      f"vm_hwm_mib={hwm_kib / 1024:.1f} peak_threads={peak_threads}")
PY
  rm -rf "$out"
done
