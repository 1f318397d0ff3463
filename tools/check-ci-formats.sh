#!/usr/bin/env bash
# Reads lingerlab's CI formats back with third-party readers, the way a CI job
# that combines several stacks does (lingerlab issue 19):
#   JUnit  three reference runs on different stacks (host kernel, gVisor,
#          QEMU: results/reference-*-scale0.05) rendered by `lingerlab check
#          --junit`, each valid against doc/junit.xsd (xmllint), then merged
#          by Debian's python3-junitparser and npm's junit-report-merger and
#          read by npm's xunit-viewer: every run must stay a suite of its own
#          with its own failures, errors and skips, and the 102 tests must
#          stay 102 distinct ones.
#   TAP    the same runs' `check --tap` read by npm's tap-parser and by Perl's
#          prove (TAP::Harness): the counts are the results' verdicts, no
#          parse error, prove fails exactly the runs that deviate.
#   kselftest  (as root: it runs cases on the netns lab) tools/kselftest/
#          lingerlab.sh on cases 03,04 against the BSD table: exit 1 and one
#          not-ok of two for tap-parser; on case 05 alone (nothing compared):
#          exit 4 and a skip.
# The expected counts come from each run's own verdicts (`check --write`),
# never from what a reader says. Self-test: the same files with the run
# labels stripped (the names lingerlab wrote before) must be caught losing
# gVisor's failures, so this check can fail.
#
#   tools/check-ci-formats.sh          # needs build/bin/lingerlab
# Environment: LINGERLAB (the binary), LINGERLAB_NPM_DIR (where the npm
# readers are installed, default build/npm; installed there with npm when
# missing: the npm registry must be reachable then).
# Exit 0 all good, 1 a reader lost or changed something, 3 a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
lingerlab=${LINGERLAB:-build/bin/lingerlab}
npm_dir=${LINGERLAB_NPM_DIR:-build/npm}
npm_dir=$(mkdir -p "$npm_dir" && cd "$npm_dir" && pwd)  # absolute: node's require() reads "build/..." as a package name
py=/usr/bin/python3 # Debian's, where python3-junitparser lives (not a pyenv's)
runs=(reference-scale0.05 reference-gvisor-scale0.05 reference-qemu-scale0.05)

die() { echo "check-ci-formats: $*" >&2; exit 3; }
[ -x "$lingerlab" ] || die "no $lingerlab (cmake --build build --target lingerlab, or set LINGERLAB)"
command -v xmllint >/dev/null || die "xmllint missing: apt-get install libxml2-utils"
command -v prove >/dev/null || die "prove missing: apt-get install perl"
"$py" -c 'import junitparser' 2>/dev/null || die "junitparser missing: apt-get install python3-junitparser"
command -v node >/dev/null || die "node missing: apt-get install nodejs npm"
if [ ! -d "$npm_dir/node_modules/xunit-viewer" ] || [ ! -d "$npm_dir/node_modules/junit-report-merger" ] ||
  [ ! -d "$npm_dir/node_modules/tap-parser" ]; then
  echo "check-ci-formats: installing the npm readers into $npm_dir" >&2
  mkdir -p "$npm_dir"
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error \
    xunit-viewer@10 junit-report-merger@9 tap-parser@18 >&2 || die "npm install failed"
fi
bin=$(cd "$npm_dir" && pwd)/node_modules/.bin

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-ci-formats.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/junit" "$tmp/tap" "$tmp/doc" "$tmp/collided"
fail=0
for run in "${runs[@]}"; do
  rc=0
  "$lingerlab" -q check "results/$run/results.json" --write "$tmp/doc/$run.json" \
    --junit "$tmp/junit/$run.xml" --tap "$tmp/tap/$run.tap" >/dev/null || rc=$?
  [ $rc -le 1 ] || die "lingerlab check results/$run/results.json: exit $rc"
  xmllint --noout --schema doc/junit.xsd "$tmp/junit/$run.xml" 2>"$tmp/xmllint.log" ||
    { cat "$tmp/xmllint.log" >&2; echo "FAIL $run: JUnit not valid against doc/junit.xsd" >&2; fail=1; }
  # The names lingerlab wrote before issue 19: no run label anywhere.
  sed -e 's/\[[^]"]*\]"/"/g' -e 's/ \[[^]"]*\]"/"/g' "$tmp/junit/$run.xml" >"$tmp/collided/$run.xml"
