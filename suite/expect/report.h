// The Markdown report: the article's two summary tables and a case-by-case
// grid, rebuilt from the expected files, with one measured row (tables) or
// column (grid) per results document.
//
// A measured cell that deviates from its family's expectation is marked
// "⚠N", N pointing into a closing list of deviations (case, claim, expected,
// observed, source). Rendering cannot fail: absent data shows as "—", a
// results document whose family has no expected table is shown unmarked.
// Output is deterministic (no clock, stable order) so it can be golden-tested.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/expect/expected_table.h"

namespace lingerlab {

std::string RenderMarkdownReport(const std::vector<ExpectedTable>& tables,
                                 const std::vector<nlohmann::json>& results_docs);

}  // namespace lingerlab
