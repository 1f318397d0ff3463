// The outcome's RST-related conclusions, each a detail object plus the claim
// it yields: abort_on_close, linger_timeout (abort_on_linger_timeout,
// ewouldblock_on_linger_timeout), rst_after_clean_close and idle_abort.
//
// All four rest on RstAttribution (rst_attribution.h): the server's first RST
// has exactly one cause, so at most one of abort_on_close,
// abort_on_linger_timeout, rst_after_clean_close and idle_abort is true. A
// "false" needs the capture to cover the window in question
// (AnalysisContext::CanAssertAbsence); otherwise the claim is left out and
// the detail's "value" is null. Never fails.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "suite/classify/analysis_context.h"
#include "suite/classify/close_analysis.h"
#include "suite/classify/rst_attribution.h"

namespace lingerlab::classify {

struct Conclusion {
  nlohmann::json detail;      // null: not applicable to this case
  std::optional<bool> claim;  // unset: undecided or not applicable
};

// {value, rst_t (relative to close() start), rst_packet, fin_before_rst,
//  unsent_discarded, bytes_written, bytes_sent_before_rst,
//  bytes_acked_before_rst, outq_before_close, evidence}.
// unsent_discarded: the server's RST at close() left while some written bytes
// were unsent or unacknowledged (null when no RST left at close()).
// Not applicable (null detail) without a close() of csock.
Conclusion AbortOnClose(const AnalysisContext& ctx, const std::optional<CloseFacts>& close,
                        const RstAttribution& a);

// Applicable only when SO_LINGER seconds > 0 and close() ended by the linger
// timeout: {rst_at_timeout, rst_t, rst_packet, ewouldblock, unsent_discarded,
// evidence}. Sets both claims.
struct LingerTimeoutConclusion {
  nlohmann::json detail;
  std::optional<bool> abort_claim, ewouldblock_claim;
};
LingerTimeoutConclusion LingerTimeout(const AnalysisContext& ctx,
                                      const std::optional<CloseFacts>& close,
                                      const RstAttribution& a);

// {value, clean_close_t, clean_close_packet, rst_t, rst_packet, evidence}.
Conclusion RstAfterCleanClose(const AnalysisContext& ctx, const RstAttribution& a);

// {value, kind ("rst" | "silence_then_rst"), phase ("before_close" |
//  "after_close"), rst_t, rst_packet, gap_s (server silence before the RST),
//  answered_packet (the client segment the RST answered), evidence}.
Conclusion IdleAbort(const AnalysisContext& ctx, const std::optional<CloseFacts>& close,
                     const RstAttribution& a);

}  // namespace lingerlab::classify
