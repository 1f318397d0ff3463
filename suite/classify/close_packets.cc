#include "suite/classify/close_packets.h"

#include <string>

#include "suite/classify/json_fields.h"

namespace lingerlab::classify {
namespace {

// The server's successful shutdown of its write side (wr or rdwr) that
// began before `fin_t` (with the clock skew) and before the close under
// test, or nullptr.
const CaseEvent* ShutdownThatSentIt(const AnalysisContext& ctx, double fin_t) {
  for (const CaseEvent& e : ctx.view.server) {
    if (e.step != "shutdown" || !e.t_start || !e.ret || *e.ret < 0) continue;
    if (ctx.close != nullptr && e.index > ctx.close->index) continue;
    const std::string how = StringField(FieldOrNull(e.raw, "args"), "how").value_or("");
    if ((how == "wr" || how == "rdwr") && *e.t_start <= fin_t + ctx.th.clock_skew_s) return &e;
  }
  return nullptr;
}

}  // namespace

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
    if (const CaseEvent* sd = ShutdownThatSentIt(ctx, fin.t)) {
      // A connection has one FIN: after a successful shutdown() of the
      // write side it is that call's, however close to close() it left.
      out.fin_on_close = false;
      ctx.log.Add("fin_on_close", fin.t,
                  "the server's FIN, sent by shutdown() at " + std::to_string(*sd->t_start) + " s",
                  fin.packet);
    } else if (in_window(fin.packet)) {
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