done

"$bin/jrm" "$tmp/jrm.xml" "$tmp"/junit/*.xml >/dev/null
"$bin/jrm" "$tmp/jrm-collided.xml" "$tmp"/collided/*.xml >/dev/null
"$py" -m junitparser merge "$tmp"/junit/*.xml "$tmp/junitparser.xml"
"$py" -m junitparser merge "$tmp"/collided/*.xml "$tmp/junitparser-collided.xml"
"$bin/xunit-viewer" -r "$tmp/junit" -c -n -C false -o false >"$tmp/xunit-viewer.txt" 2>&1
"$bin/xunit-viewer" -r "$tmp/collided" -c -n -C false -o false >"$tmp/xunit-viewer-collided.txt" 2>&1
# tap-parser's reading of a TAP file, as JSON: counts, plan, parse errors.
tap_parser() {
  node -e '
    const { Parser } = require(process.argv[1] + "/tap-parser");
    const p = new Parser((r) => {
      const bad = r.failures.filter((f) => f.tapError).map((f) => f.tapError);
      console.log(JSON.stringify({ count: r.count, pass: r.pass, fail: r.fail, skip: r.skip,
                                   plan: r.plan.end, errors: bad }));
    });
    p.end(require("fs").readFileSync(process.argv[2]));' \
    "$npm_dir/node_modules" "$1"
}
for run in "${runs[@]}"; do
  tap_parser "$tmp/tap/$run.tap" >"$tmp/tap/$run.tap-parser.json"
  rc=0
  prove --exec cat "$tmp/tap/$run.tap" >"$tmp/tap/$run.prove.txt" 2>&1 || rc=$?
  echo "$rc" >"$tmp/tap/$run.prove.rc"
done

"$py" - "$tmp" "${runs[@]}" <<'EOF' || fail=1
import json, re, sys
from junitparser import JUnitXml, Failure, Error, Skipped

tmp, runs = sys.argv[1], sys.argv[2:]
problems = []

# What each run's verdicts say, from its own re-analysed results document.
expected, expected_of_run = {}, {}
for run in runs:
    doc = json.load(open(f"{tmp}/doc/{run}.json"))
    s = doc["summary"]
    label = re.search(r'<property name="label" value="([^"]*)"', open(f"{tmp}/junit/{run}.xml").read()).group(1)
    expected[label] = {"tests": len(doc["cases"]), "failures": s.get("deviation", 0),
                       "errors": s.get("error", 0),
                       "skipped": s.get("not-comparable", 0) + s.get("no-expectation", 0)}
    expected_of_run[run] = expected[label]
if len(expected) != len(runs):
    problems.append(f"the runs' labels are not distinct: {sorted(expected)}")
total = {k: sum(e[k] for e in expected.values()) for k in ("tests", "failures", "errors", "skipped")}
print("expected per run:", json.dumps(expected))
if not any(e["failures"] for e in expected.values()):
    problems.append("no run has a failure: nothing would show a lost one")

def junit_counts(path):
    """Per suite name: tests, failures, errors, skipped as junitparser reads them; and the distinct test ids."""
    xml = JUnitXml.fromfile(path)
    suites, ids, n = {}, set(), 0
    for suite in (xml if isinstance(xml, JUnitXml) else [xml]):
        c = suites.setdefault(suite.name, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
        for case in suite:
            n += 1
            ids.add((case.classname, case.name))
            c["tests"] += 1
            kinds = {type(r) for r in case.result}
            c["failures"] += Failure in kinds
            c["errors"] += Error in kinds
            c["skipped"] += Skipped in kinds
    return suites, ids, n

def check_junit(tool, path):
    found = []
    suites, ids, n = junit_counts(path)
    for label, e in expected.items():
        name = f"lingerlab.so_linger[{label}]"
        if suites.get(name) != e:
            found.append(f"{tool}: suite {name}: {suites.get(name)} != {e}")
    if len(suites) != len(expected):
        found.append(f"{tool}: {len(suites)} suites, not {len(expected)}: {sorted(suites)}")
    if len(ids) != total["tests"] or n != total["tests"]:
        found.append(f"{tool}: {len(ids)} distinct test ids in {n} tests, not {total['tests']}")
    return found

def check_xunit_viewer(path):
    found = []
    text = open(path).read()
    last = [l for l in text.splitlines() if l.strip()][-1]
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (\w+)", last)}
    want = {"passed": total["tests"] - total["failures"] - total["errors"] - total["skipped"],
            "failure": total["failures"], "error": total["errors"], "skipped": total["skipped"]}
    if {k: v for k, v in counts.items() if v} != {k: v for k, v in want.items() if v}:
        found.append(f"xunit-viewer: totals '{last.strip()}' != {want}")
    for label, e in expected.items():
        failed = len(re.findall(r"^\s*✗ .* \[" + re.escape(label) + r"\] time=", text, re.M))
        if failed != e["failures"]:
            found.append(f"xunit-viewer: {failed} failed tests of [{label}], not {e['failures']}")
    return found

def check_tap(run):
    found = []
    e = expected_of_run[run]
    r = json.load(open(f"{tmp}/tap/{run}.tap-parser.json"))
    want = {"count": e["tests"], "pass": e["tests"] - e["failures"] - e["errors"],
            "fail": e["failures"] + e["errors"], "skip": e["skipped"], "plan": e["tests"], "errors": []}
    if r != want:
        found.append(f"tap-parser {run}: {r} != {want}")
    rc = int(open(f"{tmp}/tap/{run}.prove.rc").read())
    if (rc != 0) != (want["fail"] > 0):
        found.append(f"prove {run}: exit {rc} with {want['fail']} expected failures")
    return found

problems += check_junit("junitparser merge", f"{tmp}/junitparser.xml")
problems += check_junit("junit-report-merger", f"{tmp}/jrm.xml")
problems += check_xunit_viewer(f"{tmp}/xunit-viewer.txt")
for run in runs:
    problems += check_tap(run)

# Self-test: without the labels the readers lose tests or failures (not only
# the suite names this check looks for), and the checks above say so.
for tool, found in (("junitparser", check_junit("junitparser merge", f"{tmp}/junitparser-collided.xml")),
                    ("junit-report-merger", check_junit("junit-report-merger", f"{tmp}/jrm-collided.xml")),
                    ("xunit-viewer", check_xunit_viewer(f"{tmp}/xunit-viewer-collided.txt"))):
    lost = [f for f in found if ": suite " not in f]
    if not lost:
        problems.append(f"self-test: {tool} on unlabelled files was not caught losing anything")
    else:
        print(f"self-test: unlabelled files caught ({tool}): {'; '.join(lost)}")

for p in problems:
    print("FAIL", p, file=sys.stderr)
if not problems:
    print(f"ok: {len(runs)} runs, {total['tests']} tests, {total['failures']} failures survive "
          "junitparser, junit-report-merger and xunit-viewer; TAP read by tap-parser and prove")
sys.exit(1 if problems else 0)
EOF

# The kselftest wrapper: exit code and TAP of a run that deviates, and of
# one where no case is compared.
kselftest() { # expected-exit expected-tap-parser-json args...
  local want_rc=$1 want=$2 rc=0 got
  shift 2
  LINGERLAB=$(cd "$(dirname "$lingerlab")" && pwd)/$(basename "$lingerlab") \
    LINGERLAB_OUT="$tmp/kselftest-run" tools/kselftest/lingerlab.sh "$@" \
    >"$tmp/kselftest.tap" 2>"$tmp/kselftest.err" || rc=$?
  rm -rf "$tmp/kselftest-run"
  got=$(tap_parser "$tmp/kselftest.tap")
  if [ "$rc" -ne "$want_rc" ] || [ "$got" != "$want" ]; then
    echo "FAIL kselftest wrapper $*: exit $rc (want $want_rc), tap-parser $got (want $want)" >&2
    tail -5 "$tmp/kselftest.err" >&2
    fail=1
  else
    echo "ok: kselftest wrapper $*: exit $rc, tap-parser $got"
  fi
}
if [ "$(id -u)" -eq 0 ]; then
  kselftest 1 '{"count":2,"pass":1,"fail":1,"skip":0,"plan":2,"errors":[]}' --cases 03,04 --expect bsd
  kselftest 4 '{"count":1,"pass":1,"fail":0,"skip":1,"plan":1,"errors":[]}' --cases 05
else
  echo "check-ci-formats: not root: the kselftest wrapper's runs are not checked" >&2
fi
exit $fail
