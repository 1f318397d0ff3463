#include "suite/report/tap_report.h"

#include <cstdio>
#include <sstream>

#include "agents/base/text_rules.h"
#include "suite/classify/json_fields.h"
#include "suite/expect/results_doc.h"
#include "suite/report/verdict_text.h"

namespace lingerlab {
namespace {

using json = nlohmann::json;

using classify::FieldOrNull;

// A description or directive reason: one line, no control characters, and
// '\' and '#' escaped (TAP 13: an unescaped '#' starts a directive).
std::string TapText(const std::string& text) {
  std::string out;
  for (char ch : TerminalSafe(text)) {
    if (ch == '\\' || ch == '#') out += '\\';
    out += ch;
  }
  return out;
}

// `# ` before every line of `text`; a diagnostic cannot end its line early.
void Diagnostics(std::ostringstream& out, const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out << "# " << TerminalSafe(text.substr(start, end - start)) << "\n";
    start = end + 1;
  }
}

// "Linux 4.4.0, family linux, time scale 0.05".
std::string RunDescription(const json& doc) {
  std::string text;
  if (const json* platform = RunPlatform(doc))
    text = JsonText(FieldOrNull(*platform, "os")) + " " +
           JsonText(FieldOrNull(*platform, "release")) + ", ";
  const std::string family = RunFamily(doc);
  text += "family " + (family.empty() ? std::string("unknown") : family);
  char scale[32];
  std::snprintf(scale, sizeof scale, "%g", RunTimeScale(doc));
  return text + ", time scale " + scale;
}

}  // namespace

std::string RenderTap(const json& doc, const std::string& prefix) {
  const std::string label = RunLabel(doc);
  const json& cases = FieldOrNull(doc, "cases");
  const size_t n = cases.is_array() ? cases.size() : 0;
  std::ostringstream out;
  out << "TAP version 13\n";
  Diagnostics(out, prefix + "[" + label + "]: " + RunDescription(doc));
  if (n == 0) {
    out << "1..0 # SKIP the results hold no cases\n";
    return out.str();
  }
  out << "1.." << n << "\n";
  int pass = 0, fail = 0, skip = 0, error = 0;
  for (size_t i = 0; i < n; ++i) {
    const json& c = cases[i];
    const std::string point = std::to_string(i + 1) + " - " + TapText(CaseTitle(c, label));
    switch (CiOutcomeOf(c)) {
      case CiOutcome::kPass:
        ++pass;
        out << "ok " << point << "\n";
        break;
      case CiOutcome::kSkip:
        ++skip;
        out << "ok " << point << " # SKIP " << TapText(SkipReason(c)) << "\n";
        break;
      case CiOutcome::kFail:
        ++fail;
        out << "not ok " << point << "\n";
        Diagnostics(out, "deviates from the expected table: " + DeviatingClaims(c));
        Diagnostics(out, FailureText(c));
        break;
      case CiOutcome::kError:
        ++error;
        out << "not ok " << point << "\n";
        Diagnostics(out, "error: " + ErrorReason(c));
        break;
    }
    const json& warnings = FieldOrNull(c, "warnings");
    if (warnings.is_array())
      for (const json& w : warnings) Diagnostics(out, "warning: " + JsonText(w));
  }
  if (FieldOrNull(FieldOrNull(doc, "environment"), "interrupted") == json(true))
    Diagnostics(out, "the run was interrupted: cases it did not finish are errors");
  out << "# Totals: pass:" << pass << " fail:" << fail << " xfail:0 xpass:0 skip:" << skip
      << " error:" << error << "\n";
  return out.str();
}

}  // namespace lingerlab
