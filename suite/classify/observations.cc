#include "suite/classify/observations.h"

#include <optional>

#include "suite/classify/json_fields.h"
#include "suite/classify/observation_names.h"

namespace lingerlab::classify {
namespace {

using nlohmann::json;

// The value an observation of `kind` reads from `e`, or nullopt with `why`.
std::optional<json> ValueOf(ObservationKind kind, const CaseEvent& e, std::string* why) {
  const bool failed = e.ret && *e.ret < 0;
  switch (kind) {
    case ObservationKind::kErrno:
      if (!e.ret) break;
      if (!failed) return json(nullptr);
      if (e.errno_name) return json(*e.errno_name);
      *why = "it failed without an errno name";
      return std::nullopt;
    case ObservationKind::kSoError:
      if (failed) {
        *why = "getsockopt failed (" + e.errno_name.value_or("no errno") + ")";
        return std::nullopt;
      }
      if (e.raw.contains("value_name")) {
        const json& v = e.raw["value_name"];
        if (v.is_null() || v.is_string()) return v;
      }
      break;
    case ObservationKind::kTcpState:
      if (auto s = StringField(e.raw, "state"); s && *s != "unknown") return json(*s);
      *why = "the stack did not tell the state";
      return std::nullopt;
    case ObservationKind::kRead: {
      const std::optional<std::string> end = StringField(e.raw, "end");
      if (!end) break;
      std::string v = IntField(e.raw, "bytes").value_or(0) > 0 ? "data+" : "";
      if (*end == "error") {
        if (!e.errno_name) break;
        v += *e.errno_name;
      } else {
        v += *end;
      }
      return json(v);
    }
    case ObservationKind::kRevents: {
      if (failed || !e.raw.contains("revents") || !e.raw["revents"].is_array()) break;
      std::string v;
      for (const json& name : e.raw["revents"]) {
        if (!name.is_string()) return std::nullopt;
        v += (v.empty() ? "" : "+") + name.get<std::string>();
      }
      return json(v.empty() ? "none" : v);
    }
  }
  if (why->empty()) *why = "its event lacks the fields this observation reads";
  return std::nullopt;
}

void ReadList(const std::vector<CaseEvent>& events, const char* host, ObservedClaims& out) {
  for (const CaseEvent& e : events) {
    const std::optional<std::string> claim = StringField(e.raw, "claim");
    if (!claim || *claim == kCloseUnderTest) continue;
    const ObservationName* o = FindObservation(*claim);
    if (o == nullptr) {
      out.missing.push_back("unknown observation \"" + *claim + "\" on a " + host + " " + e.step);
      continue;
    }
    std::string why;
    if (BoolField(e.raw, "unsupported").value_or(false)) {
      why = e.step + " is not supported by this stack";
    } else if (!OpIsOneOf(e.step, o->op)) {
      why = "made by a " + e.step + ", not a " + std::string(o->op);
    } else if (std::optional<json> v = ValueOf(o->kind, e, &why)) {
      out.claims[*claim] = std::move(*v);
      continue;
    }
    out.missing.push_back(*claim + ": " + host + " " + e.step + ": " + why);
  }
}

}  // namespace

ObservedClaims ReadObservations(const CaseView& view) {
  ObservedClaims out;
  ReadList(view.server, "server", out);
  ReadList(view.client, "client", out);
  return out;
}

}  // namespace lingerlab::classify
