#!/usr/bin/env bash
# Benchmark of the close-state matrix (matrix/close_states.json, issue 20)
# on the netns lab: its wall time, its longest case and their ratio, memory
# and set-up times, as tools/bench-matrix.sh prints them. Its cases hold
# literal waits (kernel timers: TCP_USER_TIMEOUT, TCP_LINGER2) that the time
# scale does not shorten, so the ratio to the longest case is the figure.
#   tools/bench-close-states.sh [TIME_SCALE=0.05] [RUNS=1]
exec "$(dirname "$0")/bench-matrix.sh" "${1:-0.05}" "${2:-1}" 1 matrix/close_states.json
