#include "suite/classify/rst_outcomes.h"

#include <cstdio>
#include <string>

#include "suite/classify/json_fields.h"

namespace lingerlab::classify {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

nlohmann::json OptionalJson(const std::optional<bool>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json Relative(const EvidenceLog& log, double t) {
  auto rel = log.Relative(t);
  return rel ? nlohmann::json(*rel) : nlohmann::json(nullptr);
}

// Evidence about the data the RST threw away.
void AddDataEvidence(const AnalysisContext& ctx, const std::string& conclusion,
                     const RstAttribution& a) {
  const CasePacket& rst = ctx.Packet(*a.rst);
  std::string what = "when the RST left: " + std::to_string(a.sent_before_rst) +
                     " payload bytes sent, " + std::to_string(a.acked_before_rst) + " acknowledged";
  if (a.written) what += ", of " + std::to_string(*a.written) + " written";
  ctx.log.Add(conclusion, rst.t, what, rst.index);
}

std::optional<bool> UnsentDiscarded(const RstAttribution& a) {
  if (!a.rst || !a.written) return std::nullopt;
  return a.acked_before_rst < *a.written;
}

}  // namespace

Conclusion AbortOnClose(const AnalysisContext& ctx, const std::optional<CloseFacts>& close,
                        const RstAttribution& a) {
  static const std::string kFor = "abort_on_close";
  Conclusion c;
  if (!close) return c;
  const bool at_close =
      a.rst && (a.cause == RstCause::kAbortOnClose || a.cause == RstCause::kAtCloseAfterFin);
  if (a.rst) {
    c.claim = a.cause == RstCause::kAbortOnClose;
  } else if (ctx.CanAssertAbsence(close->t_end + ctx.th.abort_detect_s)) {
    c.claim = false;
  }

  nlohmann::json j = {{"value", OptionalJson(c.claim)},
                      {"rst_t", nullptr},
                      {"rst_packet", nullptr},
                      {"fin_before_rst", nullptr},
                      {"unsent_discarded", nullptr},
                      {"bytes_written", nullptr},
                      {"bytes_sent_before_rst", nullptr},
                      {"bytes_acked_before_rst", nullptr},
                      {"outq_before_close", nullptr}};
  if (a.written) j["bytes_written"] = *a.written;
  if (ctx.close != nullptr) {
    if (const CaseEvent* q =
            CaseView::FindLastBefore(ctx.view.server, "queues", "csock", ctx.close->index)) {
      if (auto outq = IntField(q->raw, "outq")) {
        j["outq_before_close"] = *outq;
        ctx.log.Add(kFor, q->t_end.value_or(close->t_start),
                    "SIOCOUTQ before close(): " + std::to_string(*outq) +
                        " bytes unsent or unacknowledged");
      }
    }
  }

  if (at_close) {
    const CasePacket& rst = ctx.Packet(*a.rst);
    j["rst_t"] = Relative(ctx.log, rst.t);
    j["rst_packet"] = rst.index;
    j["fin_before_rst"] = a.fin_before_rst;
    j["unsent_discarded"] = OptionalJson(UnsentDiscarded(a));
    j["bytes_sent_before_rst"] = a.sent_before_rst;
    j["bytes_acked_before_rst"] = a.acked_before_rst;
    if (a.fin_before_rst) {
      const FinFact& fin = *ctx.timeline.server_fin;
      ctx.log.Add(kFor, fin.t, "the server's FIN left before its RST: not a RST instead of a FIN",
                  ctx.Packet(fin.packet).index);
    }
    ctx.log.Add(kFor, rst.t,
                "server RST " + Num(rst.t - close->t_start) + " s after close() started" +
                    (a.fin_before_rst ? "" : ", no FIN from the server before it"),
                rst.index);
    AddDataEvidence(ctx, kFor, a);
  } else if (a.rst) {
    const CasePacket& rst = ctx.Packet(*a.rst);
    ctx.log.Add(kFor, rst.t,
                std::string("the server's first RST is not close()'s: ") + RstCauseName(a.cause),
                rst.index);
  } else if (c.claim) {
    ctx.log.Add(
        kFor, close->t_end + ctx.th.abort_detect_s,
        "no RST from the server up to " + Num(ctx.th.abort_detect_s) + " s after close() returned");
  }
  j["evidence"] = ctx.log.For(kFor);
  c.detail = std::move(j);
  return c;
}

LingerTimeoutConclusion LingerTimeout(const AnalysisContext& ctx,
                                      const std::optional<CloseFacts>& close,
                                      const RstAttribution& a) {
  static const std::string kFor = "linger_timeout";
  LingerTimeoutConclusion c;
  if (!close || ctx.th.linger_s <= 0 || close->ended_by != "linger_timeout") return c;

  if (a.rst) {
    c.abort_claim = a.cause == RstCause::kLingerTimeout;
  } else if (ctx.CanAssertAbsence(close->t_end + ctx.th.rst_at_timeout_window_s)) {
    c.abort_claim = false;
  }
  if (close->ret) {
    c.ewouldblock_claim = *close->ret == -1 && close->errno_name &&
                          (*close->errno_name == "EWOULDBLOCK" || *close->errno_name == "EAGAIN");
    ctx.log.Add(kFor, close->t_end,
                "close() returned " + std::to_string(*close->ret) +
                    (close->errno_name ? " with " + *close->errno_name : std::string()));
  }

  nlohmann::json j = {{"rst_at_timeout", OptionalJson(c.abort_claim)},
                      {"rst_t", nullptr},
                      {"rst_packet", nullptr},
                      {"ewouldblock", OptionalJson(c.ewouldblock_claim)},
                      {"unsent_discarded", nullptr}};
  if (a.rst && a.cause == RstCause::kLingerTimeout) {
    const CasePacket& rst = ctx.Packet(*a.rst);
    j["rst_t"] = Relative(ctx.log, rst.t);
    j["rst_packet"] = rst.index;
    j["unsent_discarded"] = OptionalJson(UnsentDiscarded(a));
    ctx.log.Add(kFor, rst.t,
                "server RST " + Num(rst.t - close->t_end) + " s from close()'s return at the " +
                    "linger timeout",
                rst.index);
    AddDataEvidence(ctx, kFor, a);
  } else if (c.abort_claim) {
    ctx.log.Add(kFor, close->t_end,
                "no RST from the server within " + Num(ctx.th.rst_at_timeout_window_s) +
                    " s of close()'s return");
  }
  j["evidence"] = ctx.log.For(kFor);
  c.detail = std::move(j);
  return c;
}

Conclusion RstAfterCleanClose(const AnalysisContext& ctx, const RstAttribution& a) {
  static const std::string kFor = "rst_after_clean_close";
  Conclusion c;
  if (!ctx.has_packets) return c;
  if (a.rst) {
    c.claim = a.cause == RstCause::kAfterCleanClose;
  } else if (ctx.CanAssertAbsence(kForever)) {
    c.claim = false;
  }
  nlohmann::json j = {{"value", OptionalJson(c.claim)},
                      {"clean_close_t", nullptr},
                      {"clean_close_packet", nullptr},
                      {"rst_t", nullptr},
                      {"rst_packet", nullptr}};
  if (a.clean_close_ack) {
    const CasePacket& ack = ctx.Packet(*a.clean_close_ack);
    j["clean_close_t"] = Relative(ctx.log, ack.t);
    j["clean_close_packet"] = ack.index;
    const FinFact& s = *ctx.timeline.server_fin;
    const FinFact& cl = *ctx.timeline.client_fin;
    ctx.log.Add(kFor, s.t, "server FIN", ctx.Packet(s.packet).index);
    ctx.log.Add(kFor, cl.t, "client FIN", ctx.Packet(cl.packet).index);
    ctx.log.Add(kFor, ack.t, "ACK of the later FIN: the connection is cleanly closed", ack.index);
  } else {
    ctx.log.Add(kFor, ctx.observed_until,
                "no clean close: both FINs and the later FIN's ACK "
                "were not all seen");
  }
  if (a.rst && a.cause == RstCause::kAfterCleanClose) {
    const CasePacket& rst = ctx.Packet(*a.rst);
    j["rst_t"] = Relative(ctx.log, rst.t);
    j["rst_packet"] = rst.index;
    ctx.log.Add(kFor, rst.t, "server RST after the clean close", rst.index);
  }
  j["evidence"] = ctx.log.For(kFor);
  c.detail = std::move(j);
  return c;
}

Conclusion IdleAbort(const AnalysisContext& ctx, const std::optional<CloseFacts>& close,
                     const RstAttribution& a) {
  static const std::string kFor = "idle_abort";
  Conclusion c;
  if (!ctx.has_packets) return c;
  if (a.rst) {
    if (a.cause != RstCause::kUnknown) c.claim = a.cause == RstCause::kIdleAbort;
  } else if (ctx.CanAssertAbsence(kForever)) {
    c.claim = false;
  }
  nlohmann::json j = {{"value", OptionalJson(c.claim)},
                      {"kind", nullptr},
                      {"phase", nullptr},
                      {"rst_t", nullptr},
                      {"rst_packet", nullptr},
                      {"gap_s", nullptr},
                      {"answered_packet", nullptr}};
  if (a.rst && a.cause == RstCause::kIdleAbort) {
    const size_t r = *a.rst;
    const CasePacket& rst = ctx.Packet(r);
    j["rst_t"] = Relative(ctx.log, rst.t);
    j["rst_packet"] = rst.index;
    j["phase"] = close && rst.t < close->t_start ? "before_close" : "after_close";

    // Did the RST answer a client segment, after the server had been silent?
    std::optional<double> gap;
    if (auto prev = LastBefore(ctx.view.packets, r, /*s2c=*/true)) {
      gap = rst.t - ctx.Packet(*prev).t;
      j["gap_s"] = *gap;
      ctx.log.Add(kFor, ctx.Packet(*prev).t, "last packet from the server before its RST",
                  ctx.Packet(*prev).index);
    }
    bool answered = false;
    if (r > 0 && !ctx.Packet(r - 1).s2c &&
        rst.t - ctx.Packet(r - 1).t <= ctx.th.rst_answer_window_s) {
      answered = true;
      j["answered_packet"] = ctx.Packet(r - 1).index;
      ctx.log.Add(kFor, ctx.Packet(r - 1).t, "client segment the RST answers",
                  ctx.Packet(r - 1).index);
    }
    const bool silence = answered && gap && *gap >= ctx.th.silence_min_gap_s;
    j["kind"] = silence ? "silence_then_rst" : "rst";
    ctx.log.Add(kFor, rst.t,
                silence ? "server RST after " + Num(*gap) + " s of silence, answering the " +
                              "client's next segment: the stack had dropped the connection"
                        : std::string("server RST with no close() in progress to explain it"),
                rst.index);
  } else if (a.rst) {
    ctx.log.Add(kFor, ctx.Packet(*a.rst).t,
                std::string("the server's first RST is explained: ") + RstCauseName(a.cause),
                ctx.Packet(*a.rst).index);
  } else if (c.claim) {
    ctx.log.Add(kFor, ctx.observed_until, "no RST from the server in the whole capture");
  }
  j["evidence"] = ctx.log.For(kFor);
  c.detail = std::move(j);
  return c;
}

}  // namespace lingerlab::classify
