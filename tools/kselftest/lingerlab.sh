#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lingerlab's SO_LINGER matrix as a Linux kselftest: TAP 13 on stdout, one
# test point per case (doc/tap.md), and the kselftest exit codes:
#   0 (KSFT_PASS)  every case passed or was skipped, and one passed
#   1 (KSFT_FAIL)  a case deviated from the expected table or did not
#                  complete, or lingerlab failed (bad options, results lost)
#   4 (KSFT_SKIP)  cannot run here (not root, no lingerlab, no netns/veth),
#                  or no case was compared
# Copy or link this file into a selftests directory (e.g.
# tools/testing/selftests/net/) and list it in TEST_PROGS; or run it by hand.
# It runs the host kernel's stack in network namespaces (--target netns),
# scaled to 0.05 so the matrix takes about 20 s (kselftest's default
# timeout is 45 s); the kernel constants a scaled run cannot compare are
# skipped, not failed.
#
# Environment:
#   LINGERLAB       the lingerlab binary (default: lingerlab on PATH, else the
#                   build/bin/lingerlab of the tree this script is in)
#   LINGERLAB_ARGS  more `lingerlab run` options, e.g. "--cases 03-10" or
#                   "--time-scale 1" (word-split)
#   LINGERLAB_OUT   keep the run's results (results.json, pcaps) here;
#                   by default they go to a temporary directory that is
#                   removed unless a case failed
# Arguments are passed to `lingerlab run` after LINGERLAB_ARGS.
set -u
readonly KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4

skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit $KSFT_SKIP
}

here=$(cd "$(dirname "$0")" && pwd)
lingerlab=${LINGERLAB:-$(command -v lingerlab || echo "$here/../../build/bin/lingerlab")}
[ -x "$lingerlab" ] || skip_all "lingerlab not found (set LINGERLAB, or build it: tools/build.sh)"
[ "$(id -u)" -eq 0 ] || skip_all "needs root for network namespaces"

if [ -n "${LINGERLAB_OUT:-}" ]; then
	out=$LINGERLAB_OUT
	keep=1
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/lingerlab-kselftest.XXXXXX") || skip_all "no temporary directory"
	out=$tmp/run
	keep=0
fi
tap=$(mktemp "${TMPDIR:-/tmp}/lingerlab-kselftest-tap.XXXXXX") || skip_all "no temporary file"

# lingerlab's own log and summary go to stderr; its TAP is relayed as it
# comes and kept to read the totals.
# shellcheck disable=SC2086 # LINGERLAB_ARGS is a list of options
"$lingerlab" -q run --target netns --time-scale 0.05 --out "$out" ${LINGERLAB_ARGS:-} "$@" \
	--tap - | tee "$tap"
rc=${PIPESTATUS[0]}

totals=$(grep -E '^# Totals: ' "$tap" || true)
if ! grep -q '^TAP version 13$' "$tap"; then
	# lingerlab stopped before the run: 3 is "cannot run here".
	rm -f "$tap"
	[ "$keep" -eq 1 ] || rm -rf "$tmp"
	[ "$rc" -eq 3 ] && skip_all "lingerlab cannot run here (exit 3: privileges, tools or agent; see stderr)"
	echo "TAP version 13"
	echo "1..1"
	echo "not ok 1 - lingerlab run exited $rc before any case ran (see stderr)"
	exit $KSFT_FAIL
fi
rm -f "$tap"

status=$KSFT_PASS
case $rc in
0) # every case completed and none deviates: were any compared?
	pass=$(sed -n 's/^# Totals: pass:\([0-9]*\) .*/\1/p' <<<"$totals")
	[ "${pass:-0}" -gt 0 ] || status=$KSFT_SKIP ;;
*) status=$KSFT_FAIL ;;
esac
if [ "$keep" -eq 0 ]; then
	if [ $status -eq $KSFT_FAIL ]; then
		echo "# the run's results and pcaps are kept in $out"
	else
		rm -rf "$tmp"
	fi
fi
exit $status
