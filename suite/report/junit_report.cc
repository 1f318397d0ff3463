#include "suite/report/junit_report.h"

#include <cstdio>
#include <sstream>
#include <vector>

#include "suite/classify/json_fields.h"
#include "suite/expect/results_doc.h"
#include "suite/report/verdict_text.h"

namespace lingerlab {
namespace {

using json = nlohmann::json;

using classify::FieldOrNull;

// Seconds as the schemas' time type wants them: digits, a point, three
// digits (never an exponent, never negative).
std::string Seconds(const json& v) {
  double s = v.is_number() ? v.get<double>() : 0.0;
  if (!(s >= 0) || s > 1e9) s = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

// "2026-11-21T13:25:39.949Z" -> "2026-11-21T13:25:39": the Ant schema's
// timestamp is an ISO 8601 date and time without a zone (UTC here).
std::string Timestamp(const json& v) {
  const std::string t = JsonText(v);
  if (t.size() >= 19 && t[10] == 'T') return t.substr(0, 19);
  return "1970-01-01T00:00:00";
}

std::string Attr(const char* name, const std::string& value) {
  return std::string(" ") + name + "=\"" + XmlEscape(value) + "\"";
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\t':
        out += "&#9;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        if (ch < 0x20 || ch == 0x7f)
          out += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 has no way to carry it
        else
          out += static_cast<char>(ch);
    }
  }
  return out;
}

std::string RenderJunitXml(const json& doc, const std::string& prefix) {
  const json& env = FieldOrNull(doc, "environment");
  const json& cases = FieldOrNull(doc, "cases");
  const std::string label = RunLabel(doc);
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::ostringstream body;
  if (cases.is_array()) {
    for (const json& c : cases) {
      ++tests;
      std::string id = JsonText(FieldOrNull(c, "id"));
      body << "    <testcase" << Attr("classname", prefix + "." + (id.empty() ? "unknown" : id))
           << Attr("name", CaseTitle(c, label))
           << Attr("time", Seconds(FieldOrNull(c, "duration_s")));
      switch (CiOutcomeOf(c)) {
        case CiOutcome::kFail:
          ++failures;
          body << ">\n      <failure" << Attr("type", "deviation")
               << Attr("message", "deviates from the expected table: " + DeviatingClaims(c)) << ">"
               << XmlEscape(FailureText(c)) << "</failure>\n    </testcase>\n";
          break;
        case CiOutcome::kError:
          ++errors;
          body << ">\n      <error" << Attr("type", "case-error") << Attr("message", ErrorReason(c))
               << "/>\n    </testcase>\n";
          break;
        case CiOutcome::kSkip:
          ++skipped;
          body << ">\n      <skipped" << Attr("message", SkipReason(c)) << "/>\n    </testcase>\n";
          break;
        case CiOutcome::kPass:
          body << "/>\n";
          break;
      }
    }
  }
  std::ostringstream out;
  const std::string time = Seconds(FieldOrNull(env, "wall_s"));
  const std::string hostname =
      JsonText(FieldOrNull(FieldOrNull(env, "agent_platform"), "hostname"));
  const std::string counts = Attr("tests", std::to_string(tests)) +
                             Attr("failures", std::to_string(failures)) +
                             Attr("errors", std::to_string(errors));
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites" << Attr("name", "lingerlab") << counts << Attr("time", time) << ">\n"
      << "  <testsuite" << Attr("name", prefix + "[" + label + "]") << counts
      << Attr("skipped", std::to_string(skipped)) << Attr("time", time)
      << Attr("timestamp", Timestamp(FieldOrNull(env, "started_at")))
      << Attr("hostname", hostname.empty() ? "unknown" : hostname) << Attr("id", "0")
      << Attr("package", "lingerlab") << ">\n"
      << "    <properties>\n";
  const json& platform = FieldOrNull(env, "agent_platform");
  const std::vector<std::pair<std::string, std::string>> props = {
      {"label", label},
      {"target", JsonText(FieldOrNull(env, "target"))},
      {"stack", JsonText(FieldOrNull(env, "stack"))},
      {"os", JsonText(FieldOrNull(platform, "os"))},
      {"release", JsonText(FieldOrNull(platform, "release"))},
      {"family", RunFamily(doc)},
      {"time_scale", JsonText(FieldOrNull(env, "time_scale"))},
      {"matrix", JsonText(FieldOrNull(env, "matrix"))},
      {"lingerlab_commit", JsonText(FieldOrNull(FieldOrNull(env, "lingerlab"), "commit"))},
  };
  for (const auto& [name, value] : props)
    out << "      <property" << Attr("name", name) << Attr("value", value) << "/>\n";
  out << "    </properties>\n"
      << body.str() << "    <system-out/>\n    <system-err/>\n  </testsuite>\n</testsuites>\n";
  return out.str();
}

}  // namespace lingerlab
