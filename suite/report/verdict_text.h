// The words the CI formats (junit_report.h, tap_report.h) give a run and its
// cases, decided once so a case reads the same in a merged JUnit file and in
// a TAP stream:
//
//   RunLabel    what tells this run from another of the same matrix in one
//               CI job: its target and stack ("gvisor", "netns/host-kernel",
//               "remote/windows-native"), then " ipv6" and the close variant
//               when the run used them. Merging tools key suites and tests by
//               name; without the label three runs' "03" collapse into one.
//   CaseTitle   "03 slow-client__linger-lsock-0 [gvisor]" ("...-0__r2 [gvisor]": repetition 2)
//   CiOutcome   a verdict as CI counts it: pass, fail (deviation), error (the
//               case did not complete, or has no verdict), skip (not compared)
//   ...Text     why a case failed, erred or was skipped, as plain text
//
// Everything reads a results document as written by `run` or `check`
// (doc/results-format.md); absent or mistyped fields give "" or "unknown",
// never an exception. Escaping is the format's job.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lingerlab {

std::string RunLabel(const nlohmann::json& results_doc);

std::string CaseTitle(const nlohmann::json& case_doc, const std::string& run_label);

enum class CiOutcome { kPass, kFail, kError, kSkip };

// From verdict.status: pass, deviation, error (or none), not-comparable and
// no-expectation.
CiOutcome CiOutcomeOf(const nlohmann::json& case_doc);

// A field as text: strings bare, null as "", anything else as JSON.
std::string JsonText(const nlohmann::json& value);

// The deviating checks, one line each ("claim: expected X, observed Y
// (source: S)", fractions to milliseconds), the classifier's evidence behind them ("  evidence:
// ..."), and the case's pcap ("pcap: pcaps/03.pcap"); lines end in '\n'.
std::string FailureText(const nlohmann::json& case_doc);

// The deviating claims' names, ", "-joined.
std::string DeviatingClaims(const nlohmann::json& case_doc);

// Why a case did not complete: verdict.reason, else its error, else "the
// case has no verdict".
std::string ErrorReason(const nlohmann::json& case_doc);

// Why a case was not compared, prefixed with its status: "no-expectation:
// the expected table of family 'linux' states nothing for this case".
std::string SkipReason(const nlohmann::json& case_doc);

}  // namespace lingerlab
