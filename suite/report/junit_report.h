// JUnit XML for CI systems (`lingerlab run --junit FILE`, `check --junit`):
// one <testcase> per case of an analysed results document.
//
//   classname  the family the case was compared with (verdict.family, else
//              the server agent's family)
//   name       <id>__<name>, e.g. 04__slow-client__linger-csock-0
//   time       the case's duration_s
//   <failure>  verdict "deviation": one line per deviating claim (expected,
//              observed, source) and the evidence the classifier recorded
//   <error>    verdict "error" (the case did not complete): the reason
//   <skipped>  "not-comparable" and "no-expectation", with the reason
//
// One <testsuite> (name "lingerlab.<matrix>", e.g. lingerlab.so_linger) with
// the run's environment as <property> elements, inside <testsuites>. The
// output is valid against doc/junit.xsd, which holds the constraints of the
// schemas CI systems read this format with (Jenkins' xunit junit-10 and the
// Ant JUnit schema); junit_report_test validates it with xmllint.
// Rendering cannot fail: absent fields render as empty or zero, and text is
// escaped (XML 1.0 cannot carry control characters: they become U+FFFD).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lingerlab {

// `results_doc` as written by `run` or re-analysed by `check` (every case
// has a verdict). `suite_name` names the <testsuite>.
std::string RenderJunitXml(const nlohmann::json& results_doc, const std::string& suite_name);

// Text made safe for XML 1.0 character data and attribute values.
std::string XmlEscape(const std::string& text);

}  // namespace lingerlab
