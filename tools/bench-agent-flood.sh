#!/usr/bin/env bash
# Benchmark: a listening agent under a flood of unauthenticated peers
# (doc/security.md, doc/protocol.md §6). Brings up tools/remote-lab.sh, opens
# FLOOD connections to the server agent's control port from this machine's
# end of its link (the coordinator's own address: the hardest case for a
# per-address limit), each reconnecting as soon as it is dropped and sending
# nothing, and meanwhile runs `lingerlab run --target remote --cases CASES`.
# Prints the run's exit code and wall time, how many flood connections were
# made, and the server agent's peak memory (VmHWM) and thread count.
# Numbers, not a pass/fail test. Bounded: the flood stops with the run, or
# after LIMIT seconds. Only the lab's own addresses (198.19.253.0/24).
#   tools/bench-agent-flood.sh [FLOOD=100] [CASES=02,04] [LIMIT=120]
set -euo pipefail
cd "$(dirname "$0")/.."
flood=${1:-100}
cases=${2:-02,04}
limit=${3:-120}
net=198.19.253
state=/run/lingerlab/remote-lab
[ "$(id -u)" -eq 0 ] || { echo "bench-agent-flood.sh: needs root" >&2; exit 3; }
tools/remote-lab.sh up >/dev/null
out=$(mktemp -d /tmp/lingerlab-flood.XXXXXX)
cleanup() {
  [ -n "${flood_pid:-}" ] && kill "$flood_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  tools/remote-lab.sh down >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT
server_pid=$(cat "$state/server.pid")

python3 - "$net.2" 7200 "$flood" "$limit" "$out/flood.count" <<'PY' &
import socket, sys, threading, time
host, port, n, limit, count_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
end = time.monotonic() + limit
made = 0
lock = threading.Lock()
def peer():
    global made
    while time.monotonic() < end:
        try:
            s = socket.create_connection((host, port), timeout=2)
        except OSError:
            time.sleep(0.05)
            continue
        with lock:
            made += 1
        s.settimeout(1)
        try:  # hold it, say nothing, until the agent drops it
            while time.monotonic() < end and s.recv(4096):
                pass
        except OSError:
            pass
        finally:
            s.close()
threads = [threading.Thread(target=peer, daemon=True) for _ in range(n)]
for t in threads: t.start()
while time.monotonic() < end:
    time.sleep(0.5)
    with lock:
        open(count_file, "w").write(str(made))
PY
flood_pid=$!
sleep 3  # let the flood fill the agent's handshake slots

peak_hwm=0
peak_threads=0
sample() {
  local s=/proc/$server_pid/status
  [ -r "$s" ] || return 0
  local h t
  h=$(awk '/^VmHWM/{print $2}' "$s")
  t=$(awk '/^Threads/{print $2}' "$s")
  ((h > peak_hwm)) && peak_hwm=$h
  ((t > peak_threads)) && peak_threads=$t
  return 0
}
t0=$(date +%s.%N)
rc=0
build/bin/lingerlab -q run --target remote --server-agent $net.2:7200 --client-agent $net.6:7200 \
  --key "$state/lab.key" --server-test-address $net.9 --time-scale 0.05 --cases "$cases" \
  --out "$out/run" >"$out/run.log" 2>&1 &
run_pid=$!
while kill -0 "$run_pid" 2>/dev/null; do sample; sleep 0.2; done
wait "$run_pid" || rc=$?
t1=$(date +%s.%N)
sample
echo "flood: $flood unauthenticated peers, $(cat "$out/flood.count" 2>/dev/null || echo '?') connections made"
echo "run --target remote --cases $cases: exit $rc in $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"
grep -E "^summary|error" "$out/run.log" | head -5 || true
echo "server agent: VmHWM ${peak_hwm} KiB, peak threads ${peak_threads}"
