// The observations a scenario step may name with "claim" (doc/matrix-format.md
// "Observed steps"): each makes the step's outcome a claim of that name, read
// from the step's own event by its kind. Header-only, so the matrix loader
// can check a step's "claim" without linking the classifier.
//
// The kinds, and what the claim's value is (suite/classify/observations.cc):
//   kErrno     null when the call succeeded, else its errno name
//   kSoError   getsockopt(SO_ERROR)'s value as an errno name, null for 0
//   kTcpState  the event's "state" (tcp_state, socket_table: a state or "gone")
//   kRead      a read's outcome: "data+<end>" when bytes came first, else <end>;
//              <end> is "eof", "limit" or the errno name of the failing call
//   kRevents   poll()'s revents names joined by '+', "none" when empty
// The name "close" is special: it marks the server's close under test, the
// one the close_* and abort_* claims describe (default: the close of csock):
// a close, or the fork_close / end_child whose process closes the last copy.
#pragma once

#include <array>
#include <string_view>

namespace lingerlab::classify {

enum class ObservationKind { kErrno, kSoError, kTcpState, kRead, kRevents };

struct ObservationName {
  std::string_view name;
  ObservationKind kind;
  std::string_view op;  // the step operation(s) it observes, '|'-separated
};

inline constexpr std::string_view kCloseUnderTest = "close";
inline constexpr std::string_view kCloseUnderTestOps = "close|fork_close|end_child";

// Whether `op` is one of the '|'-separated `ops`.
inline bool OpIsOneOf(std::string_view op, std::string_view ops) {
  while (!ops.empty()) {
    const size_t bar = ops.find('|');
    if (ops.substr(0, bar) == op) return true;
    if (bar == std::string_view::npos) break;
    ops.remove_prefix(bar + 1);
  }
  return false;
}

inline constexpr std::array<ObservationName, 14> kObservationNames = {{
    {"state_before_close", ObservationKind::kTcpState, "tcp_state|socket_table"},
    {"state_after_close", ObservationKind::kTcpState, "tcp_state|socket_table"},
    {"so_error_first", ObservationKind::kSoError, "getsockopt"},
    {"so_error_second", ObservationKind::kSoError, "getsockopt"},
    {"read_first", ObservationKind::kRead, "read"},
    {"read_second", ObservationKind::kRead, "read"},
    {"write_first_errno", ObservationKind::kErrno, "write"},
    {"write_second_errno", ObservationKind::kErrno, "write"},
    {"poll_revents", ObservationKind::kRevents, "poll"},
    {"accept_errno", ObservationKind::kErrno, "accept"},
    {"connect_errno", ObservationKind::kErrno, "connect"},
    {"shutdown_errno", ObservationKind::kErrno, "shutdown"},
    {"shutdown_second_errno", ObservationKind::kErrno, "shutdown"},
    {"port_rebind_errno", ObservationKind::kErrno, "bind"},
}};

// The entry named `name`, or nullptr.
inline const ObservationName* FindObservation(std::string_view name) {
  for (const ObservationName& o : kObservationNames)
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace lingerlab::classify
