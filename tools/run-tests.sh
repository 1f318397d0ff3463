#!/usr/bin/env bash
# The tests, from a fresh Debian 12 machine: install dependencies, build with
# warnings as errors, run every test with ctest. Needs root: the end-to-end,
# target and capture tests create network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh all
tools/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 300
