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

#include "suite/expect/expected_table.h"

namespace lingerlab {

// Tolerance for time claims. Kernel timers never fire early but may fire
// late: Linux's timer wheel batches long timeouts into coarser buckets, up to
// 12.5% late (at HZ=250 a 20 s linger lands in 2.048 s buckets: measured
// 20.0-21.96 s on Linux 6.18). So an observed time passes when it is at most
// the floor early and at most max(floor, fraction * expected) late.
// Linger-based times (doc/expected-format.md): floor for scheduling noise.
inline constexpr double kCompareLingerToleranceFloorS = 0.25;
inline constexpr double kCompareLingerToleranceFraction = 0.125;
// Kernel-constant times (only compared at time scale 1): classic BSD's slow
// timeout runs every 500 ms, hence the larger floor.
inline constexpr double kCompareKernelToleranceFloorS = 0.5;
inline constexpr double kCompareKernelToleranceFraction = 0.125;

struct CompareOptions {
  double time_scale = 1.0;
  std::string host_os;  // uname -s of the server's host ("FreeBSD", "Linux"): for `only`
};

// The verdict for `case_id`: {"status", "family", "checks": [{claim, expected,
// observed, result, source, note?}]}. `observed_claims` is the outcome's
// "claims" object; `applied_linger_s` the linger seconds the run actually set
// (after --time-scale), used for time_basis "linger".
nlohmann::json CompareCase(const ExpectedTable& table, const std::string& case_id,
                           const nlohmann::json& observed_claims, double applied_linger_s,
                           const CompareOptions& options);

}  // namespace lingerlab
