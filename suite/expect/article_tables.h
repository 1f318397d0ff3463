// The article's two summary tables ("Effect of SO_LINGER set to {on, 0}" and
// "{on, 20}"), derived from per-case claims rather than typed in. Which cases
// a cell is built from is data about the matrix ("summary_tables" in
// matrix/so_linger.json, validated against its cases when it is loaded);
// what each column means (its claim) is here.
//
// The same derivation serves the expected files (to check they reproduce the
// article) and a run's observed claims (its measured row in the report). Each
// cell names the cases and claims it was derived from, so a report can mark
// the cells a deviation falls in. Nothing fails: a cell with no data is "—",
// and cases that disagree are listed ("No (#03) / Yes (#33)").
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/expect/expected_table.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// Case id -> {claim: value}.
using CaseClaims = std::map<std::string, nlohmann::json>;

// The stated values of a table. `only` expectations are included: none of the
// article's table cells rests on one.
CaseClaims ClaimsOfTable(const ExpectedTable& table);

// cases[].outcome.claims of a results document (doc/results-format.md).
CaseClaims ClaimsOfResults(const nlohmann::json& results_doc);

struct ArticleCell {
  std::string text;  // as the article prints it: "Yes", "No", "20", "Until FIN is ACK'd", "Yes *"
  std::vector<std::pair<std::string, std::string>> inputs;  // (case id, claim) it was derived from
};

// Column headings, in the article's order.
const std::vector<std::string>& OnZeroHeadings();    // 4 columns
const std::vector<std::string>& OnTwentyHeadings();  // 4 columns

// {on,0}: abort_on_close of the cases of Abort on close() Listening (so_linger:
// #03, #33) / Connected (#04); Abort on close() after shutdown() Listening
// (#20, #34) / Connected (#22).
std::vector<ArticleCell> OnZeroRow(const CaseClaims& claims, const SummaryTableCases& cases);

// {on,20}, from the on_twenty cases (so_linger: #06, #09): Block on close()
// ("Yes *" when the on_twenty_after_shutdown cases #26/#30 do not block),
// Time spent blocking (close_blocked_s, else "Until FIN is ACK'd" when close
// ended by the peer's ACK), Abort on linger timeout, Return EWOULDBLOCK on
// linger timeout.
std::vector<ArticleCell> OnTwentyRow(const CaseClaims& claims, const SummaryTableCases& cases);

// The article's footnote for "Yes *".
inline constexpr const char* kWindowsShutdownFootnote =
    "On Windows, if close() is preceded by a call to shutdown(), the answer here becomes \"No\".";

}  // namespace lingerlab
