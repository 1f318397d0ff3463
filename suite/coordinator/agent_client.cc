#include "suite/coordinator/agent_client.h"

#include <algorithm>

#include "agents/base/clock.h"
#include "agents/base/text_rules.h"
#include "agents/protocol/message.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {

using nlohmann::json;

namespace {

// Field readers that never throw: an agent is a peer we do not trust to be
// well-formed (doc/protocol.md), and a bad reply must become a reported
// error, not an exception in a case thread.
//
// Integers an agent reports are held to +-2^62 (clock readings to 0..2^62,
// which is past the year 2116): the coordinator subtracts and adds them
// (clock offsets, times since a case's t0), and within these bounds no such
// sum or difference can overflow int64. A fuzzed reply with real_ns near
// INT64_MIN made the offset estimate overflow (undefined behaviour).
constexpr int64_t kMaxAgentInt = int64_t{1} << 62;

bool IsIntIn(const json& v, int64_t lo, int64_t hi) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(hi);
  if (!v.is_number_integer()) return false;
  const int64_t x = v.get<int64_t>();
  return x >= lo && x <= hi;
}

bool IsInt(const json& m, const char* key) {
  return m.is_object() && m.contains(key) && IsIntIn(m[key], -kMaxAgentInt, kMaxAgentInt);
}

bool IsClock(const json& m, const char* key) {
  return m.is_object() && m.contains(key) && IsIntIn(m[key], 0, kMaxAgentInt);
}

bool IsStamp(const json& m, const char* key) {
  return m.is_object() && m.contains(key) && IsClock(m[key], "mono_ns") &&
         IsClock(m[key], "real_ns");
}

// How much of a bad reply an error message quotes: enough to see what it
// was, never the megabyte a frame may hold. Cut on a UTF-8 boundary, so the
// message stays valid in the results file.
constexpr size_t kQuotedReplyBytes = 500;

// Agent-supplied text the coordinator logs, prints and writes into results
// (platform strings, handles, addresses): bounded and free of control
// characters (text_rules.h), checked as it arrives so every later reader
// -- a terminal, a Markdown table, `check` -- gets text it can show.
constexpr size_t kMaxAgentTextBytes = 256;
constexpr size_t kMaxPlatformFields = 16;
constexpr size_t kMaxFamilyBytes = 64;

bool IsAgentText(const json& v) {
  return v.is_string() && IsPlainText(v.get_ref<const std::string&>(), kMaxAgentTextBytes);
}

// How a read ended (doc/protocol.md §3.2 read, wait_outq): the agent's
// words, which the classifier compares.
bool IsReadEnd(const json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  for (const char* known : {"eof", "limit", "bytes", "error", "empty", "unsupported"})
    if (s == known) return true;
  return false;
}

