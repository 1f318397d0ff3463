#include "suite/classify/close_packets.h"

#include <string>

namespace lingerlab::classify {

ClosePackets AnalyzeClosePackets(const AnalysisContext& ctx,
                                 const std::optional<CloseFacts>& close) {
  ClosePackets out;
  if (!close) return out;
  const double from = close->t_start - ctx.th.clock_skew_s;
  const double until = close->t_end + ctx.th.abort_detect_s;
  const bool can_deny = ctx.CanAssertAbsence(until);
  auto in_window = [&](size_t pos) {
    const double t = ctx.Packet(pos).t;
    return t >= from && t <= until;
  };
  if (ctx.timeline.server_rst && in_window(*ctx.timeline.server_rst)) {
    out.rst_on_close = true;
    ctx.log.Add("rst_on_close", ctx.Packet(*ctx.timeline.server_rst).t,
                "the server's first RST, during close() or within " +
                    std::to_string(ctx.th.abort_detect_s) + " s of its return",
                *ctx.timeline.server_rst);
  } else if (ctx.timeline.server_rst && ctx.Packet(*ctx.timeline.server_rst).t < from) {
    out.rst_on_close = false;  // the connection was reset before close() began
  } else if (can_deny) {
    out.rst_on_close = false;
  }
  if (ctx.timeline.server_fin) {
    const FinFact& fin = *ctx.timeline.server_fin;
    if (in_window(fin.packet)) {
      out.fin_on_close = true;
      ctx.log.Add("fin_on_close", fin.t, "the server's FIN, first sent by this close()",
                  fin.packet);
    } else {
      if (fin.t <= until) out.fin_on_close = false;  // a FIN after the window: undecided
      if (fin.t < from)
        ctx.log.Add("fin_on_close", fin.t, "the server's FIN left before close() (shutdown)",
                    fin.packet);
    }
  } else if (can_deny) {
    out.fin_on_close = false;
  }
  return out;
}

}  // namespace lingerlab::classify
