// AgentClient: the coordinator's end of one control channel
// (doc/protocol.md). It performs the handshake, sends one request at a time
// and waits for its reply with a deadline, so a lost agent is a reported
// error, never a hang.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "agents/protocol/channel.h"
#include "suite/targets/target.h"

namespace lingerlab {

// Offset of the agent's realtime clock from ours, from the exchange with the
// lowest round trip (doc/protocol.md §3.2 `time`).
struct ClockOffset {
  int64_t offset_ns = 0;  // agent_real - coordinator_real
  int64_t rtt_ns = 0;
};

// Why `event` is not a well-formed event (doc/protocol.md §3.1), or "" if it
// is: the fields every event has, and the types of the op-specific ones.
std::string CheckEventShape(const nlohmann::json& event);

// Why `hello` (the agent's handshake reply) is not usable, or "": its
// `platform` and `agent` objects hold at most 16 fields of plain text
// (text_rules.h IsPlainText, 256 bytes), `platform.family` is a plain name
// (it picks an expected table), and `pid` is an integer.
std::string CheckHelloShape(const nlohmann::json& hello);

class AgentClient {
 public:
  AgentClient(Channel channel, std::string label)
      : channel_(std::move(channel)), label_(std::move(label)) {}

  // Sends hello and returns the agent's hello. Fails on timeout, a closed
  // channel, an error frame or a protocol version mismatch.
  Result<nlohmann::json> Handshake(Role role);

  // Sends one request and returns the event of its reply, checked with
  // CheckEventShape (a malformed one is kInvalidInput and loses the agent).
  // Fails with: kTimeout (no reply within `timeout_ns`: the agent is lost and
  // the channel must not be reused), kClosed (agent gone), kInvalidInput
  // (the agent refused the request: "<code>: <message>").
  Result<nlohmann::json> Request(const std::string& op, const nlohmann::json& args,
                                 int64_t timeout_ns);

  Result<ClockOffset> EstimateClockOffset(int samples);

  // Tells the agent to stop; best effort.
  // `release`: the run is over (doc/protocol.md §3.2 bye): a --listen
  // agent frees the run's lease at once instead of after its grace time.
  void Bye(bool release = false);

  const std::string& label() const { return label_; }
  // The control channel's descriptor, to watch for an agent that goes away
  // between requests (it sends nothing unasked).
  int fd() const { return channel_.fd(); }

 private:
  Channel channel_;
  std::string label_;
  int64_t next_id_ = 1;
  bool lost_ = false;
};

}  // namespace lingerlab
