#include "suite/classify/close_analysis.h"

#include <cmath>
#include <cstdio>

namespace lingerlab::classify {
namespace {

constexpr const char* kFor = "close";

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f s", s);
  return buf;
}

// Did a RST from the client arrive while close() was blocked?
std::optional<size_t> ClientRstDuring(const AnalysisContext& ctx, double t_start, double t_end) {
  if (!ctx.timeline.client_rst) return std::nullopt;
  const CasePacket& p = ctx.Packet(*ctx.timeline.client_rst);
  if (p.t >= t_start - ctx.th.clock_skew_s && p.t <= t_end + ctx.th.clock_skew_s) {
    return *ctx.timeline.client_rst;
  }
  return std::nullopt;
}

// Sets f.fin_acked_at_return: had the client's ACK of the server's FIN
// arrived by close()'s return? Returns that ACK's position when it had.
std::optional<size_t> FinAckedAtReturn(const AnalysisContext& ctx, CloseFacts& f) {
  const std::optional<size_t> ack = ctx.timeline.server_fin_ack;
  if (ack && ctx.Packet(*ack).t <= f.t_end + ctx.th.clock_skew_s) {
    f.fin_acked_at_return = true;
    return ack;
  }
  if (ctx.CanAssertAbsence(f.t_end + ctx.th.clock_skew_s)) f.fin_acked_at_return = false;
  return std::nullopt;
}

std::optional<std::string> EndedBy(const AnalysisContext& ctx, CloseFacts& f) {
  const ClassifyThresholds& th = ctx.th;
  const std::optional<size_t> ack = FinAckedAtReturn(ctx, f);
  // A close() that was still in the kernel when the FIN's ACK arrived, and
  // returned right after it, waited for that ACK, however short the wait: a
  // fast client on a veth pair ACKs within a millisecond, while a plain
  // close() returns in microseconds, before any ACK of its FIN can arrive.
  // Ordering, not a duration threshold, because both are continuous (0.14 to
  // 0.63 ms measured for case 07). Compared without skew allowance: agents
  // and capture share the host clock, and the ACK's stamp (taken as it
  // arrives) precedes the return that it causes.
  // Only a close() with SO_LINGER {1,N} may wait at all: without it (or
  // with {1,0}) every stack returns at once, and an ACK inside the call is
  // the veth pair answering synchronously while the FIN is being sent (80 us
  // measured for a plain close() in CLOSE_WAIT, the ACK 32 us before the
  // return).
  const bool acked_while_blocked = th.linger_s > 0 && ack && ctx.Packet(*ack).t >= f.t_start &&
                                   ctx.Packet(*ack).t <= f.t_end &&
                                   f.t_end - ctx.Packet(*ack).t <= th.peer_ack_window_s;
  if (f.blocked_s < th.immediate_s && !acked_while_blocked) {
    // Even if the FIN's ACK came in meanwhile (a fast peer on a veth pair can
    // ACK before a plain close() is back in user space), nothing blocked.
    ctx.log.Add(kFor, f.t_end,
                "close() returned after " + Seconds(f.blocked_s) + ", below the " +
                    Seconds(th.immediate_s) + " immediate threshold");
    return "immediate";
  }

  if (ack) {
    const CasePacket& p = ctx.Packet(*ack);
    const double lead = f.t_end - p.t;
    if (lead <= th.peer_ack_window_s) {
      ctx.log.Add(
          kFor, p.t,
          "client ACK covering the server's FIN; close() returned " + Seconds(lead) + " later",
          p.index);
      return "peer_acked";
    }
    ctx.log.Add(kFor, p.t,
                "server's FIN was acknowledged " + Seconds(lead) +
                    " before close() returned: not what ended the block",
                p.index);
    return "other";
  }
  if (!f.fin_acked_at_return.has_value()) return std::nullopt;  // the capture cannot tell
  if (ctx.timeline.server_fin) {
    ctx.log.Add(kFor, ctx.timeline.server_fin->t,
                "server's FIN left but was not acknowledged when close() returned",
                ctx.Packet(ctx.timeline.server_fin->packet).index);
  } else {
    ctx.log.Add(kFor, f.t_end, "no FIN had left the server when close() returned");
  }

  if (auto rst = ClientRstDuring(ctx, f.t_start, f.t_end)) {
    ctx.log.Add(kFor, ctx.Packet(*rst).t, "a RST from the client ended the block",
                ctx.Packet(*rst).index);
    return "other";
  }
  if (th.linger_s > 0 && f.blocked_s >= th.linger_s - kLingerToleranceMinS &&
      f.blocked_s <= th.linger_s + th.linger_tolerance_s) {
    ctx.log.Add(kFor, f.t_end,
                "close() blocked " + Seconds(f.blocked_s) + ", the linger time " +
                    Seconds(th.linger_s) + " within " + Seconds(th.linger_tolerance_s));
    return "linger_timeout";
  }
  if (f.blocked_s >= th.kernel_timeout_min_s) {
    ctx.log.Add(kFor, f.t_end,
                "close() blocked " + Seconds(f.blocked_s) +
                    (th.linger_s > 0 ? ", not the linger time " + Seconds(th.linger_s) : "") +
                    ": a timer of the stack's own");
    return "kernel_timeout";
  }
  ctx.log.Add(kFor, f.t_end,
              "close() blocked " + Seconds(f.blocked_s) + ": above the immediate threshold, " +
                  "below any timer");
  return "other";
}

}  // namespace

std::optional<CloseFacts> AnalyzeClose(const AnalysisContext& ctx) {
  if (ctx.close == nullptr) return std::nullopt;
  CloseFacts f;
  f.ret = ctx.close->ret;
  f.errno_value = ctx.close->errno_value;
  f.errno_name = ctx.close->errno_name;
  f.t_start = *ctx.close->t_start;
  f.t_end = *ctx.close->t_end;
  f.blocked_s = std::max(0.0, f.t_end - f.t_start);
  f.ended_by = EndedBy(ctx, f);
  return f;
}

std::optional<nlohmann::json> ErrnoClaim(const std::optional<int64_t>& ret,
                                         const std::optional<std::string>& errno_name) {
  if (!ret) return std::nullopt;
  if (*ret == 0) return nlohmann::json(nullptr);
  if (errno_name && !errno_name->empty()) return nlohmann::json(*errno_name);
  return std::nullopt;
}

nlohmann::json CloseToJson(const CloseFacts& f, const EvidenceLog& log) {
  nlohmann::json j = {
      {"ret", nullptr},
      {"errno", nullptr},
      {"errno_value", nullptr},
      {"t_start", f.t_start},
      {"t_end", f.t_end},
      {"blocked_s", f.blocked_s},
      {"ended_by", nullptr},
      {"fin_acked_at_return", nullptr},
      {"evidence", log.For(kFor)},
  };
  if (f.ret) j["ret"] = *f.ret;
  if (f.errno_name) j["errno"] = *f.errno_name;
  if (f.errno_value) j["errno_value"] = *f.errno_value;
  if (f.ended_by) j["ended_by"] = *f.ended_by;
  if (f.fin_acked_at_return) j["fin_acked_at_return"] = *f.fin_acked_at_return;
  return j;
}

}  // namespace lingerlab::classify
