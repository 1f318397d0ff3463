#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install what the netns lab
# needs (tools/install-deps.sh with no group), build lingerlab and its agent
# only (no tests), and run the whole 34-case matrix on the network-namespace
# lab. Needs root (apt-get, network namespaces). Extra arguments go to
# `lingerlab run`; the default time scale is 0.05 (about 20 s).
#   tools/run-matrix.sh                      # all cases, scaled
#   tools/run-matrix.sh --time-scale 1       # the published timings (~6 min)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh lingerlab lingerlab-agent
args=("$@")
[[ " ${args[*]-} " == *" --time-scale "* ]] || args+=(--time-scale 0.05)
exec build/bin/lingerlab run "${args[@]}"
