#!/usr/bin/env bash
# Benchmark: runs the whole matrix at a time scale (default 0.05), each case
# REPEAT times in the one run (`run --repeat`, default 1: 34 cases; 10: 340),
# and prints the run's wall time, its longest case, their ratio (target:
# below 1.3, i.e. cases really run in parallel; a case's duration includes
# its wait for a set-up slot, so also the longest case after its set-up and
# the ratio to that), the coordinator's peak
# memory (peak RSS from getrusage, and VmHWM sampled from /proc/<pid>/status)
# and its peak thread count (the Threads line of /proc/<pid>/status, sampled
# every 20 ms), the set-up time per case (each case's setup_s: waiting for a
# set-up slot, then hosts, agents, handshakes; min / median / max / sum) and
# the load average before and after. Numbers, not a pass/fail test: the
# machine is shared and noisy.
#   tools/bench-matrix.sh [TIME_SCALE=0.05] [RUNS=1] [REPEAT=1] [MATRIX=matrix/so_linger.json]
# (tools/bench-close-states.sh: the close-state matrix.)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-0.05}
runs=${2:-1}
repeat=${3:-1}
matrix=${4:-matrix/so_linger.json}
bin=${LINGERLAB_BIN:-build/bin/lingerlab}
[ -x "$bin" ] || { echo "bench-matrix.sh: build first (tools/build.sh)" >&2; exit 2; }
for i in $(seq 1 "$runs"); do
  out=$(mktemp -d /tmp/lingerlab-bench.XXXXXX)
  python3 - "$bin" "$scale" "$out" "$repeat" "$matrix" <<'PY'
import json, os, resource, statistics, subprocess, sys, time
bin, scale, out, repeat, matrix = sys.argv[1:6]
load_before = os.getloadavg()
t0 = time.monotonic()
proc = subprocess.Popen([bin, "-q", "run", "--matrix", matrix, "--time-scale", scale,
                         "--repeat", repeat, "--out", f"{out}/r"], stdout=subprocess.DEVNULL)
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
load_after = os.getloadavg()
rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
doc = json.load(open(f"{out}/r/results.json"))
cases = doc["cases"]
def key(c):
    return c["id"] + (f"/r{c['repetition']}" if "repetition" in c else "")
durs = {key(c): c.get("duration_s", 0) for c in cases}
after_setup = {key(c): c.get("duration_s", 0) - c.get("setup_s", 0) for c in cases}
setup = sorted(c.get("setup_s", 0) for c in cases)
longest = max(durs, key=durs.get)
wall = doc["environment"]["wall_s"]
print(f"matrix={matrix} time_scale={scale} repeat={repeat} cases={len(cases)} exit={rc} "
      f"summary={json.dumps(doc['summary'])}")
print(f"wall_s={wall:.2f} (process {wall_outer:.2f}) longest_case={longest} "
      f"longest_s={durs[longest]:.2f} ratio={wall / durs[longest]:.3f} peak_rss_mib={rss_kib / 1024:.1f} "
      f"vm_hwm_mib={hwm_kib / 1024:.1f} peak_threads={peak_threads}")
slowest = max(after_setup, key=after_setup.get)
print(f"longest after set-up: {slowest} {after_setup[slowest]:.2f} s, "
      f"ratio={wall / after_setup[slowest]:.3f}")
print(f"setup_s per case: min={setup[0]:.3f} median={statistics.median(setup):.3f} "
      f"max={setup[-1]:.3f} sum={sum(setup):.1f}")
print("load average before={:.2f} {:.2f} {:.2f} after={:.2f} {:.2f} {:.2f}".format(
      *load_before, *load_after))
PY
  rm -rf "$out"
done
