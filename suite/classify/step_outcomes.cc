#include "suite/classify/step_outcomes.h"

#include <cmath>

#include "suite/classify/close_analysis.h"
#include "suite/classify/json_fields.h"

namespace lingerlab::classify {
namespace {

nlohmann::json Or(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json Or(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json Or(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json Or(const std::optional<bool>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

const CaseEvent* ServerShutdown(const AnalysisContext& ctx) {
  return CaseView::Find(ctx.view.server, "shutdown", "csock");
}

}  // namespace

LateSetsockoptConclusion LateSetsockopt(const AnalysisContext& ctx) {
  LateSetsockoptConclusion c;
  c.applies = ctx.view.parameters.linger_socket == "csock_late";
  if (!c.applies) return c;
  const CaseEvent* shut = ServerShutdown(ctx);
  if (shut == nullptr) return c;
  const CaseEvent* sso = nullptr;
  for (size_t i = shut->index + 1; i < ctx.view.server.size(); ++i) {
    const CaseEvent& e = ctx.view.server[i];
    if (e.step == "setsockopt" && e.handle == "csock" && e.Option() == "SO_LINGER") {
      sso = &e;
      break;
    }
  }
  if (sso == nullptr) return c;
  c.errno_claim = ErrnoClaim(sso->ret, sso->errno_name);
  c.detail = {{"ret", Or(sso->ret)},
              {"errno", Or(sso->errno_name)},
              {"errno_value", Or(sso->errno_value)},
              {"t", Or(sso->t_start)}};
  if (sso->t_start) {
    ctx.log.Add("late_setsockopt", *sso->t_start,
                "setsockopt(SO_LINGER) after shutdown() returned " +
                    (sso->ret ? std::to_string(*sso->ret) : std::string("?")) +
                    (sso->errno_name ? " with " + *sso->errno_name : std::string()));
  }
  return c;
}

EofWaitConclusion EofWait(const AnalysisContext& ctx) {
  EofWaitConclusion c;
  c.applies = ctx.view.parameters.shutdown != "none";
  if (!c.applies) return c;
  const CaseEvent* shut = ServerShutdown(ctx);
  if (shut == nullptr) return c;
  const CaseEvent* read = CaseView::Find(ctx.view.server, "read", "csock", shut->index + 1);
  if (read == nullptr) return c;

  const std::optional<std::string> end = StringField(read->raw, "end");
  if (end) c.eof_before_limit = *end == "eof";
  std::optional<double> limit_s;
  if (const nlohmann::json* args = Field(read->raw, "args")) {
    if (auto ms = NumberField(*args, "limit_ms"); ms && *ms > 0) limit_s = *ms / 1000.0;
  }
  if (!limit_s) limit_s = ctx.th.eof_wait_limit_s;
  const std::optional<double> waited = read->Duration();
  std::optional<bool> ran_to_limit;
  if (waited && limit_s) {
    ran_to_limit = std::fabs(*waited - *limit_s) <= ctx.th.eof_limit_tolerance_s;
  }
  c.detail = {{"end", Or(end)},
              {"errno", Or(read->errno_name)},
              {"bytes", Or(IntField(read->raw, "bytes"))},
              {"waited_s", Or(waited)},
              {"limit_s", Or(limit_s)},
              {"ran_to_limit", Or(ran_to_limit)},
              {"eof_before_limit", Or(c.eof_before_limit)}};
  if (read->t_end) {
    ctx.log.Add("eof_wait", *read->t_end,
                "server's read after shutdown() ended: " + end.value_or("?") +
                    (read->errno_name ? " (" + *read->errno_name + ")" : std::string()));
  }
  return c;
}

ClientConclusion ClientRead(const AnalysisContext& ctx) {
  ClientConclusion c;
  const CaseEvent* read = CaseView::Find(ctx.view.client, "read", "");
  if (read == nullptr) return c;

  const std::optional<int64_t> bytes = IntField(read->raw, "bytes");
  const std::optional<bool> verified = BoolField(read->raw, "verified");
  const std::optional<int64_t> mismatch = IntField(read->raw, "first_mismatch");
  const std::optional<std::string> end = StringField(read->raw, "end");

  std::optional<int64_t> verified_bytes;
  if (verified && *verified && bytes) {
    verified_bytes = *bytes;
  } else if (verified && !*verified && mismatch) {
    verified_bytes = *mismatch;  // every byte before the first mismatch was right
  }
  if (verified_bytes && *verified_bytes >= 0) {
    c.bytes_claim = static_cast<uint64_t>(*verified_bytes);
  }

  if (end == "eof" || end == "limit") {
    c.end_claim = *end;
  } else if (end == "error" && read->errno_name && !read->errno_name->empty()) {
    c.end_claim = *read->errno_name;
  }

  if (const std::optional<int64_t> payload = ctx.th.payload_bytes) {
    if (verified_bytes) {
      c.data_lost_claim = *verified_bytes < *payload;
    } else if (bytes && *bytes < *payload) {
      c.data_lost_claim = true;  // short even before verification
    }
  }

  c.detail = {{"bytes", Or(bytes)},
              {"verified", Or(verified)},
              {"first_mismatch", Or(mismatch)},
              {"verified_bytes", Or(verified_bytes)},
              {"end", c.end_claim ? nlohmann::json(*c.end_claim) : Or(end)},
              {"errno", Or(read->errno_name)},
              {"data_lost", Or(c.data_lost_claim)},
              {"t_end", Or(read->t_end)}};
  if (read->t_end) {
    ctx.log.Add("client", *read->t_end,
                "client's read loop ended (" + end.value_or("?") + ") after " +
                    (bytes ? std::to_string(*bytes) : std::string("?")) + " bytes" +
                    (verified && !*verified
                         ? ", first mismatch at " + (mismatch ? std::to_string(*mismatch) : "?")
                         : std::string()));
  }
  return c;
}

}  // namespace lingerlab::classify
