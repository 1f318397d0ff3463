// Stability of a case over the repetitions of a `run --repeat N` run
// (doc/results-format.md "Repetitions"): for each claim, the values its
// repetitions gave and how often, a min–max range for numbers, and whether a
// variation is a documented race or a finding.
//
// A variation is a documented race when the values differ only as the
// run-to-run diff allows (run_diff.h): the same RaceClass (bytes before a
// RST as none/some/all of the payload; a close() that returned at once,
// "immediate" or "peer_acked"), or durations within the comparison's
// tolerance. Any other variation -- a claim the published behaviour decides
// (RST or FIN, what ended close(), how the client's read ended, ...) that
// differs between repetitions, a claim present in some completed
// repetitions only, or verdicts that differ -- is a finding: `check` counts
// it (summary.unstable) and exits 1 for it, and the reports mark it.
//
// Only completed repetitions are compared; an errored one is already an
// error of the run. Nothing here fails: malformed documents contribute what
// can be read of them.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lingerlab {

// A distinct value and how many repetitions gave it.
struct ValueCount {
  nlohmann::json value;  // null: the claim was absent in those repetitions
  int count = 0;
};

struct ClaimStability {
  std::string claim;
  std::vector<ValueCount> values;  // most frequent first; ties in first-seen order
  bool numeric = false;            // every repetition gave a number: min and max are set
  double min = 0, max = 0;
  bool varies = false;   // not every completed repetition gave the same value
  bool finding = false;  // varies beyond a documented race or the time tolerance
  std::string note;      // a variation's kind: "race: some", "within 0.25 s", "finding"
};

struct CaseStability {
  std::string id;
  int repetitions = 0;                 // documents of this case
  int completed = 0;                   // of which completed (the ones compared)
  std::vector<ValueCount> verdicts;    // verdict status of each completed repetition
  bool verdict_varies = false;         // a finding too
  std::vector<ClaimStability> claims;  // every claim a completed repetition has, vocabulary order
  // Varying claims that are findings, plus one when the verdicts differ.
  int Findings() const;
};

// The verdict status a case document is counted under; default (empty
// function): its own verdict.status.
using VerdictOf = std::function<std::string(const nlohmann::json& case_doc)>;

CaseStability AggregateRepetitions(const std::vector<const nlohmann::json*>& repetitions,
                                   const VerdictOf& verdict_of = nullptr);

// The case documents of a results document grouped by id, ids in order of
// first appearance, each group in document order.
std::vector<std::pair<std::string, std::vector<const nlohmann::json*>>> GroupRepetitions(
    const nlohmann::json& results_doc);

// AggregateRepetitions of every case of a results document, in GroupRepetitions' order.
std::vector<CaseStability> RunStability(const nlohmann::json& results_doc,
                                        const VerdictOf& verdict_of = nullptr);

// environment.repeat; 1 when absent (a run without --repeat).
int RunRepeat(const nlohmann::json& results_doc);

// One claim's stability as text, over `completed` repetitions:
//   "abort_on_close: true 10/10"
//   "close_ended_by: immediate 7/10, peer_acked 3/10"
//   "client_bytes: 8748–13092 (8748 4/10, 11644 5/10, 13092 1/10)"
//   "close_blocked_s: 1–1.03 s", "close_blocked_s: 0.014–0.025 ms"
std::string StabilityText(const ClaimStability& claim, int completed);

// The varying claims of a case as a list of StabilityText lines, each
// ending in " (race)", " (within 0.25 s)" (durations) or " FINDING"; the
// verdicts first when they differ. `durations`: false leaves out durations
// within the tolerance (they differ in every run; `check` prints only races
// and findings).
std::vector<std::string> VariationLines(const CaseStability& s, bool durations = true);

// summary.unstable: the number of cases with findings. Set only when the run
// has repetitions (RunRepeat > 1), so a run without --repeat keeps today's
// summary.
void AddStabilitySummary(nlohmann::json& results_doc, const VerdictOf& verdict_of = nullptr);

}  // namespace lingerlab
