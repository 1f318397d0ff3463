#!/usr/bin/env bash
# Checks the bash completion (suite/cli/lingerlab.bash-completion) against
# the binary's own --help: every subcommand and every option of each
# subcommand must be offered, every offered option must exist, and the
# --target values offered must be the ones the help text names.
#   tools/check-completion.sh [LINGERLAB_BIN] [COMPLETION_FILE]
# Exit 0 in step, 1 out of step (each difference printed), 2 bad usage.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/bin/lingerlab}
file=${2:-$here/suite/cli/lingerlab.bash-completion}
[ -x "$bin" ] || { echo "check-completion.sh: no lingerlab at $bin" >&2; exit 2; }
[ -r "$file" ] || { echo "check-completion.sh: no completion file $file" >&2; exit 2; }
# shellcheck source=/dev/null
source "$file" || { echo "check-completion.sh: $file does not load" >&2; exit 1; }

# complete WORDS...: COMPREPLY for the command line "lingerlab WORDS" with
# the cursor on the last word, sorted, one per line.
complete_words() {
  COMP_WORDS=(lingerlab "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _lingerlab
  printf '%s\n' "${COMPREPLY[@]}" | sort -u | sed '/^$/d'
}
# help_options SUB: the options a subcommand's --help lists, one per line.
help_options() {
  "$bin" "$@" --help | grep -oE '^  (-[a-zA-Z],)?--?[a-z][a-z-]*' |
    sed 's/^ *//; s/,/\n/' | sort -u
}
fail=0
differs() {  # what, expected, got
  if [ "$2" != "$3" ]; then
    echo "check-completion.sh: $1 differ (< --help, > completion):"
    diff <(echo "$2") <(echo "$3") | grep '^[<>]'
    fail=1
  fi
}

subs=$("$bin" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && /^  [a-z]/ {print $1}' | sort)
[ -n "$subs" ] || { echo "check-completion.sh: no subcommands in $bin --help"; exit 1; }
differs "subcommands" "$subs" "$(complete_words '')"
differs "global options" "$(help_options)" "$(complete_words -)"
for s in $subs; do
  # -v/-q are the main command's options, offered after a subcommand too (fallthrough).
  differs "options of '$s'" "$(help_options "$s")" \
    "$(complete_words "$s" - | grep -v -e '^-v$' -e '^-q$' -e '^--verbose$' -e '^--quiet$')"
done
for s in run clean; do
  offered=$(complete_words "$s" --target '')
  named=$("$bin" "$s" --help | grep -E '^  --target' | grep -oE '\b(netns|gvisor|lwip|qemu|remote)\b' |
    sort -u)
  differs "--target values of '$s'" "$named" "$offered"
done
[ $fail -eq 0 ] && echo "check-completion.sh: completion in step with $bin"
exit $fail
