// JUnit XML for CI systems (`lingerlab run --junit FILE`, `check --junit`):
// one <testcase> per case of an analysed results document, named so that
// files of several runs (host, gVisor, QEMU, ...) merge without collisions:
//
//   <testsuite name>  <prefix>[<label>], e.g. lingerlab.so_linger[gvisor]:
//              the label (verdict_text.h RunLabel) is the run's target and
//              stack from its environment, so each run is its own suite
//   classname  <prefix>.<id>, e.g. lingerlab.so_linger.03: the same for a
//              case in every run, so CI can follow one case across runs
//   name       <id> <name> [<label>], e.g. 03 slow-client__linger-lsock-0
//              [gvisor]: unique across the merged runs (tools that key tests
//              by name alone keep them apart)
//   time       the case's duration_s, rounded to milliseconds
//   <failure>  verdict "deviation": one line per deviating claim (expected,
//              observed, source) and the evidence the classifier recorded
//   <error>    verdict "error" (the case did not complete): the reason
//   <skipped>  "not-comparable" and "no-expectation", with the reason
//
// The run's environment (label, target, stack, OS, family, ...) is in
// <property> elements; one <testsuite> inside <testsuites>. The
// output is valid against doc/junit.xsd, which holds the constraints of the
// schemas CI systems read this format with (Jenkins' xunit junit-10 and the
// Ant JUnit schema); junit_report_test validates it with xmllint, and
// tools/check-junit-merge.sh merges three runs' files with third-party tools.
// Rendering cannot fail: absent fields render as empty or zero, and text is
// escaped (XML 1.0 cannot carry control characters: they become U+FFFD).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lingerlab {

// `results_doc` as written by `run` or re-analysed by `check` (every case
// has a verdict). `prefix` is "lingerlab.<matrix name>".
std::string RenderJunitXml(const nlohmann::json& results_doc, const std::string& prefix);

// Text made safe for XML 1.0 character data and attribute values.
std::string XmlEscape(const std::string& text);

}  // namespace lingerlab
