// Compares one case's observed claims with what the expected table states for
// that case, producing the verdict of doc/results-format.md ("Verdict").
//
// Nothing here fails: a claim that cannot be compared (not observed, scaled
// away from a kernel constant, for another OS) becomes a check with that
// result and a note, and a case the table says nothing about gets
// "no-expectation".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "suite/classify/thresholds.h"
#include "suite/expect/expected_table.h"

namespace lingerlab {

// Time claims are compared with the tolerances the classifier uses
// (suite/classify/thresholds.h, the one definition): at most the floor early
// and at most max(floor, kLingerToleranceFraction * expected) late, because
// kernel timers never fire early but may fire late. Linger-based times use
// kLingerToleranceMinS as the floor, kernel-constant times
// kKernelTimeToleranceMinS.

struct CompareOptions {
  double time_scale = 1.0;
  std::string host_os;  // uname -s of the server's host ("FreeBSD", "Linux"): for `only`
  // Non-empty when the case ran without a packet capture (its site could not
  // capture, e.g. an agent without privilege): claims the classifier could
  // not make are then not-comparable with this reason, never guessed.
  std::string no_capture_reason;
  // Non-empty when the stack under test exited or hung in a call (the
  // case's "stack_fault"): claims the case never reached are not-comparable
  // with this reason, and the verdict carries it as "reason". A stack fault
  // is an outcome, never an error: the verdict is no-expectation where the
  // table states nothing (lwIP's undefined behaviour), else the checks'.
  std::string stack_fault_reason;
};

// The verdict for `case_id`: {"status", "family", "checks": [{claim, expected,
// observed, result, source, note?}], "reason"?}. `observed_claims` is the outcome's
// "claims" object; `applied_linger_s` the linger seconds the run actually set
// (after --time-scale), used for time_basis "linger".
nlohmann::json CompareCase(const ExpectedTable& table, const std::string& case_id,
                           const nlohmann::json& observed_claims, double applied_linger_s,
                           const CompareOptions& options);

}  // namespace lingerlab
