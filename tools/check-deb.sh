#!/usr/bin/env bash
# Checks the Debian package as a user gets it: unpacks it into a fresh
# directory (dpkg -x, so nothing is installed on this machine), moves that
# tree elsewhere (cp -a: the install must not depend on where it was put) and
# from there, outside any checkout:
#   1. `lingerlab list` exits 0 and reads the matrix shipped in the package
#      (its title is marked in the unpacked copy, so a lookup that fell back
#      to the source tree it was built from would be caught);
#   2. `lingerlab run --cases 04 --time-scale 0.05` on the netns target exits
#      0 or 1 and writes results.json;
#   3. the package's lingerlab-agent-static, as both agents of the remote lab
#      (tools/remote-lab.sh), serves a remote run of case 04 whose server
#      agent captured (capture.available true, packets > 0).
# Needs root (network namespaces).
#   tools/check-deb.sh DEB            # check this package
#   tools/check-deb.sh --build DIR    # cpack -G DEB in build directory DIR first (ctest: deb_test)
# Exit 0 all good, 1 a check failed, 2 bad usage, 77 cannot check here
# (not root, no dpkg-shlibdeps or file for cpack).
set -uo pipefail
# Paths as given are relative to the caller's directory.
args=()
for a in "$@"; do if [ -e "$a" ]; then args+=("$(readlink -f "$a")"); else args+=("$a"); fi; done
set -- "${args[@]}"
cd "$(dirname "$0")/.." || exit 2
src=$PWD
if [ "${1:-}" = "--build" ] && [ -n "${2:-}" ]; then
  for tool in dpkg-shlibdeps file; do
    command -v "$tool" >/dev/null ||
      { echo "check-deb.sh: cpack needs $tool (apt-get install dpkg-dev file): skipped" >&2; exit 77; }
  done
  rm -f "$2"/package/lingerlab_*.deb
  (cd "$2" && cpack -G DEB >/dev/null) || { echo "check-deb.sh: cpack failed in $2" >&2; exit 1; }
  deb=$(ls "$2"/package/lingerlab_*.deb)
elif [ $# -eq 1 ] && [ -f "$1" ]; then
  deb=$1
else
  echo "usage: tools/check-deb.sh DEB | --build BUILD_DIR" >&2
  exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "check-deb.sh: needs root (network namespaces): skipped" >&2; exit 77; }
deb=$(readlink -f "$deb")

tmp=$(mktemp -d /tmp/lingerlab-check-deb.XXXXXX)
lab_up=0
cleanup() {
  if ((lab_up)); then tools/remote-lab.sh down; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "check-deb.sh: FAIL: $*" >&2; fail=1; }

dpkg -x "$deb" "$tmp/unpacked" || { echo "check-deb.sh: dpkg -x $deb failed" >&2; exit 1; }
marker="installed copy $$"
shipped=$tmp/unpacked/usr/share/lingerlab/matrix/so_linger.json
if [ -f "$shipped" ]; then
  sed -i "s/\"title\": \"/\"title\": \"[$marker] /" "$shipped"
else
  bad "the package has no /usr/share/lingerlab/matrix/so_linger.json"
fi
cp -a "$tmp/unpacked" "$tmp/moved" && rm -rf "$tmp/unpacked"
bin=$tmp/moved/usr/bin
mkdir -p "$tmp/cwd"
cd "$tmp/cwd" || exit 1  # no matrix/ here: the binary must find its own

out=$("$bin/lingerlab" list 2>&1)
rc=$?
[ $rc -eq 0 ] || bad "lingerlab list exited $rc: $out"
head -n 1 <<<"$out" | grep -qF "[$marker]" ||
  bad "lingerlab list did not read the package's matrix: $(head -n 1 <<<"$out")"
[ "$(grep -c '^[0-9][0-9] ' <<<"$out")" -eq 34 ] || bad "lingerlab list did not list 34 cases"

"$bin/lingerlab" -q run --cases 04 --time-scale 0.05 --out "$tmp/netns" >"$tmp/netns.log" 2>&1
rc=$?
{ [ $rc -eq 0 ] || [ $rc -eq 1 ]; } || bad "lingerlab run (netns) exited $rc: $(tail -n 5 "$tmp/netns.log")"
[ -s "$tmp/netns/results.json" ] || bad "lingerlab run (netns) wrote no results.json"

# The remote lab's agents are the package's static agent.
cd "$src" || exit 1
if LINGERLAB_LAB_AGENT=$bin/lingerlab-agent-static LINGERLAB_LAB_BIN=$bin/lingerlab \
  tools/remote-lab.sh up >"$tmp/lab.log" 2>&1; then
  lab_up=1
  run=$(grep -A1 -- '--target remote' "$tmp/lab.log" | tr -d '\\\n' | sed 's/^ *//')
  # shellcheck disable=SC2086  # the command line remote-lab.sh printed
  (cd "$tmp/cwd" && $run --cases 04 --out "$tmp/remote" -q) >"$tmp/remote.log" 2>&1
  rc=$?
  { [ $rc -eq 0 ] || [ $rc -eq 1 ]; } || bad "lingerlab run (remote) exited $rc: $(tail -n 5 "$tmp/remote.log")"
  python3 - "$tmp/remote/results.json" <<'PY' || bad "the static agent did not capture (remote run)"
import json, sys
c = json.load(open(sys.argv[1]))["cases"][0]["capture"]
ok = c.get("available") is True and c.get("site") == "server-agent" and c.get("packets", 0) > 0
print("check-deb.sh: remote capture:", {k: c.get(k) for k in ("available", "site", "packets")})
sys.exit(0 if ok else 1)
PY
else
  bad "remote lab with the static agent did not come up: $(tail -n 5 "$tmp/lab.log")"
fi

if ((fail)); then exit 1; fi
echo "check-deb.sh: $(basename "$deb") unpacked and moved: list, netns run and remote run with its static agent (capturing) all good"
