// A typed, read-only view of one case document (doc/results-format.md, "A
// case"): its parameters, the server's and client's events and the packets.
//
// ParseCase never fails and never throws. Whatever is missing or malformed
// (an event without times, a packet without a direction) is left out of the
// view or left unset, and described in `problems`, so the classifier can
// still decide what the rest of the case shows and say why it could not
// decide the remainder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace lingerlab::classify {

// One performed step (doc/protocol.md §3.1). Times are on the case axis.
struct CaseEvent {
  size_t index = 0;    // position in its agent's list
  std::string step;    // "close", "read", ...
  std::string handle;  // "handle", else args.handle; "" when neither is given
  std::optional<double> t_start, t_end;
  std::optional<int64_t> ret;
  std::optional<int64_t> errno_value;     // 0 on success
  std::optional<std::string> errno_name;  // null on success
  nlohmann::json raw;                     // the whole event, for op-specific fields

  // t_end - t_start when both are known.
  std::optional<double> Duration() const;
  // The option a setsockopt set (args.option), "" otherwise.
  std::string Option() const;
};

// One captured packet (doc/results-format.md, "Packet").
struct CasePacket {
  size_t index = 0;  // position in the case's "packets" array
  double t = 0;
  bool s2c = false;  // false: c2s
  std::string flags;
  int64_t seq = 0, ack = 0, len = 0, win = 0;

  bool fin() const { return flags.find('F') != std::string::npos; }
  bool syn() const { return flags.find('S') != std::string::npos; }
  bool rst() const { return flags.find('R') != std::string::npos; }
  bool has_ack() const { return flags.find('.') != std::string::npos; }
  // Sequence number just past this segment's payload; a FIN here has this number.
  int64_t payload_end() const { return seq + len; }
};

// The case's parameters; the applied values are what the run used.
struct CaseParameters {
  std::string client;                        // idle | slow | fast
  std::optional<std::string> linger_socket;  // lsock | csock | csock_late; unset: no SO_LINGER
  std::string shutdown = "none";             // none | wait_eof | wait_eof_limited
  nlohmann::json nominal = nlohmann::json::object();
  nlohmann::json applied = nlohmann::json::object();
};

struct CaseView {
  std::string id;
  std::string status;  // "completed" | "error" | "" when missing
  std::optional<std::string> error;
  CaseParameters parameters;
  std::vector<CaseEvent> server, client;
  std::vector<CasePacket> packets;  // in capture order, unusable entries left out
  bool has_packets_array = false;   // false: the case carries no capture at all
  std::optional<int64_t> capture_dropped;
  std::vector<std::string> problems;
  // The case's "stack_fault" (doc/results-format.md): unset when the case
  // has none (its agents were no stack: nothing to say), null when its stack
  // did not fail, else the fault's object. The fault's own event (one with
  // "fault") is left out of `server`/`client`: that call never returned, so
  // nothing may be concluded from its times or its missing return value.
  std::optional<nlohmann::json> stack_fault;

  // The first event of `events` at or after position `from` with this step
  // (and handle, unless `handle` is empty); nullptr when none.
  static const CaseEvent* Find(const std::vector<CaseEvent>& events, std::string_view step,
                               std::string_view handle, size_t from = 0);
  // The last such event before position `before`; nullptr when none.
  static const CaseEvent* FindLastBefore(const std::vector<CaseEvent>& events,
                                         std::string_view step, std::string_view handle,
                                         size_t before);
};

CaseView ParseCase(const nlohmann::json& case_doc);

}  // namespace lingerlab::classify
