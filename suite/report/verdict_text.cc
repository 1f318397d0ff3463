#include "suite/report/verdict_text.h"

#include <iomanip>
#include <sstream>

#include "suite/classify/json_fields.h"
#include "suite/expect/results_doc.h"

namespace lingerlab {
namespace {

using json = nlohmann::json;

using classify::FieldOrNull;

std::string StatusOf(const json& c) {
  return JsonText(FieldOrNull(FieldOrNull(c, "verdict"), "status"));
}

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
  const json& env = FieldOrNull(doc, "environment");
  std::string target = JsonText(FieldOrNull(env, "target"));
  if (target.empty()) target = "unknown";
  std::string stack = JsonText(FieldOrNull(env, "stack"));
  // A remote run's stack is whatever the server host runs: its family says
  // which ("remote/linux", "remote/windows-native").
  if (stack == "remote" || (stack.empty() && target == "remote")) {
    const json* platform = RunPlatform(doc);
    stack = platform ? JsonText(FieldOrNull(*platform, "family")) : "";
  }
  std::string label = target;
  if (!stack.empty() && stack != target) label += "/" + stack;
  if (FieldOrNull(env, "ip") == json(6)) label += " ipv6";
  // The close variant is per case (parameters.variant, absent for the
  // default blocking close); a run has one, so the first case's says it.
  const json& cases = FieldOrNull(doc, "cases");
  if (cases.is_array() && !cases.empty()) {
    const json& variant = FieldOrNull(FieldOrNull(cases[0], "parameters"), "variant");
    if (variant.is_string()) label += " " + variant.get<std::string>();
  }
  return label;
}

std::string CaseTitle(const json& c, const std::string& run_label) {
  const std::string id = JsonText(FieldOrNull(c, "id")), name = JsonText(FieldOrNull(c, "name"));
  std::string title = id + (id.empty() || name.empty() ? "" : " ") + name;
  // A --repeat run: each repetition its own test ("03 name__r2 [netns]").
  if (const json& k = FieldOrNull(c, "repetition"); k.is_number_integer())
    title += "__r" + k.dump();
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
  const json& checks = FieldOrNull(FieldOrNull(c, "verdict"), "checks");
  if (checks.is_array()) {
    for (const json& k : checks) {
      if (FieldOrNull(k, "result") != "deviation") continue;
      const std::string claim = JsonText(FieldOrNull(k, "claim"));
      out << claim << ": expected " << ClaimText(FieldOrNull(k, "expected")) << ", observed "
          << ClaimText(FieldOrNull(k, "observed"))
          << " (source: " << JsonText(FieldOrNull(k, "source")) << ")\n";
      // The classifier keeps evidence for some claims under outcome.<claim>.
      const json& evidence =
          FieldOrNull(FieldOrNull(FieldOrNull(c, "outcome"), claim.c_str()), "evidence");
      if (evidence.is_array())
        for (const json& e : evidence)
          out << "  evidence: " << JsonText(FieldOrNull(e, "what")) << "\n";
    }
  }
  const json& pcap = FieldOrNull(FieldOrNull(c, "capture"), "pcap");
  if (pcap.is_string()) out << "pcap: " << pcap.get<std::string>() << "\n";
  return out.str();
}

std::string DeviatingClaims(const json& c) {
  std::string names;
  const json& checks = FieldOrNull(FieldOrNull(c, "verdict"), "checks");
  if (checks.is_array())
    for (const json& k : checks)
      if (FieldOrNull(k, "result") == "deviation")
        names += (names.empty() ? "" : ", ") + JsonText(FieldOrNull(k, "claim"));
  return names;
}

std::string ErrorReason(const json& c) {
  std::string reason = JsonText(FieldOrNull(FieldOrNull(c, "verdict"), "reason"));
  if (reason.empty()) reason = JsonText(FieldOrNull(c, "error"));
  return reason.empty() ? "the case has no verdict" : reason;
}

// The verdict's reason, else the notes of its not-comparable checks.
std::string SkipReason(const json& c) {
  const std::string status = StatusOf(c);
  const json& v = FieldOrNull(c, "verdict");
  if (FieldOrNull(v, "reason").is_string())
    return status + ": " + JsonText(FieldOrNull(v, "reason"));
  std::string notes;
  const json& checks = FieldOrNull(v, "checks");
  if (checks.is_array())
    for (const json& k : checks)
      if (FieldOrNull(k, "result") == "not-comparable") {
        std::string n = JsonText(FieldOrNull(k, "claim"));
        if (FieldOrNull(k, "note").is_string()) n += ": " + JsonText(FieldOrNull(k, "note"));
        notes += (notes.empty() ? "" : "; ") + n;
      }
  if (!notes.empty()) return status + ": " + notes;
  if (status == "no-expectation")
    return status + ": the expected table of family '" + JsonText(FieldOrNull(v, "family")) +
           "' states nothing for this case";
  return status;
}

}  // namespace lingerlab
