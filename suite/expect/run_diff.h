// Run-to-run comparison: which claims of which cases changed between a
// baseline results document and a new one (`lingerlab diff BASE NEW`, the
// regression check of one kernel against the next).
//
// Claims are compared as the expected tables compare them, not byte for
// byte:
//   - time-valued claims (close_blocked_s) are equal within the comparison's
//     tolerance (suite/classify/thresholds.h): max(kLingerToleranceMinS,
//     kLingerToleranceFraction * the larger value);
//   - values the results document as races compare by class (RaceClass):
//     client_bytes as none / some / all of the payload (how many bytes beat
//     the RST is a race, results/README.md), and a close() that returned
//     within kImmediateCloseS as "returned at once" whether it ended
//     "immediate" or "peer_acked" (the fast client's FIN ACK races close()'s
//     return by microseconds);
//   - the verdict's status and the case's completion status are compared too.
// A claim present on one side only is a change. Nothing here fails: a
// malformed case document contributes what can be read of it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lingerlab {

struct ClaimChange {
  std::string case_id;
  std::string what;          // a claim name, "verdict", "status", or "case" (present on one side)
  nlohmann::json base, now;  // the compared values (null: absent)
  std::string note;          // how it was compared ("within 0.25 s", "by class: ...")
};

// The claim value of `case_doc` (outcome.claims) as it is compared between
// runs: the race classes above, else the value itself (null when absent).
nlohmann::json RaceClass(const nlohmann::json& case_doc, const std::string& claim);

// Whether two durations are the same within the comparison's tolerance,
// which it stores in *tolerance: max(kLingerToleranceMinS,
// kLingerToleranceFraction * the larger value).
bool SameTimeValue(double a, double b, double* tolerance);

// Whether `claim` is the same in two case documents: equal values, or the
// same race class. (Time-valued claims: DiffCase compares them within the
// tolerance instead.)
bool SameClaimValue(const nlohmann::json& base, const nlohmann::json& now,
                    const std::string& claim);

// The changes of one case; empty when it is the same. `base` and `now` are
// case documents (doc/results-format.md) of the same case id.
std::vector<ClaimChange> DiffCase(const nlohmann::json& base, const nlohmann::json& now);

// The changes over two results documents, in `order` (the matrix's case
// ids); a case in one document only is a change "case". A case with one
// document on each side is compared by DiffCase; one with several on either
// side (`run --repeat`; the counts may differ) by the sets of values its
// completed repetitions gave: a claim changed when the sets differ and so do
// their race classes, a duration when the two ranges are apart by more than
// the tolerance, the verdict or status when their sets differ. Such a
// change's base/now are the sets (durations: [min, max]).
std::vector<ClaimChange> DiffRuns(const nlohmann::json& base_doc, const nlohmann::json& new_doc,
                                  const std::vector<std::string>& order);

// One line per change, for the terminal: "04 close_blocked_s: 0.0001 -> 1.02".
std::string FormatChange(const ClaimChange& change);

}  // namespace lingerlab
