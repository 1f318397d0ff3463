#!/usr/bin/env bash
# A two-host lab on this machine for trying the remote target (doc/remote.md
# §5): two network namespaces stand for two remote machines, each running
# `lingerlab-agent --listen ... --key ...`, reachable from this namespace over
# their own veth links and joined by a third link for the test connections.
# The same topology as suite/cli/remote_e2e_test.cc, on other addresses.
#
#   tools/remote-lab.sh up     # build it, start both agents, print the run command
#   tools/remote-lab.sh down   # stop the agents (by pid) and remove the namespaces
#
# State (key, pids, agent logs) lives in /run/lingerlab/remote-lab/. Needs root
# and a build (tools/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
state=/run/lingerlab/remote-lab
ns_s=llrem-lab-s
ns_c=llrem-lab-c
port=7200
agent=$PWD/build/bin/lingerlab-agent
bin=$PWD/build/bin/lingerlab

down() {
  if [ -d "$state" ]; then
    for f in "$state"/*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f")
      # Only our agent: the pid must still run lingerlab-agent.
      if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q lingerlab-agent; then
        kill "$pid" 2>/dev/null || true
      fi
      rm -f "$f"
    done
  fi
  # Our ends of the control links first: a deleted namespace takes its veths'
  # peers with it only later, in the kernel's own time, and a second `up`
  # would find them still there.
  for dev in llrlab-s llrlab-c; do
    ip link delete "$dev" 2>/dev/null || true
  done
  for ns in "$ns_s" "$ns_c"; do
    ip netns delete "$ns" 2>/dev/null || true
  done
}

up() {
  [ "$(id -u)" -eq 0 ] || { echo "remote-lab.sh: needs root" >&2; exit 3; }
  [ -x "$agent" ] || { echo "remote-lab.sh: build first (tools/build.sh)" >&2; exit 2; }
  down
  mkdir -p "$state"
  # A step that fails leaves nothing half built.
  trap 'echo "remote-lab.sh: setting up failed; removing what was made" >&2; down' ERR
  ip netns add "$ns_s"
  ip netns add "$ns_c"
  ip link add llrlab-s type veth peer name ctl0 netns "$ns_s"
  ip link add llrlab-c type veth peer name ctl0 netns "$ns_c"
  ip addr add 198.19.253.1/30 dev llrlab-s
  ip addr add 198.19.253.5/30 dev llrlab-c
  ip link set llrlab-s up
  ip link set llrlab-c up
  ip -n "$ns_s" addr add 198.19.253.2/30 dev ctl0
  ip -n "$ns_c" addr add 198.19.253.6/30 dev ctl0
  ip -n "$ns_s" link add test0 type veth peer name test0 netns "$ns_c"
  ip -n "$ns_s" addr add 198.19.253.9/30 dev test0
  ip -n "$ns_c" addr add 198.19.253.10/30 dev test0
  for ns in "$ns_s" "$ns_c"; do
    for dev in lo ctl0 test0; do ip -n "$ns" link set "$dev" up; done
  done
  rm -f "$state/lab.key"
  "$bin" keygen "$state/lab.key"
  ip netns exec "$ns_s" "$agent" --listen 198.19.253.2:$port --key "$state/lab.key" \
    >"$state/server-agent.log" 2>&1 &
  echo $! >"$state/server.pid"
  ip netns exec "$ns_c" "$agent" --listen 198.19.253.6:$port --key "$state/lab.key" \
    >"$state/client-agent.log" 2>&1 &
  echo $! >"$state/client.pid"
  for log in server client; do
    for _ in $(seq 1 100); do
      grep -q "listening on" "$state/$log-agent.log" 2>/dev/null && break
      sleep 0.05
    done
    grep -q "listening on" "$state/$log-agent.log" ||
      { echo "remote-lab.sh: the $log agent did not start:" >&2; cat "$state/$log-agent.log" >&2; down; exit 1; }
  done
  trap - ERR
  cat <<EOF
remote lab up: server agent 198.19.253.2:$port (test address 198.19.253.9), client agent 198.19.253.6:$port
run the matrix against it:
  $bin run --target remote --server-agent 198.19.253.2:$port --client-agent 198.19.253.6:$port \\
      --key $state/lab.key --server-test-address 198.19.253.9 --time-scale 0.05
agent logs: $state/{server,client}-agent.log; remove it all: tools/remote-lab.sh down
EOF
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: tools/remote-lab.sh up|down" >&2; exit 2 ;;
esac
