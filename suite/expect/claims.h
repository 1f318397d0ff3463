// The claims vocabulary of doc/results-format.md, as the expected tables use it.
//
// A claim is one named fact about a case's outcome ("abort_on_close": true).
// This file knows each claim's value type so that an expected table with a
// misspelt claim or a wrongly typed value is rejected when it is loaded,
// not silently never compared. Nothing here can fail: lookups of unknown
// names return nullptr / false.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/base/text_rules.h"  // IsErrnoName

namespace lingerlab {

// The JSON type a claim's value has.
enum class ClaimType {
  kBool,         // true / false
  kSeconds,      // a number >= 0, seconds
  kEndedBy,      // one of kCloseEndedByValues
  kErrnoOrNull,  // an errno name ("EINVAL") or null for success
  kInt,          // any integer
  kCount,        // an integer >= 0
  kClientEnd,    // "eof", "limit" or an errno name
  kStackFault,   // "none", "exited_in_<op>" or "hung_in_<op>" (op: lowercase letters and _)
  kTcpState,     // a TCP state name ("FIN_WAIT1", kTcpStateNames) or "gone"
  kReadOutcome,  // "eof", "limit" or an errno name, optionally after "data+"
  kRevents,      // poll() event names joined by '+' ("IN+HUP"), or "none"
};

// The TCP state names tcp_state and socket_table report (doc/protocol.md §3.2).
const std::vector<std::string>& TcpStateNames();

struct ClaimInfo {
  const char* name;
  ClaimType type;
  bool time_valued;  // its value is a duration: needs a time_basis
};

// Every claim of the vocabulary, in the table's order (also the order reports
// list them in).
const std::vector<ClaimInfo>& AllClaims();

// nullptr when `claim` is not in the vocabulary.
const ClaimInfo* FindClaim(std::string_view claim);

bool IsKnownClaim(const std::string& claim);

// The values close_ended_by may take.
const std::vector<std::string>& CloseEndedByValues();

// A claim value as text (reports, stability): strings bare, floats to 3
// significant digits, anything else as JSON.
std::string ClaimValueText(const nlohmann::json& value);

// Empty if `value` has the type `info` demands, else the reason, phrased to
// follow "value must ..." ("be a boolean").
std::string CheckClaimValue(const ClaimInfo& info, const nlohmann::json& value);

}  // namespace lingerlab
