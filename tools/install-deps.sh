#!/usr/bin/env bash
# Installs what lingerlab needs to build, test and run, from Debian's packages
# only (Debian 12). Safe to run again: apt-get skips what is there.
#   tools/install-deps.sh          # build lingerlab, run the matrix on the netns lab (run-matrix.sh)
#   tools/install-deps.sh GROUP... # and what a group needs:
#     tests    the test suite's tools (ethtool, xmllint, tshark, python3, clang-format)
#     report   chromium: html_report_test renders the HTML report
#     gvisor   runsc (--target gvisor)      lwip    liblwip-dev (--target lwip)
#     qemu     qemu, busybox, cpio and a 6.1 guest kernel (--target qemu)
#     windows  mingw-w64 and wine (tools/build-windows.sh)
#     fuzz     clang and libFuzzer (tools/fuzz.sh)
#     all      every group but fuzz (tools/run-tests.sh); .ci/run: all fuzz
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: needs root to run apt-get (try: sudo $0)" >&2
  exit 3
fi
# Always: what building lingerlab and running the matrix on the netns lab need.
packages=(
  build-essential cmake pkg-config git    # toolchain
  ccache                                 # a rebuild of unchanged sources costs nothing (CMakeLists.txt)
  libgtest-dev                           # GoogleTest (configure finds it; tests/run-matrix.sh builds none)
  libpcap-dev                            # capture
  libssl-dev                             # libcrypto: HMAC-SHA256 for remote agents
  nlohmann-json3-dev libspdlog-dev libcli11-dev
  iproute2                               # lingerlab clean lists namespaces the way ip does
  nftables                               # nft: lab steps that drop segments (doc/matrix-format.md)
)
guest_kernel=0
add_group() {
  case "$1" in
    tests) packages+=(
      ethtool          # netlink_test checks our offload settings against ethtool -k
      libxml2-utils    # xmllint: junit_report_test checks doc/junit.xsd
      tshark           # tests check that tshark reads our pcaps
      python3          # bench and check scripts
      python3-junitparser  # check-ci-formats.sh merges JUnit files with it (npm's readers need Node >= 20)
      clang-format help2man file) ;;  # help2man: man pages; file: cpack -G DEB (check-deb.sh)
    report) packages+=(chromium) ;;         # html_report_test opens the HTML report headless
    gvisor) packages+=(runsc) ;;            # --target gvisor (doc/gvisor.md)
    lwip) packages+=(liblwip-dev) ;;        # lingerlab-agent-lwip, --target lwip (doc/lwip.md)
    qemu) packages+=(qemu-system-x86 busybox-static cpio)  # --target qemu (doc/qemu.md)
      guest_kernel=1 ;;
    windows) packages+=(mingw-w64 g++-mingw-w64-x86-64 googletest wine wine64) ;;  # tools/build-windows.sh
    fuzz) packages+=(clang-14 libclang-rt-14-dev llvm-14) ;;  # libFuzzer, ASan/UBSan runtimes, symbolizer
    all) for g in tests report gvisor lwip qemu windows; do add_group "$g"; done ;;
    *) echo "install-deps.sh: unknown group '$1' (known: $groups_known)" >&2; exit 2 ;;
  esac
}
groups_known="tests report gvisor lwip qemu windows fuzz all"
for extra in "$@"; do add_group "$extra"; done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The guest kernel of --target qemu: Debian 12's 6.1 kernel with its modules,
# the newest ABI the archive has now (ABI numbers come and go: never pinned).
have_guest_kernel() { compgen -G '/boot/vmlinuz-6.1.0-*-amd64' >/dev/null; }
if [ ${#missing[@]} -eq 0 ] && { [ $guest_kernel -eq 0 ] || have_guest_kernel; }; then
  echo "install-deps.sh: all packages present"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ $guest_kernel -eq 1 ] && ! have_guest_kernel; then
  kernel=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' |
    awk '{print $1}' | sort -V | tail -n 1)
  if [ -n "$kernel" ]; then
    missing+=("$kernel")
  else
    echo "install-deps.sh: no linux-image-6.1.0-*-amd64-unsigned in the archive; --target qemu needs a kernel (--kernel)" >&2
  fi
fi
[ ${#missing[@]} -gt 0 ] || { echo "install-deps.sh: all packages present"; exit 0; }
echo "install-deps.sh: installing ${missing[*]}"
# apt's own progress (one line a package), so a long download is not silence.
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps.sh: done"
