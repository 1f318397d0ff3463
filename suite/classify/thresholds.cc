#include "suite/classify/thresholds.h"

#include <algorithm>

#include "suite/classify/json_fields.h"

namespace lingerlab {
namespace {

using classify::Field;
using classify::IntField;
using classify::NumberField;

// Suite-controlled times present in both nominal and applied that the
// coordinator scales exactly; their ratio is the run's time scale. The
// server's pause first: every case has it and it is never 0. (settle_s is not
// used: the coordinator keeps a floor under it.)
constexpr const char* kScaledKeys[] = {"server_pause_s", "read_interval_s", "idle_s",
                                       "eof_wait_limit_s"};

std::optional<double> DeriveTimeScale(const nlohmann::json& nominal,
                                      const nlohmann::json& applied) {
  for (const char* key : kScaledKeys) {
    auto n = NumberField(nominal, key);
    auto a = NumberField(applied, key);
    if (n && a && *n > 0 && *a > 0) return *a / *n;
  }
  return std::nullopt;
}

}  // namespace

ClassifyThresholds ClassifyThresholds::FromCase(const nlohmann::json& case_doc,
                                                std::optional<double> time_scale) {
  ClassifyThresholds th;
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const nlohmann::json* params = Field(case_doc, "parameters");
  const nlohmann::json& p = params ? *params : kEmpty;
  const nlohmann::json* nominal_p = Field(p, "nominal");
  const nlohmann::json* applied_p = Field(p, "applied");
  const nlohmann::json& nominal = nominal_p ? *nominal_p : kEmpty;
  const nlohmann::json& applied = applied_p ? *applied_p : kEmpty;

  if (time_scale && *time_scale > 0) {
    th.time_scale = *time_scale;
  } else if (auto derived = DeriveTimeScale(nominal, applied)) {
    th.time_scale = *derived;
  }

  // The linger time: applied first; else the nominal one scaled. A case
  // without SO_LINGER ("linger": null) has none, whatever linger_s says.
  const nlohmann::json* linger = Field(p, "linger");
  if (linger != nullptr && linger->is_object()) {
    if (auto a = NumberField(applied, "linger_s")) {
      th.linger_s = *a;
    } else if (auto n = NumberField(nominal, "linger_s")) {
      th.linger_s = *n * th.time_scale;
    } else if (auto s = NumberField(*linger, "seconds")) {
      th.linger_s = *s * th.time_scale;
    }
  }
  th.linger_s = std::max(th.linger_s, 0.0);
  th.linger_tolerance_s = std::max(kLingerToleranceMinS, kLingerToleranceFraction * th.linger_s);

  if (auto a = NumberField(applied, "eof_wait_limit_s"); a && *a > 0) {
    th.eof_wait_limit_s = *a;
  } else if (auto n = NumberField(nominal, "eof_wait_limit_s"); n && *n > 0 && !a) {
    th.eof_wait_limit_s = *n * th.time_scale;
  }
  if (th.eof_wait_limit_s) {
    th.eof_limit_tolerance_s =
        std::max(kEofLimitToleranceMinS, kEofLimitToleranceFraction * *th.eof_wait_limit_s);
  }

  th.payload_bytes = IntField(applied, "payload_bytes");
  if (!th.payload_bytes) th.payload_bytes = IntField(nominal, "payload_bytes");

  // Each agent's events are put on the coordinator's clock by an offset
  // taken at the midpoint of the fastest `time` exchange; it is off by at
  // most half that round trip. Windows that match events to packets widen by
  // the larger agent's uncertainty (negligible on one machine, not across a
  // lab network).
  if (const nlohmann::json* agents = Field(case_doc, "agents")) {
    for (const char* role : {"server", "client"}) {
      const nlohmann::json* a = Field(*agents, role);
      if (!a) continue;
      if (auto rtt = IntField(*a, "clock_rtt_ns"); rtt && *rtt > 0 && *rtt < 60 * 1000000000ll)
        th.clock_uncertainty_s = std::max(th.clock_uncertainty_s, static_cast<double>(*rtt) / 2e9);
    }
  }
  th.clock_skew_s = kClockSkewS + th.clock_uncertainty_s;
  return th;
}

nlohmann::json ClassifyThresholds::ToJson() const {
  nlohmann::json j = {
      {"immediate_s", immediate_s},
      {"clock_skew_s", clock_skew_s},
      {"clock_uncertainty_s", clock_uncertainty_s},
      {"peer_ack_window_s", peer_ack_window_s},
      {"kernel_timeout_min_s", kernel_timeout_min_s},
      {"abort_detect_s", abort_detect_s},
      {"rst_at_timeout_window_s", rst_at_timeout_window_s},
      {"rst_answer_window_s", rst_answer_window_s},
      {"silence_min_gap_s", silence_min_gap_s},
      {"time_scale", time_scale},
      {"linger_s", linger_s},
      {"linger_tolerance_s", linger_tolerance_s},
      {"eof_wait_limit_s", nullptr},
      {"eof_limit_tolerance_s", eof_limit_tolerance_s},
      {"payload_bytes", nullptr},
  };
  if (eof_wait_limit_s) j["eof_wait_limit_s"] = *eof_wait_limit_s;
  if (payload_bytes) j["payload_bytes"] = *payload_bytes;
  return j;
}

}  // namespace lingerlab
