#include "suite/report/junit_report.h"

#include <cstdio>
#include <sstream>
#include <vector>

#include "suite/classify/json_fields.h"
#include "suite/expect/results_doc.h"

namespace lingerlab {
namespace {

using json = nlohmann::json;

const json& Field(const json& obj, std::string_view key) { return classify::FieldOrNull(obj, key); }

std::string Str(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// Seconds as the schemas' time type wants them: digits, a point, digits
// (never an exponent, never negative).
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
  const std::string t = Str(v);
  if (t.size() >= 19 && t[10] == 'T') return t.substr(0, 19);
  return "1970-01-01T00:00:00";
}

std::string Attr(const char* name, const std::string& value) {
  return std::string(" ") + name + "=\"" + XmlEscape(value) + "\"";
}

// The deviating checks and the evidence behind them, one per line.
std::string FailureText(const json& c) {
  std::ostringstream out;
  const json& checks = Field(Field(c, "verdict"), "checks");
  if (checks.is_array()) {
    for (const json& k : checks) {
      if (Field(k, "result") != "deviation") continue;
      const std::string claim = Str(Field(k, "claim"));
      out << claim << ": expected " << Field(k, "expected").dump() << ", observed "
          << Field(k, "observed").dump() << " (source: " << Str(Field(k, "source")) << ")\n";
      // The classifier keeps evidence for some claims under outcome.<claim>.
      const json& evidence = Field(Field(Field(c, "outcome"), claim.c_str()), "evidence");
      if (evidence.is_array())
        for (const json& e : evidence) out << "  evidence: " << Str(Field(e, "what")) << "\n";
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
        names += (names.empty() ? "" : ", ") + Str(Field(k, "claim"));
  return names;
}

// Why a case was not compared: the verdict's reason, else the notes of its
// not-comparable checks.
std::string SkipReason(const json& c, const std::string& status) {
  const json& v = Field(c, "verdict");
  if (Field(v, "reason").is_string()) return Str(Field(v, "reason"));
  std::string notes;
  const json& checks = Field(v, "checks");
  if (checks.is_array())
    for (const json& k : checks)
      if (Field(k, "result") == "not-comparable") {
        std::string n = Str(Field(k, "claim"));
        if (Field(k, "note").is_string()) n += ": " + Str(Field(k, "note"));
        notes += (notes.empty() ? "" : "; ") + n;
      }
  if (!notes.empty()) return notes;
  if (status == "no-expectation")
    return "the expected table of family '" + Str(Field(v, "family")) +
           "' states nothing for this case";
  return status;
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

std::string RenderJunitXml(const json& doc, const std::string& suite_name) {
  const json& env = Field(doc, "environment");
  const json& cases = Field(doc, "cases");
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::ostringstream body;
  if (cases.is_array()) {
    for (const json& c : cases) {
      ++tests;
      const std::string status = Str(Field(Field(c, "verdict"), "status"));
      std::string family = Str(Field(Field(c, "verdict"), "family"));
      if (family.empty()) family = CaseFamily(c);
      if (family.empty()) family = "unknown";
      body << "    <testcase" << Attr("classname", family)
           << Attr("name", Str(Field(c, "id")) + "__" + Str(Field(c, "name")) +
                               (Field(c, "repetition").is_number_integer()
                                    ? "__r" + Field(c, "repetition").dump()  // a --repeat run
                                    : ""))
           << Attr("time", Seconds(Field(c, "duration_s")));
      if (status == "deviation") {
        ++failures;
        body << ">\n      <failure" << Attr("type", "deviation")
             << Attr("message", "deviates from the expected table: " + DeviatingClaims(c)) << ">"
             << XmlEscape(FailureText(c)) << "</failure>\n    </testcase>\n";
      } else if (status == "error" || status.empty()) {
        ++errors;
        std::string reason = Str(Field(Field(c, "verdict"), "reason"));
        if (reason.empty()) reason = Str(Field(c, "error"));
        if (reason.empty()) reason = "the case has no verdict";
        body << ">\n      <error" << Attr("type", "case-error") << Attr("message", reason)
             << "/>\n    </testcase>\n";
      } else if (status == "not-comparable" || status == "no-expectation") {
        ++skipped;
        body << ">\n      <skipped" << Attr("message", status + ": " + SkipReason(c, status))
             << "/>\n    </testcase>\n";
      } else {
        body << "/>\n";
      }
    }
  }
  std::ostringstream out;
  const std::string time = Seconds(Field(env, "wall_s"));
  const std::string hostname = Str(Field(Field(env, "agent_platform"), "hostname"));
  const std::string counts = Attr("tests", std::to_string(tests)) +
                             Attr("failures", std::to_string(failures)) +
                             Attr("errors", std::to_string(errors));
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites" << Attr("name", "lingerlab") << counts << Attr("time", time) << ">\n"
      << "  <testsuite" << Attr("name", suite_name) << counts
      << Attr("skipped", std::to_string(skipped)) << Attr("time", time)
      << Attr("timestamp", Timestamp(Field(env, "started_at")))
      << Attr("hostname", hostname.empty() ? "unknown" : hostname) << Attr("id", "0")
      << Attr("package", "lingerlab") << ">\n"
      << "    <properties>\n";
  const json& platform = Field(env, "agent_platform");
  const std::vector<std::pair<std::string, std::string>> props = {
      {"target", Str(Field(env, "target"))},
      {"stack", Str(Field(env, "stack"))},
      {"os", Str(Field(platform, "os"))},
      {"release", Str(Field(platform, "release"))},
      {"family", RunFamily(doc)},
      {"time_scale", Str(Field(env, "time_scale"))},
      {"matrix", Str(Field(env, "matrix"))},
      {"lingerlab_commit", Str(Field(Field(env, "lingerlab"), "commit"))},
  };
  for (const auto& [name, value] : props)
    out << "      <property" << Attr("name", name) << Attr("value", value) << "/>\n";
  out << "    </properties>\n"
      << body.str() << "    <system-out/>\n    <system-err/>\n  </testsuite>\n</testsuites>\n";
  return out.str();
}

}  // namespace lingerlab
