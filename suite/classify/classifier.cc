#include "suite/classify/classifier.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "suite/classify/analysis_context.h"
#include "suite/classify/case_view.h"
#include "suite/classify/close_analysis.h"
#include "suite/classify/close_packets.h"
#include "suite/classify/evidence.h"
#include "suite/classify/json_fields.h"
#include "suite/classify/observation_names.h"
#include "suite/classify/observations.h"
#include "suite/classify/rst_attribution.h"
#include "suite/classify/rst_outcomes.h"
#include "suite/classify/step_outcomes.h"
#include "suite/classify/tcp_timeline.h"

namespace lingerlab {
namespace {

using classify::CaseEvent;
using classify::CaseView;

// The server's close under test, if it has both times: the close step
// marked "claim": "close" (a listener's, say), else the close() of csock.
const CaseEvent* FindClose(const CaseView& view) {
  const CaseEvent* close = nullptr;
  for (const CaseEvent& e : view.server)
    if (classify::OpIsOneOf(e.step, classify::kCloseUnderTestOps) &&
        classify::StringField(e.raw, "claim") == classify::kCloseUnderTest) {
      close = &e;
      break;
    }
  if (close == nullptr) close = CaseView::Find(view.server, "close", "csock");
  if (close == nullptr || !close->t_start || !close->t_end) return nullptr;
  return close;
}

bool IsOpName(const std::string& s) {
  return !s.empty() && s.size() <= 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

// The claim stack_fault from the case's "stack_fault": "<kind>_in_<op>"
// ("exited_in_close", "hung_in_close"); nothing when no fault happened
// (null), the case has no such field (its agents were no stack), or a
// malformed one. Only a fault is claimed: a "none" on the stacks that can
// fault would set every case of theirs apart from a kernel's in `diff`.
std::optional<std::string> StackFaultClaim(const CaseView& view) {
  if (!view.stack_fault || view.stack_fault->is_null()) return std::nullopt;
  const std::string kind = classify::StringField(*view.stack_fault, "kind").value_or("");
  const std::string op = classify::StringField(*view.stack_fault, "op").value_or("");
  if ((kind != "exited" && kind != "hung") || !IsOpName(op)) return std::nullopt;
  return kind + "_in_" + op;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

nlohmann::json Classify(const nlohmann::json& case_doc, const ClassifyThresholds& th) {
  const CaseView view = classify::ParseCase(case_doc);
  const classify::TcpTimeline timeline = classify::BuildTimeline(view.packets);
  const CaseEvent* close = FindClose(view);
  classify::EvidenceLog log(close ? close->t_start : std::nullopt);

  classify::AnalysisContext ctx{view, timeline, th, log};
  ctx.close = close;
  // A stack fault ended the case early (its agents killed, no settle): the
  // capture does not cover what the rest of the case would have waited for.
  ctx.ran_to_end =
      view.status == "completed" && !(view.stack_fault && view.stack_fault->is_object());
  ctx.has_packets = !view.packets.empty();
  ctx.lossless = view.capture_dropped.value_or(0) == 0;
  if (ctx.has_packets) ctx.observed_until = view.packets.back().t;
  for (const classify::CasePacket& p : view.packets) {
    ctx.observed_until = std::max(ctx.observed_until, p.t);
  }

  std::vector<std::string> missing;
  const std::optional<std::string> stack_fault = StackFaultClaim(view);
  if (view.stack_fault && view.stack_fault->is_object()) {
    // What the stack did instead of the rest of the case: first, as the reason
    // for every claim the case could not reach.
    const std::string detail = classify::StringField(*view.stack_fault, "detail").value_or("");
    missing.push_back("stack fault (" + stack_fault.value_or("malformed") + ")" +
                      (detail.empty() ? "" : ": " + detail));
  }
  if (view.status != "completed") {
    missing.push_back("status " + (view.status.empty() ? std::string("missing") : view.status) +
                      (view.error ? ": " + *view.error : std::string()));
  }
  if (close == nullptr)
    missing.push_back(
        "no close() of csock (nor a step claimed \"close\") with start and end times");
  if (!ctx.has_packets) missing.push_back("no packets captured");

  const std::optional<classify::CloseFacts> close_facts = classify::AnalyzeClose(ctx);
  const classify::RstAttribution rst = classify::AttributeFirstRst(ctx, close_facts);
  const classify::Conclusion abort = classify::AbortOnClose(ctx, close_facts, rst);
  const classify::LingerTimeoutConclusion linger = classify::LingerTimeout(ctx, close_facts, rst);
  const classify::Conclusion clean = classify::RstAfterCleanClose(ctx, rst);
  const classify::Conclusion idle = classify::IdleAbort(ctx, close_facts, rst);
  const classify::LateSetsockoptConclusion late = classify::LateSetsockopt(ctx);
  const classify::EofWaitConclusion eof = classify::EofWait(ctx);
  const classify::ClientConclusion client = classify::ClientRead(ctx);
  const classify::ClosePackets wire = classify::AnalyzeClosePackets(ctx, close_facts);
  classify::ObservedClaims observed = classify::ReadObservations(view);
  for (std::string& why : observed.missing) missing.push_back(std::move(why));

  if (late.applies && late.detail.is_null()) {
    missing.push_back("no setsockopt(SO_LINGER) of csock after shutdown()");
  }
  if (eof.applies && eof.detail.is_null()) missing.push_back("no read of csock after shutdown()");
  if (client.detail.is_null()) missing.push_back("no client read event");

  std::vector<std::string> notes = view.problems;
  if (!ctx.lossless) {
    notes.push_back("capture dropped " + std::to_string(*view.capture_dropped) +
                    " packet(s): nothing is concluded from a packet's absence");
  }

  nlohmann::json claims = nlohmann::json::object();
  if (close_facts) {
    // Blocking is what ended the call, not a duration alone: a short wait
    // for the peer's ACK is a block (close_analysis.cc).
    claims["close_blocks"] = close_facts->ended_by ? *close_facts->ended_by != "immediate"
                                                   : close_facts->blocked_s >= th.immediate_s;
    claims["close_blocked_s"] = close_facts->blocked_s;
    if (close_facts->ended_by) claims["close_ended_by"] = *close_facts->ended_by;
    if (close_facts->ret) claims["close_ret"] = *close_facts->ret;
    if (auto e = classify::ErrnoClaim(close_facts->ret, close_facts->errno_name)) {
      claims["close_errno"] = *e;
    }
  }
  if (abort.claim) claims["abort_on_close"] = *abort.claim;
  if (linger.abort_claim) claims["abort_on_linger_timeout"] = *linger.abort_claim;
  if (linger.ewouldblock_claim) claims["ewouldblock_on_linger_timeout"] = *linger.ewouldblock_claim;
  if (clean.claim) claims["rst_after_clean_close"] = *clean.claim;
  if (idle.claim) claims["idle_abort"] = *idle.claim;
  if (late.errno_claim) claims["late_setsockopt_errno"] = *late.errno_claim;
  if (eof.eof_before_limit) claims["eof_before_limit"] = *eof.eof_before_limit;
  if (client.bytes_claim) claims["client_bytes"] = *client.bytes_claim;
  if (client.end_claim) claims["client_end"] = *client.end_claim;
  if (client.data_lost_claim) claims["data_lost"] = *client.data_lost_claim;
  if (stack_fault) claims["stack_fault"] = *stack_fault;
  if (wire.rst_on_close) claims["rst_on_close"] = *wire.rst_on_close;
  if (wire.fin_on_close) claims["fin_on_close"] = *wire.fin_on_close;
  for (auto& [name, value] : observed.claims.items()) claims[name] = value;

  nlohmann::json out = {
      {"complete", missing.empty()},
      {"reason", missing.empty() ? nlohmann::json(nullptr) : nlohmann::json(Join(missing))},
      {"notes", notes},
      {"thresholds", th.ToJson()},
  };
  if (close_facts) out["close"] = classify::CloseToJson(*close_facts, log);
  if (!abort.detail.is_null()) out["abort_on_close"] = abort.detail;
  if (!linger.detail.is_null()) out["linger_timeout"] = linger.detail;
  if (!clean.detail.is_null()) out["rst_after_clean_close"] = clean.detail;
  if (!idle.detail.is_null()) out["idle_abort"] = idle.detail;
  if (!late.detail.is_null()) out["late_setsockopt"] = late.detail;
  if (!eof.detail.is_null()) out["eof_wait"] = eof.detail;
  if (!client.detail.is_null()) out["client"] = client.detail;
  out["evidence"] = log.All();
  out["claims"] = std::move(claims);
  return out;
}

}  // namespace

nlohmann::json ClassifyCase(const nlohmann::json& case_doc) {
  return ClassifyCase(case_doc, ClassifyThresholds::FromCase(case_doc));
}

nlohmann::json ClassifyCase(const nlohmann::json& case_doc, const ClassifyThresholds& thresholds) {
  // Every read is type-checked, so this should not throw; if a bug makes it,
  // one case's outcome must not take the whole run's results file with it.
  try {
    return Classify(case_doc, thresholds);
  } catch (const std::exception& e) {
    return {{"complete", false},
            {"reason", std::string("classifier failed: ") + e.what()},
            {"notes", nlohmann::json::array()},
            {"thresholds", thresholds.ToJson()},
            {"evidence", nlohmann::json::array()},
            {"claims", nlohmann::json::object()}};
  }
}

}  // namespace lingerlab
