#include "suite/report/verdict_text.h"

#include <iomanip>
#include <sstream>

#include "suite/classify/json_fields.h"
#include "suite/expect/results_doc.h"

namespace lingerlab {
namespace {

using json = nlohmann::json;

const json& Field(const json& obj, std::string_view key) { return classify::FieldOrNull(obj, key); }

std::string StatusOf(const json& c) { return JsonText(Field(Field(c, "verdict"), "status")); }

// A claim's value: JSON, but a fraction (the only one is close_blocked_s,
// seconds) to milliseconds, "0.001" rather than 0.0005488029999999866.
std::string ClaimText(const json& v) {
  if (!v.is_number_float()) return v.dump();
  std::ostringstream out;
  out << std::fixed << std::setprecision(3) << v.get<double>();
  return out.str();
}

}  // namespace

std::string JsonText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::string RunLabel(const json& doc) {
  const json& env = Field(doc, "environment");
  std::string target = JsonText(Field(env, "target"));
  if (target.empty()) target = "unknown";
  std::string stack = JsonText(Field(env, "stack"));
  // A remote run's stack is whatever the server host runs: its family says
  // which ("remote/linux", "remote/windows-native").
  if (stack == "remote" || (stack.empty() && target == "remote")) {
    const json* platform = RunPlatform(doc);
    stack = platform ? JsonText(Field(*platform, "family")) : "";
  }
  std::string label = target;
  if (!stack.empty() && stack != target) label += "/" + stack;
  if (Field(env, "ip") == json(6)) label += " ipv6";
  // The close variant is per case (parameters.variant, absent for the
  // default blocking close); a run has one, so the first case's says it.
  const json& cases = Field(doc, "cases");
  if (cases.is_array() && !cases.empty()) {
    const json& variant = Field(Field(cases[0], "parameters"), "variant");
    if (variant.is_string()) label += " " + variant.get<std::string>();
  }
  return label;
}

std::string CaseTitle(const json& c, const std::string& run_label) {
  const std::string id = JsonText(Field(c, "id")), name = JsonText(Field(c, "name"));
  std::string title = id + (id.empty() || name.empty() ? "" : " ") + name;
  // A --repeat run: each repetition its own test ("03 name__r2 [netns]").
  if (const json& k = Field(c, "repetition"); k.is_number_integer()) title += "__r" + k.dump();
  return (title.empty() ? "(unnamed case)" : title) + " [" + run_label + "]";
}

CiOutcome CiOutcomeOf(const json& c) {
  const std::string status = StatusOf(c);
  if (status == "pass") return CiOutcome::kPass;
  if (status == "deviation") return CiOutcome::kFail;
  if (status == "not-comparable" || status == "no-expectation") return CiOutcome::kSkip;
  return CiOutcome::kError;
}

std::string FailureText(const json& c) {
  std::ostringstream out;
  const json& checks = Field(Field(c, "verdict"), "checks");
  if (checks.is_array()) {
    for (const json& k : checks) {
      if (Field(k, "result") != "deviation") continue;
      const std::string claim = JsonText(Field(k, "claim"));
      out << claim << ": expected " << ClaimText(Field(k, "expected")) << ", observed "
          << ClaimText(Field(k, "observed")) << " (source: " << JsonText(Field(k, "source"))
          << ")\n";
      // The classifier keeps evidence for some claims under outcome.<claim>.
      const json& evidence = Field(Field(Field(c, "outcome"), claim.c_str()), "evidence");
      if (evidence.is_array())
        for (const json& e : evidence) out << "  evidence: " << JsonText(Field(e, "what")) << "\n";
    }
  }
  const json& pcap = Field(Field(c, "capture"), "pcap");
  if (pcap.is_string()) out << "pcap: " << pcap.get<std::string>() << "\n";
  return out.str();
}

std::string DeviatingClaims(const json& c) {
  std::string names;
  const json& checks = Field(Field(c, "verdict"), "checks");
  if (checks.is_array())
    for (const json& k : checks)
      if (Field(k, "result") == "deviation")
        names += (names.empty() ? "" : ", ") + JsonText(Field(k, "claim"));
  return names;
}

std::string ErrorReason(const json& c) {
  std::string reason = JsonText(Field(Field(c, "verdict"), "reason"));
  if (reason.empty()) reason = JsonText(Field(c, "error"));
  return reason.empty() ? "the case has no verdict" : reason;
}

// The verdict's reason, else the notes of its not-comparable checks.
std::string SkipReason(const json& c) {
  const std::string status = StatusOf(c);
  const json& v = Field(c, "verdict");
  if (Field(v, "reason").is_string()) return status + ": " + JsonText(Field(v, "reason"));
  std::string notes;
  const json& checks = Field(v, "checks");
  if (checks.is_array())
    for (const json& k : checks)
      if (Field(k, "result") == "not-comparable") {
        std::string n = JsonText(Field(k, "claim"));
        if (Field(k, "note").is_string()) n += ": " + JsonText(Field(k, "note"));
        notes += (notes.empty() ? "" : "; ") + n;
      }
  if (!notes.empty()) return status + ": " + notes;
  if (status == "no-expectation")
    return status + ": the expected table of family '" + JsonText(Field(v, "family")) +
           "' states nothing for this case";
  return status;
}

}  // namespace lingerlab
