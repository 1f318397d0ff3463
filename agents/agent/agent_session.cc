#include "agents/agent/agent_session.h"

#include <unistd.h>

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
    return ErrorReply(id, "bad_request", std::string("cannot perform '") + op + "': " + e.what());
  }
}

}  // namespace

const char* SessionEndName(SessionEnd e) {
  switch (e) {
    case SessionEnd::kBye:
      return "bye";
    case SessionEnd::kPeerClosed:
      return "peer closed";
    case SessionEnd::kProtocolError:
      return "protocol error";
  }
  return "?";
}

SessionEnd ServeSession(Channel& ch, StepExecutor& exec, const AgentIdentity& identity) {
  auto hello = ch.Receive(protocol::kHandshakeTimeout);
  if (!hello.ok()) {
    if (hello.error().code == ErrorCode::kClosed) return SessionEnd::kPeerClosed;
    if (hello.error().code == ErrorCode::kTimeout)
      return Fatal(ch, "no_handshake", "no hello within the handshake timeout");
    return Fatal(ch, FaultCode(hello.error().message), hello.error().message);
  }
  if (MessageString(*hello, "type") != "hello")
    return Fatal(ch, "no_handshake", "the first message must be a hello");
  const json version = hello->value("protocol", json());
  if (!version.is_number_integer() || version.get<int>() != protocol::kVersion)
    return Fatal(ch, "protocol_version",
                 "agent speaks protocol " + std::to_string(protocol::kVersion) + ", peer sent " +
                     version.dump());
  const std::string role = MessageString(*hello, "role");
  Status sent = ch.Send(
      {{"type", "hello"},
       {"protocol", protocol::kVersion},
       {"agent",
        {{"name", "lingerlab-agent"}, {"version", identity.version}, {"commit", identity.commit}}},
       {"platform", identity.platform},
       {"role", role},
       {"pid", static_cast<int64_t>(::getpid())}});
  if (!sent.ok()) return SessionEnd::kPeerClosed;

  for (;;) {
    auto msg = ch.Receive(-1);
    if (!msg.ok()) {
      if (msg.error().code == ErrorCode::kClosed) return SessionEnd::kPeerClosed;
      return Fatal(ch, FaultCode(msg.error().message), msg.error().message);
    }
    const json& m = *msg;
    if (!m.contains("type") || !m["type"].is_string())
      return Fatal(ch, "malformed_frame", "message has no 'type'");
    const json id = m.value("id", json());
    json reply;
    if (m["type"] != "request") {
      reply = ErrorReply(id, "bad_request", "unexpected message type " + m["type"].dump());
    } else if (!id.is_number_integer()) {
      reply = ErrorReply(nullptr, "bad_request", "a request needs an integer 'id'");
    } else if (!m.contains("op") || !m["op"].is_string()) {
      reply = ErrorReply(id, "bad_request", "a request needs a string 'op'");
    } else if (m["op"] == "bye") {
      (void)ch.Send({{"type", "reply"}, {"id", id}, {"ok", true}, {"event", {{"step", "bye"}}}});
      return SessionEnd::kBye;
    } else {
      reply = Handle(exec, id, m["op"].get<std::string>(),
                     m.contains("args") ? m["args"] : json::object());
    }
    Status sent_reply = ch.Send(reply);
    if (!sent_reply.ok() && sent_reply.code() == ErrorCode::kInvalidInput) {
      // The reply does not fit in a frame: say so instead of going silent.
      sent_reply = ch.Send(ErrorReply(id, "reply_too_large", sent_reply.message()));
    }
    if (!sent_reply.ok()) return SessionEnd::kPeerClosed;
  }
}

}  // namespace lingerlab
