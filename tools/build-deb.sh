#!/usr/bin/env bash
# Builds the Debian package: a Release build in build-deb/ of only what is
# installed (no test binaries), then cpack. Prints the .deb's path.
#   tools/build-deb.sh            # -> build-deb/package/lingerlab_<version>_<arch>.deb
#   tools/build-deb.sh BUILD_DIR  # another build directory
# What the package holds: cmake/install.cmake. Check it with tools/check-deb.sh.
# Needs dpkg-dev (dpkg-shlibdeps computes Depends), file (CPack finds the ELF
# files with it) and help2man (man pages; without it the package has none).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-deb}
for tool in dpkg-shlibdeps file cpack; do
  command -v "$tool" >/dev/null ||
    { echo "build-deb.sh: needs $tool (apt-get install dpkg-dev file cmake)" >&2; exit 3; }
done
command -v help2man >/dev/null ||
  echo "build-deb.sh: no help2man (apt-get install help2man): the package will have no man pages" >&2
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack's install step builds only what
# we built below, not `all` (the tests).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLINGERLAB_WERROR=ON \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
targets=(lingerlab lingerlab-agent)
known=$(cmake --build "$build" --target help)
for t in lingerlab-agent-static lingerlab-agent-lwip man; do
  # Optional targets: built where configure made them (libcrypto.a, liblwip-dev, help2man).
  if grep -qx "\.\.\. $t" <<<"$known"; then targets+=("$t"); fi
done
args=()
for t in "${targets[@]}"; do args+=(--target "$t"); done
cmake --build "$build" -j"${JOBS:-2}" "${args[@]}"
rm -f "$build"/package/lingerlab_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/package/lingerlab_*.deb)
echo "$deb"
