// Conclusions read from the agents' own events rather than from packets:
// the late setsockopt(SO_LINGER) of csock_late cases, the server's EOF wait
// after shutdown(), and what the client's read loop got.
//
// Each returns a detail object (null when the conclusion does not apply to
// the case, or its event is missing) and the claims it decides; a claim
// whose input is missing or malformed is left unset. Never fails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "suite/classify/analysis_context.h"

namespace lingerlab::classify {

// csock_late only: the setsockopt(SO_LINGER) on csock after shutdown().
// Detail {ret, errno, errno_value, t}; claim late_setsockopt_errno (null on
// success).
struct LateSetsockoptConclusion {
  bool applies = false;   // the case is csock_late
  nlohmann::json detail;  // null when the event is missing
  std::optional<nlohmann::json> errno_claim;
};
LateSetsockoptConclusion LateSetsockopt(const AnalysisContext& ctx);

// Shutdown cases only: the server's read of csock after shutdown().
// Detail {end ("eof" | "error" | "limit"), errno, bytes, waited_s, limit_s,
// ran_to_limit, eof_before_limit}; claim eof_before_limit (end == "eof").
struct EofWaitConclusion {
  bool applies = false;   // the case calls shutdown()
  nlohmann::json detail;  // null when the event is missing
  std::optional<bool> eof_before_limit;
};
EofWaitConclusion EofWait(const AnalysisContext& ctx);

// The client's read loop. Detail {bytes, verified, first_mismatch,
// verified_bytes, end, errno, data_lost, t_end}. Claims: client_bytes (bytes
// when verified, the offset of the first mismatch when not; unset when the
// event does not say), client_end ("eof", "limit" or the errno name),
// data_lost (verified bytes < payload_bytes; true also when even the
// unverified count falls short).
struct ClientConclusion {
  nlohmann::json detail;  // null when there is no client read event
  std::optional<uint64_t> bytes_claim;
  std::optional<std::string> end_claim;
  std::optional<bool> data_lost_claim;
};
ClientConclusion ClientRead(const AnalysisContext& ctx);

}  // namespace lingerlab::classify
