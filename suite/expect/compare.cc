#include "suite/expect/compare.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace lingerlab {
namespace {

using nlohmann::json;

bool SameOs(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsUnscaled(double time_scale) { return std::fabs(time_scale - 1.0) < 1e-9; }

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return std::string(buf) + " s";
}

// Values compare exactly, except that 0 and 0.0 (or -1 and -1.0) are equal:
// JSON does not distinguish integer from float spellings.
bool SameValue(const json& expected, const json& observed) {
  if (expected.is_number() && observed.is_number()) {
    return expected.get<double>() == observed.get<double>();
  }
  return expected == observed;
}

struct Check {
  json expected;
  json observed;  // null when absent
  std::string result;
  std::string note;
};

// Compares a time claim against `target` seconds: at most `floor_s` early,
// at most max(floor_s, fraction * target) late (compare.h says why).
Check CompareSeconds(const json& observed, double target, double floor_s, double fraction,
                     const std::string& basis_note) {
  Check c{target, observed, "", ""};
  const double late = std::max(floor_s, fraction * target);
  if (!observed.is_number()) {
    c.result = "deviation";
    c.note = basis_note + "; observed value is not a number";
    return c;
  }
  const double diff = observed.get<double>() - target;
  c.result = diff >= -floor_s && diff <= late ? "pass" : "deviation";
  c.note = basis_note + ", tolerance -" + Seconds(floor_s) + " / +" + Seconds(late);
  return c;
}

Check CompareOne(const Expectation& e, const json& observed_claims, double applied_linger_s,
                 const CompareOptions& options) {
  Check c{e.value, nullptr, "", ""};
  if (!e.only.empty()) {
    const bool applies = std::any_of(e.only.begin(), e.only.end(), [&](const std::string& os) {
      return SameOs(os, options.host_os);
    });
    if (!applies) {
      std::string list;
      for (const std::string& os : e.only) list += (list.empty() ? "" : ", ") + os;
      c.result = "skipped";
      c.note = "stated only for " + list + "; host OS is " +
               (options.host_os.empty() ? "unknown" : options.host_os);
      return c;
    }
  }
  const bool present = observed_claims.is_object() && observed_claims.contains(e.claim);
  if (present) c.observed = observed_claims.at(e.claim);

  const bool kernel_bound = e.time_basis == "kernel" || e.depends_on_kernel_time;
  if (kernel_bound && !IsUnscaled(options.time_scale)) {
    char scale[32];
    std::snprintf(scale, sizeof scale, "%g", options.time_scale);
    c.result = "not-comparable";
    c.note =
        "rests on a kernel constant that does not scale; run used time scale " + std::string(scale);
    return c;
  }
  if (!present && !options.stack_fault_reason.empty()) {
    c.result = "not-comparable";
    c.note = "not observed: " + options.stack_fault_reason;
    return c;
  }
  if (!present && !options.no_capture_reason.empty()) {
    c.result = "not-comparable";
    c.note =
        "not observed: the case ran without a packet capture (" + options.no_capture_reason + ")";
    return c;
  }
  if (!present) {
    c.result = "not-observed";
    c.note = "the classifier did not report this claim";
    return c;
  }

  if (e.time_basis == "linger") {
    if (!(applied_linger_s > 0) || !std::isfinite(applied_linger_s)) {
      c.result = "not-comparable";
      c.note = "linger-based time but the run reported no applied linger";
      return c;
    }
    c = CompareSeconds(c.observed, applied_linger_s, kLingerToleranceMinS, kLingerToleranceFraction,
                       "the applied linger time (article: " + Seconds(e.value.get<double>()) + ")");
  } else if (e.time_basis == "kernel") {
    c = CompareSeconds(c.observed, e.value.get<double>(), kKernelTimeToleranceMinS,
                       kLingerToleranceFraction, "kernel constant");
  } else {
    c.result = SameValue(e.value, c.observed) ? "pass" : "deviation";
  }
  return c;
}

}  // namespace

json CompareCase(const ExpectedTable& table, const std::string& case_id,
                 const json& observed_claims, double applied_linger_s,
                 const CompareOptions& options) {
  json checks = json::array();
  bool any_deviation = false, any_pass = false, any_unknown = false;
  if (const auto* expectations = table.Find(case_id)) {
    for (const Expectation& e : *expectations) {
      Check c = CompareOne(e, observed_claims, applied_linger_s, options);
      if (e.inferred) {
        c.note += std::string(c.note.empty() ? "" : "; ") + "expectation inferred from the article";
      }
      json check = {{"claim", e.claim},
                    {"expected", c.expected},
                    {"observed", c.observed},
                    {"result", c.result},
                    {"source", e.source}};
      if (!c.note.empty()) check["note"] = c.note;
      checks.push_back(std::move(check));
      any_deviation |= c.result == "deviation";
      any_pass |= c.result == "pass";
      any_unknown |= c.result == "not-comparable" || c.result == "not-observed";
    }
  }
  const char* status = any_deviation ? "deviation"
                       : any_pass    ? "pass"
                       : any_unknown ? "not-comparable"
                                     : "no-expectation";
  json verdict = {{"status", status}, {"family", table.family}, {"checks", std::move(checks)}};
  if (!options.stack_fault_reason.empty()) verdict["reason"] = options.stack_fault_reason;
  return verdict;
}

}  // namespace lingerlab
