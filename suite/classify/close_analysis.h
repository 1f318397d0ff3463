// How the server's close() of csock went: its return, how long it blocked
// and what ended the block (the outcome's "close" object).
//
// What ended it is read from the packets around close()'s return, never from
// its return value (Linux returns 0 whatever happened). First match wins:
//   immediate       blocked_s < th.immediate_s
//   peer_acked      the client's ACK covering the server's FIN arrived at most
//                   th.peer_ack_window_s before close() returned (and no later
//                   than th.clock_skew_s after)
//   other           that ACK came earlier than the window (something else held
//                   close()), or, with the FIN unacknowledged at the return, a
//                   RST from the client arrived while close() was blocked
//   linger_timeout  SO_LINGER seconds > 0, blocked_s within
//                   th.linger_tolerance_s of them, and the FIN was not
//                   acknowledged when close() returned
//   kernel_timeout  blocked at least th.kernel_timeout_min_s, not for the
//                   linger time, FIN not acknowledged at return
//   other           anything else (between the immediate threshold and
//                   th.kernel_timeout_min_s: scheduling noise)
// When the capture cannot show that the FIN was unacknowledged at the return
// (no packets, dropped packets, a case cut short before it), ended_by is left
// undecided (unset) unless immediate or peer_acked already holds. Never fails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "suite/classify/analysis_context.h"

namespace lingerlab::classify {

struct CloseFacts {
  std::optional<int64_t> ret;
  std::optional<int64_t> errno_value;
  std::optional<std::string> errno_name;
  double t_start = 0, t_end = 0, blocked_s = 0;
  std::optional<std::string> ended_by;  // unset: undecided
  // The client's ACK of the server's FIN had arrived by the return (within
  // the clock skew). Unset when the capture cannot tell.
  std::optional<bool> fin_acked_at_return;
};

// Analyses ctx.close; nullopt when there is no close() of csock.
std::optional<CloseFacts> AnalyzeClose(const AnalysisContext& ctx);

// The errno name close_errno / late_setsockopt_errno report: null (JSON) on
// success, the name on failure; unset when it failed and no name was given.
std::optional<nlohmann::json> ErrnoClaim(const std::optional<int64_t>& ret,
                                         const std::optional<std::string>& errno_name);

nlohmann::json CloseToJson(const CloseFacts& facts, const EvidenceLog& log);

}  // namespace lingerlab::classify
