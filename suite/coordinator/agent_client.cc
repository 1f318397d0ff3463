#include "suite/coordinator/agent_client.h"

#include "agents/base/clock.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {

using nlohmann::json;

Result<json> AgentClient::Handshake(Role role) {
  Status s = channel_.Send(
      {{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", RoleName(role)}});
  if (!s.ok()) return MakeError(s.code(), label_ + ": handshake: " + s.message());
  auto r = channel_.Receive(protocol::kHandshakeTimeout);
  if (!r.ok()) return MakeError(r.error().code, label_ + ": handshake: " + r.error().message);
  if (r->value("type", "") == "error")
    return MakeError(ErrorCode::kInvalidInput,
                     label_ + ": agent refused the handshake: " + (*r)["error"].dump());
  if (r->value("type", "") != "hello" || r->value("protocol", -1) != protocol::kVersion)
    return MakeError(ErrorCode::kInvalidInput,
                     label_ + ": unexpected handshake reply " + r->dump());
  return r;
}

Result<json> AgentClient::Request(const std::string& op, const json& args, int64_t timeout_ns) {
  if (lost_) return MakeError(ErrorCode::kClosed, label_ + ": agent already lost");
  const int64_t id = next_id_++;
  Status s = channel_.Send({{"type", "request"}, {"id", id}, {"op", op}, {"args", args}});
  if (!s.ok()) {
    lost_ = true;
    return MakeError(s.code(), label_ + ": " + op + ": " + s.message());
  }
  const int64_t deadline = MonotonicNs() + timeout_ns;
  for (;;) {
    auto r = channel_.Receive(std::max<int64_t>(0, deadline - MonotonicNs()));
    if (!r.ok()) {
      lost_ = true;
      std::string what = r.error().code == ErrorCode::kTimeout
                             ? "no reply within " + std::to_string(timeout_ns / kNsPerMs) + " ms"
                             : r.error().message;
      return MakeError(r.error().code, label_ + ": " + op + ": " + what);
    }
    const json& m = *r;
    if (m.value("type", "") == "error") {
      lost_ = true;
      return MakeError(ErrorCode::kInvalidInput, label_ + ": agent error: " + m["error"].dump());
    }
    if (m.value("type", "") != "reply" || m.value("id", json()) != json(id)) continue;  // stale
    if (m.value("ok", false)) return m.value("event", json::object());
    const json& e = m.value("error", json::object());
    return MakeError(
        ErrorCode::kInvalidInput,
        label_ + ": " + op + " refused: " + e.value("code", "?") + ": " + e.value("message", ""));
  }
}

Result<ClockOffset> AgentClient::EstimateClockOffset(int samples) {
  ClockOffset best{0, INT64_MAX};
  for (int i = 0; i < samples; ++i) {
    const int64_t t0 = RealtimeNs();
    auto e = Request("time", json::object(), protocol::kHandshakeTimeout);
    const int64_t t1 = RealtimeNs();
    if (!e.ok()) return e.error();
    const int64_t agent = (*e)["clock_start"]["real_ns"].get<int64_t>();
    if (t1 - t0 < best.rtt_ns) best = ClockOffset{agent - (t0 + (t1 - t0) / 2), t1 - t0};
  }
  return best;
}

void AgentClient::Bye() {
  if (lost_) return;
  (void)Request("bye", json::object(), kNsPerSec);
  lost_ = true;
}

}  // namespace lingerlab
