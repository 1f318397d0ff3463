// TAP (Test Anything Protocol, version 13) in the Linux kselftest convention,
// for `lingerlab run --tap FILE` and `check --tap FILE` ("-": stdout) and the
// kselftest wrapper tools/kselftest/lingerlab.sh. One test point per case of
// an analysed results document, numbered in the document's order:
//
//   TAP version 13
//   # lingerlab.so_linger[gvisor]: Linux 4.4.0, family linux, time scale 0.05
//   1..34
//   ok 1 - 01 idle-client__no-linger [gvisor] # SKIP no-expectation: ...
//   not ok 3 - 03 slow-client__linger-lsock-0 [gvisor]
//   # abort_on_close: expected true, observed false (source: ...)
//   ...
//   # Totals: pass:6 fail:6 xfail:0 xpass:0 skip:22 error:0
//
//   pass            ok
//   deviation       not ok, then the deviating claims as `# ` diagnostics
//   error           not ok, then `# error: <reason>` (the case did not
//                   complete, or has no verdict)
//   not-comparable  ok ... # SKIP <reason>
//   no-expectation  ok ... # SKIP <reason>
//
// Warnings of a case follow its line as `# warning: ...`. The last line is
// kselftest's totals (ksft_print_cnts), where fail counts deviations and
// error counts cases that did not complete. Test names are the JUnit ones
// (verdict_text.h CaseTitle). doc/tap.md says what a consumer may rely on.
//
// Rendering cannot fail. Untrusted text (names, reasons, agents' words) is
// made safe for one TAP line: control characters become visible escapes
// (text_rules.h TerminalSafe), '\' and '#' in a description are escaped as
// TAP 13 says, so nothing a results file holds can add a test line, a
// directive or a "Bail out!".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lingerlab {

// `results_doc` as written by `run` or re-analysed by `check`. `prefix` is
// "lingerlab.<matrix name>", as for RenderJunitXml.
std::string RenderTap(const nlohmann::json& results_doc, const std::string& prefix);

}  // namespace lingerlab
