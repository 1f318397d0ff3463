// Why the server sent its first RST: the one decision that the abort, linger
// timeout, RST-after-clean-close and idle-abort conclusions share.
//
// Only the server's FIRST RST is attributed. After it the server has no
// connection, so any later RST from it merely answers a client segment that
// was still in flight; counting those would turn every abort into a second,
// "idle" one. The first RST is, in this order of precedence:
//   kAfterCleanClose  sent after both FINs were seen and the later FIN was
//                     acknowledged (BSD/Darwin/Illumos close() after shutdown
//                     and EOF; test #21)
//   kLingerTimeout    close() ended by the linger timeout and the RST is within
//                     th.rst_at_timeout_window_s of its return (Windows)
//   kAbortOnClose     between close() start (less the clock skew) and
//                     th.abort_detect_s after its return, no server FIN before it
//   kAtCloseAfterFin  in that window, but the server's FIN had already left: an
//                     abort of a half-closed connection, not "RST instead of FIN"
//   kIdleAbort        anywhere else: the stack gave up while no close() was in
//                     progress, or on the orphan after close() returned
//   kUnknown          there is no usable close() to compare with
// Never fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "suite/classify/analysis_context.h"
#include "suite/classify/close_analysis.h"

namespace lingerlab::classify {

enum class RstCause {
  kAfterCleanClose,
  kLingerTimeout,
  kAbortOnClose,
  kAtCloseAfterFin,
  kIdleAbort,
  kUnknown
};

const char* RstCauseName(RstCause cause);

struct RstAttribution {
  // Position (CaseView::packets) of the ACK that completed a clean close:
  // the one covering the later of the two FINs. Unset: no clean close seen.
  std::optional<size_t> clean_close_ack;
  // Position of the server's first RST and why it was sent; unset: no RST.
  std::optional<size_t> rst;
  RstCause cause = RstCause::kUnknown;
  bool fin_before_rst = false;
  // The server's stream when the RST left: what it wrote (the write event's
  // bytes, else payload_bytes), what had been sent and what acknowledged.
  std::optional<int64_t> written;
  int64_t sent_before_rst = 0;
  int64_t acked_before_rst = 0;
};

RstAttribution AttributeFirstRst(const AnalysisContext& ctx,
                                 const std::optional<CloseFacts>& close);

}  // namespace lingerlab::classify
