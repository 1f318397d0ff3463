#!/usr/bin/env bash
# Installs what lingerlab needs to build, test and run, from Debian's packages
# only (Debian 12). Safe to run again: apt-get skips what is there.
#   tools/install-deps.sh          # build, test, run (the README's quick start)
#   tools/install-deps.sh fuzz     # also clang and libFuzzer (tools/fuzz.sh, .ci/run)
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: needs root to run apt-get (try: sudo $0)" >&2
  exit 3
fi
packages=(
  build-essential cmake pkg-config git    # toolchain
  ccache                                 # a rebuild of unchanged sources costs nothing (CMakeLists.txt)
  libgtest-dev                           # GoogleTest
  libpcap-dev                            # capture
  libssl-dev                             # libcrypto: HMAC-SHA256 for remote agents
  nlohmann-json3-dev libspdlog-dev libcli11-dev
  iproute2 ethtool                       # the netns lab
  libxml2-utils                          # xmllint: junit_report_test checks doc/junit.xsd
  chromium                               # html_report_test opens the HTML report headless
  runsc                                  # gVisor: the gvisor target (doc/gvisor.md)
  liblwip-dev                            # lwIP 2.1.3: lingerlab-agent-lwip, the lwip target (doc/lwip.md)
  tshark                                 # tests check that tshark reads our pcaps
  clang-format python3                  # bench-matrix.sh
  qemu-system-x86 busybox-static cpio    # --target qemu (doc/qemu.md); cpio: its unit test cross-checks our archives
  mingw-w64 g++-mingw-w64-x86-64 googletest wine wine64  # the Windows agent (tools/build-windows.sh, doc/windows.md); its tests under Wine
)
for extra in "$@"; do
  case "$extra" in
    fuzz) packages+=(clang-14 libclang-rt-14-dev llvm-14) ;;  # libFuzzer, ASan/UBSan runtimes, symbolizer
    *) echo "install-deps.sh: unknown group '$extra' (known: fuzz)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The guest kernel of --target qemu: Debian 12's 6.1 kernel with its modules,
# the newest ABI the archive has now (ABI numbers come and go: never pinned).
have_guest_kernel() { compgen -G '/boot/vmlinuz-6.1.0-*-amd64' >/dev/null; }
if [ ${#missing[@]} -eq 0 ] && have_guest_kernel; then
  echo "install-deps.sh: all packages present"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! have_guest_kernel; then
  kernel=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' |
    awk '{print $1}' | sort -V | tail -n 1)
  if [ -n "$kernel" ]; then
    missing+=("$kernel")
  else
    echo "install-deps.sh: no linux-image-6.1.0-*-amd64-unsigned in the archive; --target qemu needs a kernel (--kernel)" >&2
  fi
fi
echo "install-deps.sh: installing ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps.sh: done"
