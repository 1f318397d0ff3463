#include "agents/agent/agent_session.h"

#include <optional>

#include "agents/platform/host_platform.h"
#include "agents/protocol/message.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// Sends an error frame and closes the channel (doc/protocol.md §5).
SessionEnd Fatal(Channel& ch, const std::string& code, const std::string& message) {
  (void)ch.Send({{"type", "error"}, {"error", {{"code", code}, {"message", message}}}});
  ch.Close();
  return SessionEnd::kProtocolError;
}

// Channel::Receive reports frame faults as "<code>: <detail>".
std::string FaultCode(const std::string& message) {
  auto colon = message.find(':');
  return colon == std::string::npos ? "malformed_frame" : message.substr(0, colon);
}

json ErrorReply(const json& id, const std::string& code, const std::string& message) {
  return {{"type", "reply"},
          {"id", id},
          {"ok", false},
          {"error", {{"code", code}, {"message", message}}}};
}

// Performs one request. Never throws: arguments of the wrong JSON type (or
// anything else the step cannot digest) become a bad_request reply, so a
// buggy coordinator gets an answer, not a dead agent.
json Handle(StepExecutor& exec, const json& id, const std::string& op, const json& args) {
  try {
    auto event = exec.Perform(op, args);
    return event.ok()
               ? json{{"type", "reply"}, {"id", id}, {"ok", true}, {"event", *event}}
               : ErrorReply(id, StepExecutor::ReplyCode(event.error().code), event.error().message);
  } catch (const std::exception& e) {
    return ErrorReply(id, "bad_request",
                      "cannot perform '" + Truncated(op) + "': " + Truncated(e.what()));
  }
}

}  // namespace

const char* SessionEndName(SessionEnd e) {
  switch (e) {
    case SessionEnd::kBye:
      return "bye";
    case SessionEnd::kByeRelease:
      return "bye, run over";
    case SessionEnd::kPeerClosed:
      return "peer closed";
    case SessionEnd::kProtocolError:
      return "protocol error";
    case SessionEnd::kIdle:
      return "idle timeout";
  }
  return "?";
}

namespace {

// Answers the peer's hello (doc/protocol.md §2). Returns how the session
// ends, or nothing when requests may follow.
std::optional<SessionEnd> Handshake(Channel& ch, const AgentIdentity& identity,
                                    int64_t timeout_ns) {
  auto hello = ch.Receive(timeout_ns);
  if (!hello.ok()) {
    if (hello.error().code == ErrorCode::kClosed) return SessionEnd::kPeerClosed;
    if (hello.error().code == ErrorCode::kTimeout)
      return Fatal(ch, "no_handshake", "no hello within the handshake timeout");
    return Fatal(ch, FaultCode(hello.error().message), hello.error().message);
  }
  if (MessageString(*hello, "type") != "hello")
    return Fatal(ch, "no_handshake", "the first message must be a hello");
  if (MessageInt(*hello, "protocol") != protocol::kVersion)
    return Fatal(ch, "protocol_version",
                 "agent speaks protocol " + std::to_string(protocol::kVersion) + ", peer sent " +
                     BriefDump(hello->value("protocol", json())));
  // The role is only echoed; cut so the hello always fits in a frame.
  const std::string role = Truncated(MessageString(*hello, "role"));
  Status sent = ch.Send(
      {{"type", "hello"},
       {"protocol", protocol::kVersion},
       {"agent",
        {{"name", "lingerlab-agent"}, {"version", identity.version}, {"commit", identity.commit}}},
       {"platform", identity.platform},
       {"role", role},
       {"pid", CurrentProcessId()}});
  if (!sent.ok()) return SessionEnd::kPeerClosed;
  return std::nullopt;
}

// The reply to one well-framed message other than bye.
json Answer(StepExecutor& exec, const json& m) {
  // Only an integer id is echoed: anything else could be a megabyte.
  const auto id_value = MessageInt(m, "id");
  const json id = id_value ? json(*id_value) : json(nullptr);
  const std::string type = MessageString(m, "type");
  if (type != "request")
    return ErrorReply(id, "bad_request", "unexpected message type '" + Truncated(type) + "'");
  if (!id_value) return ErrorReply(nullptr, "bad_request", "a request needs an integer 'id'");
  if (!m.contains("op") || !m["op"].is_string())
    return ErrorReply(id, "bad_request", "a request needs a string 'op'");
  return Handle(exec, id, m["op"].get<std::string>(),
                m.contains("args") ? m["args"] : json::object());
}

}  // namespace

SessionEnd ServeSession(Channel& ch, StepExecutor& exec, const AgentIdentity& identity,
                        const SessionLimits& limits) {
  if (auto end = Handshake(ch, identity, limits.handshake_timeout_ns)) return *end;
  for (;;) {
    auto msg = ch.Receive(limits.idle_timeout_ns);
    if (!msg.ok()) {
      if (msg.error().code == ErrorCode::kClosed) return SessionEnd::kPeerClosed;
      if (msg.error().code == ErrorCode::kTimeout) {
        (void)Fatal(ch, "idle_timeout",
                    "no request within " + std::to_string(limits.idle_timeout_ns / kNsPerSec) +
                        " s; the session is closed");
        return SessionEnd::kIdle;
      }
      return Fatal(ch, FaultCode(msg.error().message), msg.error().message);
    }
    const json& m = *msg;
    if (!m.contains("type") || !m["type"].is_string())
      return Fatal(ch, "malformed_frame", "message has no 'type'");
    if (MessageString(m, "type") == "request" && MessageString(m, "op") == "bye" &&
        MessageInt(m, "id")) {
      (void)ch.Send({{"type", "reply"},
                     {"id", *MessageInt(m, "id")},
                     {"ok", true},
                     {"event", {{"step", "bye"}}}});
      const json& args = m.contains("args") ? m["args"] : json();
      const bool release = args.is_object() && args.contains("release") &&
                           args["release"].is_boolean() && args["release"].get<bool>();
      return release ? SessionEnd::kByeRelease : SessionEnd::kBye;
    }
    const json reply = Answer(exec, m);
    Status sent_reply = ch.Send(reply);
    if (!sent_reply.ok() && sent_reply.code() == ErrorCode::kInvalidInput) {
      // The reply does not fit in a frame: say so instead of going silent.
      sent_reply = ch.Send(ErrorReply(reply["id"], "reply_too_large", sent_reply.message()));
    }
    if (!sent_reply.ok()) return SessionEnd::kPeerClosed;
  }
}

}  // namespace lingerlab
