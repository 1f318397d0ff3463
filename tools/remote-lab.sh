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
#   tools/remote-lab.sh up --wine    # the server agent is the Windows build
#   tools/remote-lab.sh down --wine  # (build-windows/bin/lingerlab-agent.exe)
#                                    # under Wine: a lab of its own (doc/windows.md)
#
#   LINGERLAB_LAB_AGENT=build/bin/lingerlab-agent-static tools/remote-lab.sh up
#                                    # both agents are that binary (the static
#                                    # one a machine under test gets, doc/remote.md)
#
# State (key, pids, agent logs) lives in /run/lingerlab/remote-lab/ (or
# remote-lab-wine/). Needs root and a build (tools/build.sh; for --wine also
# tools/build-windows.sh and wine).
set -euo pipefail
cd "$(dirname "$0")/.."
wine_lab=0
lab_flag=
if [ "${2:-}" = "--wine" ]; then wine_lab=1 lab_flag=" --wine"; fi
if ((wine_lab)); then
  # Other names and addresses: both labs can be up at once.
  state=/run/lingerlab/remote-lab-wine
  ns_s=llwin-lab-s
  ns_c=llwin-lab-c
  dev_s=llwlab-s
  dev_c=llwlab-c
  net=198.19.252
else
  state=/run/lingerlab/remote-lab
  ns_s=llrem-lab-s
  ns_c=llrem-lab-c
  dev_s=llrlab-s
  dev_c=llrlab-c
  net=198.19.253
fi
port=7200
agent=${LINGERLAB_LAB_AGENT:-$PWD/build/bin/lingerlab-agent}  # e.g. build/bin/lingerlab-agent-static
server_agent=("$agent")
exe=$PWD/build-windows/bin/lingerlab-agent.exe
if ((wine_lab)); then server_agent=(wine "$exe"); fi
bin=${LINGERLAB_LAB_BIN:-$PWD/build/bin/lingerlab}  # makes the key

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
  # Wine's server for our prefix (it holds the agent's sockets), then the prefix.
  if [ -d "$state/wineprefix" ]; then
    WINEPREFIX=$state/wineprefix TMPDIR=$state/winetmp wineserver -k 2>/dev/null || true
    rm -rf "$state/wineprefix" "$state/winetmp"
  fi
  for dev in $dev_s $dev_c; do
    ip link delete "$dev" 2>/dev/null || true
  done
  for ns in "$ns_s" "$ns_c"; do
    ip netns delete "$ns" 2>/dev/null || true
  done
}

up() {
  [ "$(id -u)" -eq 0 ] || { echo "remote-lab.sh: needs root" >&2; exit 3; }
  [ -x "$agent" ] || { echo "remote-lab.sh: build first (tools/build.sh)" >&2; exit 2; }
  if ((wine_lab)); then
    [ -f "$exe" ] || { echo "remote-lab.sh: build first (tools/build-windows.sh)" >&2; exit 2; }
    command -v wine >/dev/null || { echo "remote-lab.sh: --wine needs wine (apt-get install wine64)" >&2; exit 2; }
  fi
  down
  mkdir -p "$state"
  # A step that fails leaves nothing half built.
  trap 'echo "remote-lab.sh: setting up failed; removing what was made" >&2; down' ERR
  ip netns add "$ns_s"
  ip netns add "$ns_c"
  ip link add $dev_s type veth peer name ctl0 netns "$ns_s"
  ip link add $dev_c type veth peer name ctl0 netns "$ns_c"
  ip addr add $net.1/30 dev $dev_s
  ip addr add $net.5/30 dev $dev_c
  ip link set $dev_s up
  ip link set $dev_c up
  ip -n "$ns_s" addr add $net.2/30 dev ctl0
  ip -n "$ns_c" addr add $net.6/30 dev ctl0
  ip -n "$ns_s" link add test0 type veth peer name test0 netns "$ns_c"
  ip -n "$ns_s" addr add $net.9/30 dev test0
  ip -n "$ns_c" addr add $net.10/30 dev test0
  for ns in "$ns_s" "$ns_c"; do
    for dev in lo ctl0 test0; do ip -n "$ns" link set "$dev" up; done
  done
  rm -f "$state/lab.key"
  "$bin" keygen "$state/lab.key"
  if ((wine_lab)); then
    # A prefix of our own. Wine's server creates the agent's sockets, so it
    # must start inside the server's namespace: the prefix is made first,
    # its server left to exit, then the agent starts it anew in there.
    # TMPDIR: Debian's wine makes its server's socket directory there
    # (wine-XXXXXX); ours goes with the state directory, not into /tmp.
    mkdir -p "$state/winetmp"
    export WINEPREFIX=$state/wineprefix WINEDEBUG=-all TMPDIR=$state/winetmp
    wineboot --init >/dev/null 2>&1
    wineserver -w
  fi
  ip netns exec "$ns_s" "${server_agent[@]}" --listen $net.2:$port --key "$state/lab.key" \
    >"$state/server-agent.log" 2>&1 &
  echo $! >"$state/server.pid"
  ip netns exec "$ns_c" "$agent" --listen $net.6:$port --key "$state/lab.key" \
    >"$state/client-agent.log" 2>&1 &
  echo $! >"$state/client.pid"
  for log in server client; do
    for _ in $(seq 1 600); do  # Wine takes seconds
      grep -q "listening on" "$state/$log-agent.log" 2>/dev/null && break
      sleep 0.05
    done
    grep -q "listening on" "$state/$log-agent.log" ||
      { echo "remote-lab.sh: the $log agent did not start:" >&2; cat "$state/$log-agent.log" >&2; down; exit 1; }
  done
  trap - ERR
  cat <<EOF
remote lab up: server agent $net.2:$port (test address $net.9), client agent $net.6:$port
run the matrix against it:
  $bin run --target remote --server-agent $net.2:$port --client-agent $net.6:$port \\
      --key $state/lab.key --server-test-address $net.9 --time-scale 0.05
agent logs: $state/{server,client}-agent.log; remove it all: tools/remote-lab.sh down$lab_flag
EOF
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: tools/remote-lab.sh up|down" >&2; exit 2 ;;
esac
