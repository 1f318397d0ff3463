#!/usr/bin/env bash
# Cross-builds the agent for 64-bit Windows with Debian's mingw-w64
# (cmake/mingw-w64-x86_64.cmake) into build-windows/bin/lingerlab-agent.exe:
# one statically linked .exe (no DLLs but Windows' own), warnings are
# errors. Packages: mingw-w64 g++-mingw-w64-x86-64 (tools/install-deps.sh).
#
# With --test, also builds windows_test (the Winsock error mapping, HMAC
# on CNG against RFC 4231, frames, base; GoogleTest from /usr/src/googletest,
# package googletest) and runs it under Wine in a throwaway prefix.
set -euo pipefail
cd "$(dirname "$0")/.."

run_tests=0
if [[ "${1:-}" == "--test" ]]; then run_tests=1; fi

for tool in x86_64-w64-mingw32-g++-posix cmake; do
  command -v "$tool" >/dev/null || {
    echo "build-windows: $tool not found (apt-get install mingw-w64 g++-mingw-w64-x86-64 cmake)" >&2
    exit 2
  }
done

# nlohmann/json is header-only: a folder holding only it, so the host's
# /usr/include never mixes into the Windows build.
json_header=/usr/include/nlohmann/json.hpp
[[ -f $json_header ]] || { echo "build-windows: $json_header not found (apt-get install nlohmann-json3-dev)" >&2; exit 2; }
mkdir -p build-windows/deps/include
ln -sfn "$(dirname "$json_header")" build-windows/deps/include/nlohmann

cmake -S agents -B build-windows \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=Release \
  -DLINGERLAB_WERROR=ON \
  -DLINGERLAB_NLOHMANN_INCLUDE_DIR="$PWD/build-windows/deps/include" >/dev/null
cmake --build build-windows -j"${LINGERLAB_JOBS:-2}" --target lingerlab-agent
exe=build-windows/bin/lingerlab-agent.exe
x86_64-w64-mingw32-strip "$exe"
echo "build-windows: $exe ($(stat -c %s "$exe") bytes)"

if ((run_tests)); then
  command -v wine >/dev/null || { echo "build-windows: --test needs wine (apt-get install wine64)" >&2; exit 2; }
  cmake --build build-windows -j"${LINGERLAB_JOBS:-2}" --target windows_test
  # A throwaway Wine prefix, removed on exit, and a TMPDIR of our own: Debian's
  # wine makes its server's socket directory there (wine-XXXXXX), which would
  # otherwise stay in /tmp after the server exits.
  prefix=$(mktemp -d)
  wine_tmp=$(mktemp -d)
  trap 'wineserver -w; rm -rf "$prefix" "$wine_tmp"' EXIT
  export WINEPREFIX=$prefix WINEDEBUG=-all TMPDIR=$wine_tmp
  wine build-windows/bin/windows_test.exe
fi
