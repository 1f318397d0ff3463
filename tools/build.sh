#!/usr/bin/env bash
# Configures and builds lingerlab into build/ (warnings are errors). Release
# (-O3): the optimized build is the one the tests run in; the sanitizer build
# (.ci/run asan) is the other configuration.
#   tools/build.sh               # everything, tests included
#   tools/build.sh TARGET...     # only these targets (run-matrix.sh: lingerlab lingerlab-agent)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DLINGERLAB_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}"
