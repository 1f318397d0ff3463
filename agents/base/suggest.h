// "Did you mean": the known word closest to a mistyped one, for error
// messages about subcommands, options, case ids and names. Pure; no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lingerlab {

// Levenshtein distance (insert, delete, substitute; each costs 1), plus a
// swap of two neighbouring characters at cost 1 ("rnu" -> "run").
size_t EditDistance(const std::string& a, const std::string& b);

// The candidate closest to `typed`, if it is close enough to be a likely
// typo: at most a third of the longer word's length away (at least 1, at
// most 3), or a candidate that starts with `typed` ("--time-scal" ->
// "--time-scale"). Ties go to the earlier candidate. nullopt when none is.
std::optional<std::string> ClosestMatch(const std::string& typed,
                                        const std::vector<std::string>& candidates);

}  // namespace lingerlab
