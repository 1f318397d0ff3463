#include "suite/expect/claims.h"

#include "suite/classify/observation_names.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace lingerlab {

const std::vector<ClaimInfo>& AllClaims() {
  static const std::vector<ClaimInfo> kClaims = {
      {"abort_on_close", ClaimType::kBool, false},
      {"close_blocks", ClaimType::kBool, false},
      {"close_blocked_s", ClaimType::kSeconds, true},
      {"close_ended_by", ClaimType::kEndedBy, false},
      {"close_ret", ClaimType::kInt, false},
      {"close_errno", ClaimType::kErrnoOrNull, false},
      {"abort_on_linger_timeout", ClaimType::kBool, false},
      {"ewouldblock_on_linger_timeout", ClaimType::kBool, false},
      {"rst_after_clean_close", ClaimType::kBool, false},
      {"idle_abort", ClaimType::kBool, false},
      {"late_setsockopt_errno", ClaimType::kErrnoOrNull, false},
      {"eof_before_limit", ClaimType::kBool, false},
      {"client_bytes", ClaimType::kCount, false},
      {"client_end", ClaimType::kClientEnd, false},
      {"data_lost", ClaimType::kBool, false},
      {"stack_fault", ClaimType::kStackFault, false},
      // The close-state matrix (doc/results-format.md "Claims").
      {"rst_on_close", ClaimType::kBool, false},
      {"fin_on_close", ClaimType::kBool, false},
  };
  // Then its observations (classify/observation_names.h), in their order.
  static const std::vector<ClaimInfo> kAll = [] {
    std::vector<ClaimInfo> all = kClaims;
    for (const classify::ObservationName& o : classify::kObservationNames) {
      ClaimType t = ClaimType::kErrnoOrNull;
      switch (o.kind) {
        case classify::ObservationKind::kErrno:
        case classify::ObservationKind::kSoError:
          t = ClaimType::kErrnoOrNull;
          break;
        case classify::ObservationKind::kTcpState:
          t = ClaimType::kTcpState;
          break;
        case classify::ObservationKind::kRead:
          t = ClaimType::kReadOutcome;
          break;
        case classify::ObservationKind::kRevents:
          t = ClaimType::kRevents;
          break;
      }
      // string_view literals of a constexpr table: NUL-terminated.
      all.push_back({o.name.data(), t, false});
    }
    return all;
  }();
  return kAll;
}

const std::vector<std::string>& TcpStateNames() {
  static const std::vector<std::string> kNames = {
      "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
      "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING"};
  return kNames;
}

const ClaimInfo* FindClaim(std::string_view claim) {
  for (const ClaimInfo& info : AllClaims()) {
    if (claim == info.name) return &info;
  }
  return nullptr;
}

bool IsKnownClaim(const std::string& claim) { return FindClaim(claim) != nullptr; }

const std::vector<std::string>& CloseEndedByValues() {
  static const std::vector<std::string> kValues = {"immediate", "peer_acked", "linger_timeout",
                                                   "kernel_timeout", "other"};
  return kValues;
}

std::string CheckClaimValue(const ClaimInfo& info, const nlohmann::json& value) {
  switch (info.type) {
    case ClaimType::kBool:
      return value.is_boolean() ? "" : "be a boolean";
    case ClaimType::kSeconds:
      if (!value.is_number()) return "be a number of seconds";
      return value.get<double>() >= 0 ? "" : "be a number of seconds >= 0";
    case ClaimType::kEndedBy: {
      const auto& allowed = CloseEndedByValues();
      if (value.is_string() &&
          std::find(allowed.begin(), allowed.end(), value.get<std::string>()) != allowed.end()) {
        return "";
      }
      return "be one of immediate, peer_acked, linger_timeout, kernel_timeout, other";
    }
    case ClaimType::kErrnoOrNull:
      if (value.is_null()) return "";
      return value.is_string() && IsErrnoName(value.get<std::string>())
                 ? ""
                 : "be an errno name (\"EINVAL\") or null";
    case ClaimType::kInt:
      return value.is_number_integer() ? "" : "be an integer";
    case ClaimType::kCount:
      return value.is_number_integer() && value.get<int64_t>() >= 0 ? "" : "be an integer >= 0";
    case ClaimType::kClientEnd:
      if (value.is_string()) {
        const std::string s = value.get<std::string>();
        if (s == "eof" || s == "limit" || IsErrnoName(s)) return "";
      }
      return "be \"eof\", \"limit\" or an errno name";
    case ClaimType::kStackFault:
      if (value.is_string()) {
        const std::string s = value.get<std::string>();
        if (s == "none") return "";
        for (const char* kind : {"exited_in_", "hung_in_"}) {
          const std::string_view k(kind);
          if (s.size() > k.size() && s.size() <= k.size() + 32 && s.compare(0, k.size(), k) == 0 &&
              std::all_of(s.begin() + static_cast<std::ptrdiff_t>(k.size()), s.end(),
                          [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; }))
            return "";
        }
      }
      return "be \"none\", \"exited_in_<op>\" or \"hung_in_<op>\"";
    case ClaimType::kTcpState: {
      const auto& names = TcpStateNames();
      if (value == "gone" ||
          (value.is_string() &&
           std::find(names.begin(), names.end(), value.get<std::string>()) != names.end()))
        return "";
      return "be a TCP state name (ESTABLISHED, ..., CLOSING) or \"gone\"";
    }
    case ClaimType::kReadOutcome:
      if (value.is_string()) {
        std::string s = value.get<std::string>();
        if (s.starts_with("data+")) s = s.substr(5);
        if (s == "eof" || s == "limit" || IsErrnoName(s)) return "";
      }
      return "be \"eof\", \"limit\" or an errno name, optionally after \"data+\"";
    case ClaimType::kRevents:
      if (value == "none") return "";
      if (value.is_string()) {
        static const std::vector<std::string> kEvents = {"IN",     "PRI",    "OUT",   "ERR", "HUP",
                                                         "RDNORM", "WRNORM", "RDHUP", "NVAL"};
        const std::string s = value.get<std::string>();
        size_t at = 0;
        bool ok = !s.empty();
        while (ok && at <= s.size()) {
          const size_t plus = std::min(s.find('+', at), s.size());
          ok = std::find(kEvents.begin(), kEvents.end(), s.substr(at, plus - at)) != kEvents.end();
          at = plus + 1;
        }
        if (ok) return "";
      }
      return "be poll() event names joined by '+' (\"IN+HUP\") or \"none\"";
  }
  return "have a known type";
}

std::string ClaimValueText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v.get<double>());
    return buf;
  }
  return v.dump();
}

}  // namespace lingerlab
