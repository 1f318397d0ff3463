#include "suite/classify/rst_attribution.h"

#include <cmath>

#include "suite/classify/json_fields.h"

namespace lingerlab::classify {
namespace {

std::optional<size_t> CleanCloseAck(const TcpTimeline& tl) {
  if (!tl.server_fin || !tl.client_fin) return std::nullopt;
  // The later FIN's ACK; the later FIN itself acknowledges the earlier one.
  return tl.server_fin->packet > tl.client_fin->packet ? tl.server_fin_ack : tl.client_fin_ack;
}

std::optional<int64_t> BytesWritten(const AnalysisContext& ctx) {
  if (const CaseEvent* w = CaseView::Find(ctx.view.server, "write", "csock")) {
    if (auto bytes = IntField(w->raw, "bytes")) return *bytes;
  }
  return ctx.th.payload_bytes;
}

}  // namespace

const char* RstCauseName(RstCause cause) {
  switch (cause) {
    case RstCause::kAfterCleanClose:
      return "after_clean_close";
    case RstCause::kLingerTimeout:
      return "linger_timeout";
    case RstCause::kAbortOnClose:
      return "abort_on_close";
    case RstCause::kAtCloseAfterFin:
      return "at_close_after_fin";
    case RstCause::kIdleAbort:
      return "idle_abort";
    case RstCause::kUnknown:
      return "unknown";
  }
  return "unknown";
}

RstAttribution AttributeFirstRst(const AnalysisContext& ctx,
                                 const std::optional<CloseFacts>& close) {
  RstAttribution a;
  const TcpTimeline& tl = ctx.timeline;
  a.clean_close_ack = CleanCloseAck(tl);
  a.written = BytesWritten(ctx);
  a.rst = tl.server_rst;
  if (!a.rst) return a;

  const size_t r = *a.rst;
  const CasePacket& rst = ctx.Packet(r);
  a.fin_before_rst = tl.server_fin && tl.server_fin->packet < r;
  a.sent_before_rst = ServerBytesSentBefore(ctx.view.packets, r);
  a.acked_before_rst = ServerBytesAckedBefore(ctx.view.packets, r, a.written.value_or(0));

  if (a.clean_close_ack && r > *a.clean_close_ack) {
    a.cause = RstCause::kAfterCleanClose;
  } else if (!close) {
    a.cause = RstCause::kUnknown;
  } else if (close->ended_by == "linger_timeout" &&
             std::fabs(rst.t - close->t_end) <= ctx.th.rst_at_timeout_window_s) {
    a.cause = RstCause::kLingerTimeout;
  } else if (rst.t >= close->t_start - ctx.th.clock_skew_s &&
             rst.t <= close->t_end + ctx.th.abort_detect_s) {
    a.cause = a.fin_before_rst ? RstCause::kAtCloseAfterFin : RstCause::kAbortOnClose;
  } else {
    a.cause = RstCause::kIdleAbort;
  }
  return a;
}

}  // namespace lingerlab::classify
