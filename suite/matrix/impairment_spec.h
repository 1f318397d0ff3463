// Packet impairment as data: what a scenario's lab step "impair" asks the
// lab to do to the test link (doc/matrix-format.md "Lab steps"). Pure: the
// scenario parser validates a step's arguments with ParseImpairment at load,
// the case runner parses them again when the step runs, and the labs apply
// the result (CaseLab::Impair, suite/targets/impairment.h).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"

namespace lingerlab {

// Which way the impaired segments travel.
enum class ImpairDirection { kToServer, kToClient };
// Which TCP segments are impaired:
//   syn      SYN without ACK          syn-ack  SYN with ACK
//   ack      ACK only (no SYN, FIN or RST) and no payload
//   data     any segment with payload  fin     FIN set (with or without data)
//   rst      RST set                   any     every TCP segment
enum class ImpairMatch { kSyn, kSynAck, kAck, kData, kFin, kRst, kAny };
enum class ImpairAction { kDrop, kDelay };

// The longest drop window or delay a step may ask for, in milliseconds.
constexpr int64_t kMaxImpairmentMs = 600'000;

struct Impairment {
  ImpairDirection direction = ImpairDirection::kToServer;
  ImpairMatch match = ImpairMatch::kAny;
  ImpairAction action = ImpairAction::kDrop;
  int64_t delay_ms = 0;  // kDelay: 1..kMaxImpairmentMs
  int64_t for_ms = 0;    // how long it lasts from when it is applied; 0: until cleared
};

const char* ImpairDirectionName(ImpairDirection d);  // "to_server", "to_client"
const char* ImpairMatchName(ImpairMatch m);          // "syn", "syn-ack", ...
const char* ImpairActionName(ImpairAction a);        // "drop", "delay"

// The arguments of an "impair" step: {"direction", "match", "action",
// "delay_ms" (delay only, required), "for_ms" (optional)}. Times are
// integers in milliseconds, literal (no $variables) and never scaled by the
// run's time scale. Errors name `where` in `origin` (FieldError).
Result<Impairment> ParseImpairment(const nlohmann::json& args, const std::string& origin,
                                   const std::string& where);

// The arguments again, normalized (what a results document records).
nlohmann::json ImpairmentJson(const Impairment& imp);

}  // namespace lingerlab
