#!/usr/bin/env bash
# The committed reports under results/, regenerated from the committed runs
# with this checkout's lingerlab, so that a report never shows what an older
# report format or an older expected table said. One line per report below:
# the output, its format, its matrix, and the runs it puts side by side
# (results/README.md says what each one is for).
#   tools/regenerate-reports.sh            # rewrite them
#   tools/regenerate-reports.sh --check    # exit 1 if one is stale (ctest: committed_reports)
# LINGERLAB_BIN: the lingerlab binary (default build/bin/lingerlab).
# results/report-repeat10-scale0.05.md is not here: its run was not kept.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${LINGERLAB_BIN:-build/bin/lingerlab}
[ -x "$bin" ] || { echo "regenerate-reports.sh: no $bin (build first: tools/build.sh)" >&2; exit 2; }
mode=${1:-write}
case $mode in write | --check) ;; *) echo "usage: $0 [--check]" >&2; exit 2 ;; esac

so=matrix/so_linger.json
cs=matrix/close_states.json
r=results
reports=(
  "report.md            md   $so                     $r/reference-scale1 $r/reference-scale0.05 $r/reference-remote-scale0.05"
  "report.html          html $so                     $r/reference-scale1 $r/reference-scale0.05 $r/reference-remote-scale0.05"
  "report-stacks.md     md   $so                     $r/reference-scale0.05 $r/reference-gvisor-scale0.05 $r/reference-qemu-scale0.05"
  "report-stacks.html   html $so                     $r/reference-scale0.05 $r/reference-gvisor-scale0.05 $r/reference-qemu-scale0.05"
  "report-ports.md      md   $so                     $r/reference-scale0.05 $r/reference-wine-scale0.05 $r/reference-lwip-scale0.05"
  "report-ports.html    html $so                     $r/reference-scale0.05 $r/reference-wine-scale0.05 $r/reference-lwip-scale0.05"
  "report-lwip.md       md   $so                     $r/reference-scale0.05 $r/reference-lwip-scale0.05"
  "report-data-loss.md  md   matrix/data_loss.json   $r/data-loss-scale1"
  "report-data-loss.html html matrix/data_loss.json  $r/data-loss-scale1"
  "report-close-states.md   md   $cs $r/close-states-netns-scale0.05 $r/close-states-qemu-scale0.05 $r/close-states-gvisor-scale0.05 $r/close-states-lwip-scale0.05 $r/close-states-wine-scale0.05"
  "report-close-states.html html $cs $r/close-states-netns-scale0.05 $r/close-states-qemu-scale0.05 $r/close-states-gvisor-scale0.05 $r/close-states-lwip-scale0.05 $r/close-states-wine-scale0.05"
)

# Each report is written beside the committed one (results/.NAME.new): an
# HTML report links each case's pcap relative to where it is written, so
# one made elsewhere would link differently, and differ in every clone.
tmp=$(mktemp -d /tmp/lingerlab-reports.XXXXXX)
trap 'rm -rf "$tmp"; rm -f "$r"/.report*.new' EXIT
stale=0
for line in "${reports[@]}"; do
  read -r out format matrix runs <<<"$line"
  inputs=()
  for d in $runs; do inputs+=("$d/results.json"); done
  new=$r/.$out.new
  if ! "$bin" -q report "${inputs[@]}" --matrix "$matrix" --format "$format" -o "$new" \
    2>"$tmp/$out.err"; then
    rm -f "$new"
    echo "regenerate-reports.sh: lingerlab report for $out failed: $(cat "$tmp/$out.err")" >&2
    exit 1
  fi
  if [ "$mode" = --check ]; then
    mv "$new" "$tmp/$out"
    if ! cmp -s "$r/$out" "$tmp/$out"; then
      echo "regenerate-reports.sh: $r/$out is stale; differences (first 20 lines):" >&2
      diff "$r/$out" "$tmp/$out" | head -20 >&2 || true
      stale=1
    fi
  else
    mv "$new" "$r/$out"
    echo "regenerate-reports.sh: wrote $r/$out"
  fi
done
if [ "$mode" = --check ]; then
  [ $stale -eq 0 ] || { echo "regenerate-reports.sh: run tools/regenerate-reports.sh" >&2; exit 1; }
  echo "regenerate-reports.sh: all ${#reports[@]} reports are current"
fi
