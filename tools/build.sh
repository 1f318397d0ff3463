#!/usr/bin/env bash
# Configures and builds lingerlab into build/ (warnings are errors). Release
# (-O3): the optimized build is the one the tests run in; the sanitizer build
# (.ci/run asan) is the other configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DLINGERLAB_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
