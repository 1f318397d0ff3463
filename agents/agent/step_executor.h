// StepExecutor: performs one socket step on request and describes what
// happened as an event (doc/protocol.md §3). It owns the agent's table of
// named test sockets and keeps no test logic: the coordinator decides what
// to do and when.
//
// A failing syscall is an outcome: Perform() still succeeds and the event
// carries ret/errno. Perform() fails only when the step cannot be attempted:
//   kUnsupported  -> reply code "unknown_op"
//   kNotFound     -> reply code "unknown_handle"
//   kInvalidInput -> reply code "bad_request" (also for an argument out of
//                    its range or a session limit reached, doc/protocol.md §3.3)
//   kFailed       -> reply code "capture_unavailable": only the capture ops
//                    fail for a reason of the host rather than the request
//                    (no libpcap, no privilege, no interface holds the address)
//
// Capture (capture_start/_stop/_read) goes through a CaptureApi: at most one
// capture per session, ended with the executor.
//
// Child processes holding a socket (hand_to_child) are kept in a table of
// their own, at most protocol::kMaxChildren; those not ended by end_child
// are killed and reaped with the executor (the session's end).
//
// Where the SocketApi lacks a call (SysResult::unsupported), the event says
// "unsupported": true beside ret -1 and the errno.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "agents/platform/capture_api.h"
#include "agents/platform/socket_api.h"

namespace lingerlab {

class StepExecutor {
 public:
  explicit StepExecutor(std::unique_ptr<SocketApi> api,
                        std::unique_ptr<CaptureApi> capture = MakeNativeCaptureApi());
  // Ends a capture still running (its thread, handle and unlinked file) and
  // closes sockets still in the table (the process is ending anyway; this
  // keeps tests from leaking descriptors).
  ~StepExecutor();
  StepExecutor(const StepExecutor&) = delete;
  StepExecutor& operator=(const StepExecutor&) = delete;

  Result<nlohmann::json> Perform(const std::string& op, const nlohmann::json& args);

  // Reply code for a failed Perform() (see the table above).
  static const char* ReplyCode(ErrorCode code);

 private:
  struct Sock {
    SocketHandle handle = -1;
    uint64_t written = 0;  // payload offset for the next write
    uint64_t read = 0;     // payload offset for the next verified read
  };

  Result<Sock*> Find(const nlohmann::json& args);
  // The name at args[key] for a new socket: valid, unused, and the table
  // not full (doc/protocol.md §3.3); else kInvalidInput.
  Result<std::string> NewHandle(const nlohmann::json& args, const char* key) const;
  Result<nlohmann::json> DoSocket(const nlohmann::json& args);
  Result<nlohmann::json> DoWaitOutq(const nlohmann::json& args);
  Result<nlohmann::json> DoSetSockOpt(const nlohmann::json& args);
  Result<nlohmann::json> DoAccept(const nlohmann::json& args);
  Result<nlohmann::json> DoWrite(const nlohmann::json& args);
  Result<nlohmann::json> DoRead(const nlohmann::json& args);
  Result<nlohmann::json> DoClose(const nlohmann::json& args);
  Result<nlohmann::json> DoTcpState(const nlohmann::json& args);
  Result<nlohmann::json> DoSocketTable(const nlohmann::json& args);
  Result<nlohmann::json> DoDup(const nlohmann::json& args);
  Result<nlohmann::json> DoForkClose(const nlohmann::json& args);
  Result<nlohmann::json> DoHandToChild(const nlohmann::json& args);
  Result<nlohmann::json> DoEndChild(const nlohmann::json& args);
  Result<nlohmann::json> DoPoll(const nlohmann::json& args);
  Result<nlohmann::json> DoGetSockOpt(const nlohmann::json& args);
  Result<nlohmann::json> DoCaptureStart(const nlohmann::json& args);
  Result<nlohmann::json> DoCaptureStop(const nlohmann::json& args);
  Result<nlohmann::json> DoCaptureRead(const nlohmann::json& args);

  std::unique_ptr<SocketApi> api_;
  std::map<std::string, Sock> sockets_;
  std::map<std::string, std::unique_ptr<SocketHolder>> children_;  // hand_to_child's
  std::unique_ptr<CaptureApi> capture_api_;
  std::unique_ptr<Capture> capture_;               // the session's one capture, once started
  std::optional<CaptureSummary> capture_summary_;  // set by a successful capture_stop
  bool capture_stopped_ = false;
};

}  // namespace lingerlab