// A word of the agent's fixed vocabularies: a TCP state ("FIN_WAIT1",
// "gone" from socket_table) or a poll event name ("RDHUP").
bool IsStateWord(const json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The fields of the close-state ops (doc/protocol.md §3.2: tcp_state,
// socket_table, poll, getsockopt, fork_close, end_child), or "".
std::string CheckObservationFields(const json& e) {
  if (e.contains("state") && !IsStateWord(e["state"]))
    return "state must be a word of at most 32 letters, digits or '_'";
  if (e.contains("revents")) {
    const json& r = e["revents"];
    if (!r.is_array() || r.size() > 16 || !std::all_of(r.begin(), r.end(), IsStateWord))
      return "revents must be an array of at most 16 event names";
  }
  if (e.contains("entries")) {
    const json& r = e["entries"];
    if (!r.is_array() || r.size() > 64) return "entries must be an array of at most 64 entries";
    for (const json& x : r)
      if (!x.is_object() || !IsStateWord(x.value("state", json())) ||
          !IsIntIn(x.value("local_port", json()), 0, 65535) ||
          !IsIntIn(x.value("remote_port", json()), 0, 65535))
        return "entries must be {state, local_port, remote_port}";
  }
  for (const char* k : {"value", "unacked", "retransmits", "pid", "close_ret"})
    if (e.contains(k) && !(IsInt(e, k) || e[k].is_null()))
      return std::string(k) + " must be an integer (+-2^62)";
  if (e.contains("value_name") && !e["value_name"].is_null() &&
      !(e["value_name"].is_string() && IsErrnoName(e["value_name"].get<std::string>())))
    return "value_name must be null or an errno name";
  if (e.contains("status") && !e["status"].is_null() && !IsAgentText(e["status"]))
    return "status must be null or a string of at most " + std::to_string(kMaxAgentTextBytes) +
           " bytes without control characters";
  if (e.contains("unsupported") && !e["unsupported"].is_boolean())
    return "unsupported must be a boolean";
  return "";
}

// Why a hello's `platform` (or `agent`) object cannot be used, or "".
std::string CheckDescription(const json& obj, const char* what) {
  if (!obj.is_object()) return std::string(what) + " must be an object";
  if (obj.size() > kMaxPlatformFields)
    return std::string(what) + " has more than " + std::to_string(kMaxPlatformFields) + " fields";
  for (const auto& [key, value] : obj.items()) {
    if (!IsSafeName(key, kMaxFamilyBytes))
      return std::string(what) + " has a field whose name is not a plain name";
    if (!IsAgentText(value))
      return std::string(what) + "." + key + " must be a string of at most " +
             std::to_string(kMaxAgentTextBytes) + " bytes without control characters";
  }
  return "";
}

}  // namespace

std::string CheckHelloShape(const json& hello) {
  if (!hello.is_object() || !hello.contains("platform")) return "handshake reply lacks platform";
  if (std::string bad = CheckDescription(hello["platform"], "platform"); !bad.empty()) return bad;
  const json& family = hello["platform"].value("family", json());
  if (!family.is_null() && !IsSafeName(family.get_ref<const std::string&>(), kMaxFamilyBytes))
    return "platform.family must be a plain name ([a-z0-9._+=-])";
  if (hello.contains("agent"))
    if (std::string bad = CheckDescription(hello["agent"], "agent"); !bad.empty()) return bad;
  if (!IsInt(hello, "pid")) return "handshake reply lacks an integer pid";
  return "";
}

std::string CheckEventShape(const json& e) {
  if (!e.is_object()) return "event is not an object";
  if (!IsStamp(e, "clock_start") || !IsStamp(e, "clock_end"))
    return "event lacks clock_start/clock_end stamps (integers 0..2^62)";
  if (!IsInt(e, "ret") || !IsInt(e, "errno")) return "event lacks integer ret/errno (+-2^62)";
  if (!e.contains("errno_name")) return "errno_name is missing";
  if (const json& n = e["errno_name"]; !n.is_null()) {
    if (!n.is_string() ||
        !(n.get_ref<const std::string&>().empty() || IsErrnoName(n.get_ref<const std::string&>())))
      return "errno_name must be null, \"\" or an errno name (E[A-Z0-9]+, at most " +
             std::to_string(kMaxErrnoNameBytes) + " bytes)";
  }
  for (const char* k : {"bytes", "calls", "outq", "inq", "first_mismatch", "read_calls"})
    if (e.contains(k) && !(IsInt(e, k) || e[k].is_null()))
      return std::string(k) + " must be an integer (+-2^62)";
  for (const char* k : {"step", "handle", "peer", "local"})
    if (e.contains(k) && !IsAgentText(e[k]))
      return std::string(k) + " must be a string of at most " + std::to_string(kMaxAgentTextBytes) +
             " bytes without control characters";
  if (e.contains("end") && !IsReadEnd(e["end"]))
    return "end must be one of eof, limit, bytes, error, empty, unsupported";
  if (e.contains("verified") && !e["verified"].is_boolean()) return "verified must be a boolean";
  if (std::string bad = CheckObservationFields(e); !bad.empty()) return bad;
  if (e.contains("reads")) {
    if (!e["reads"].is_array()) return "reads must be an array";
    for (const json& r : e["reads"])
      if (!r.is_array() || r.size() != 2 || !IsIntIn(r[0], 0, kMaxAgentInt) ||
          !IsIntIn(r[1], -kMaxAgentInt, kMaxAgentInt))
        return "reads entries must be [real_ns, bytes]";
  }
  return "";
}

Result<json> AgentClient::Handshake(Role role) {
  Status s = channel_.Send(
      {{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", RoleName(role)}});
  if (!s.ok()) return MakeError(s.code(), label_ + ": handshake: " + s.message());
  auto r = channel_.Receive(protocol::kHandshakeTimeout);
  if (!r.ok()) return MakeError(r.error().code, label_ + ": handshake: " + r.error().message);
  if (MessageString(*r, "type") == "error")
    return MakeError(ErrorCode::kInvalidInput,
                     label_ + ": agent refused the handshake: " + BriefDump(*r, kQuotedReplyBytes));
  if (MessageString(*r, "type") != "hello" || MessageInt(*r, "protocol") != protocol::kVersion)
    return MakeError(ErrorCode::kInvalidInput,
                     label_ + ": unexpected handshake reply " + BriefDump(*r, kQuotedReplyBytes));
  if (std::string bad = CheckHelloShape(*r); !bad.empty())
    return MakeError(ErrorCode::kInvalidInput, label_ + ": malformed hello from agent: " + bad +
                                                   ": " + BriefDump(*r, kQuotedReplyBytes));
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
    const std::string type = MessageString(m, "type");
    if (type == "error") {
      lost_ = true;
      return MakeError(ErrorCode::kInvalidInput,
                       label_ + ": agent error: " + BriefDump(m, kQuotedReplyBytes));
    }
    if (type != "reply" || !m.contains("id") || m["id"] != json(id)) continue;  // stale
    const json ok = m.value("ok", json());
    if (ok == json(true)) {
      const json event = m.contains("event") ? m["event"] : json();
      if (std::string bad = CheckEventShape(event); !bad.empty()) {
        lost_ = true;  // an agent that says this cannot be trusted further
        return MakeError(ErrorCode::kInvalidInput,
                         label_ + ": " + op + ": malformed reply from agent: " + bad);
      }
      return event;
    }
    const json err = m.contains("error") ? m["error"] : json();
    // An agent that cannot do something at all on its host (capture without
    // privilege or libpcap) says so with its own code: not a bad request.
    const ErrorCode code = MessageString(err, "code") == "capture_unavailable"
                               ? ErrorCode::kUnsupported
                               : ErrorCode::kInvalidInput;
    return MakeError(code, label_ + ": " + op + " refused: " + MessageString(err, "code") + ": " +
                               MessageString(err, "message"));
  }
}

Result<ClockOffset> AgentClient::EstimateClockOffset(int samples) {
  ClockOffset best{0, INT64_MAX};
  for (int i = 0; i < samples; ++i) {
    const int64_t t0 = RealtimeNs();
    auto e = Request("time", json::object(), protocol::kHandshakeTimeout);
    const int64_t t1 = RealtimeNs();
    if (!e.ok()) return e.error();
    const int64_t agent = (*e)["clock_start"]["real_ns"].get<int64_t>();  // shape checked
    if (t1 - t0 < best.rtt_ns) best = ClockOffset{agent - (t0 + (t1 - t0) / 2), t1 - t0};
  }
  return best;
}

void AgentClient::Bye(bool release) {
  if (lost_) return;
  (void)Request("bye", release ? json{{"release", true}} : json::object(), kNsPerSec);
  lost_ = true;
}

}  // namespace lingerlab
