#include "suite/run/analyzer.h"

#include "suite/classify/classifier.h"
#include "suite/classify/json_fields.h"
#include "suite/classify/thresholds.h"
#include "suite/expect/compare.h"
#include "suite/expect/results_doc.h"
#include "suite/run/defaults.h"

namespace lingerlab {

using nlohmann::json;

Analyzer::Analyzer(std::vector<ExpectedTable> tables, std::string forced_family)
    : forced_family_(std::move(forced_family)) {
  for (auto& t : tables) tables_.emplace(t.family, std::move(t));
}

void Analyzer::Analyze(json& c, double time_scale) const {
  if (!c.is_object()) return;
  try {
    AnalyzeUnchecked(c, time_scale);
  } catch (const std::exception& e) {
    // A results file edited by hand, or from a buggy agent: say which case.
    c.erase("outcome");
    c["verdict"] = {{"status", "error"},
                    {"reason", std::string("cannot analyse this case: ") + e.what()}};
  }
}

void Analyzer::AnalyzeUnchecked(json& c, double time_scale) const {
  if (c.value("status", "") != "completed") {
    c["verdict"] = {{"status", "error"}, {"reason", c.value("error", json("did not complete"))}};
    return;
  }
  // The run's time scale, not one derived from the case's parameters: one
  // value for classification and comparison.
  c["outcome"] = ClassifyCase(c, ClassifyThresholds::FromCase(c, time_scale));
  const std::string family = forced_family_.empty() ? CaseFamily(c) : forced_family_;
  // The scenario asked for what this target cannot do (a lab step it does
  // not support, case_runner.cc): nothing it measured answers the case.
  if (const json& nc = classify::FieldOrNull(c, "not_comparable"); nc.is_string()) {
    c["verdict"] = {
        {"status", "not-comparable"}, {"family", family}, {"reason", nc.get<std::string>()}};
    return;
  }
  auto it = tables_.find(family);
  if (it == tables_.end()) {
    c["verdict"] = {{"status", "no-expectation"},
                    {"family", family},
                    {"reason", "no expected table for family '" + family + "'"}};
    return;
  }
  // The published tables describe a blocking close(); no source in the
  // repository states what a variant does, so nothing is compared.
  if (const json& variant =
          classify::FieldOrNull(classify::FieldOrNull(c, "parameters"), "variant");
      variant.is_string() && variant != kVariantBlockingClose) {
    c["verdict"] = {{"status", "no-expectation"},
                    {"family", family},
                    {"reason",
                     "the expected tables describe a blocking close(); no published "
                     "source for the variant '" +
                         variant.get<std::string>() + "'"}};
    return;
  }
  // Read without operator[]: on a const object a missing key is undefined
  // behaviour (a fuzzed results file without linger_s read freed memory).
  const double linger = CaseAppliedLinger(c);
  const CompareOptions opt = CaseCompareOptions(c, time_scale);
  c["verdict"] =
      CompareCase(it->second, c["id"].get<std::string>(), c["outcome"]["claims"], linger, opt);
}

Result<Analyzer> MakeAnalyzer(const std::string& expected_dir, const std::string& family,
                              const Matrix& matrix) {
  auto tables = LoadExpectedDir(ExpectedDirFor(expected_dir, matrix), matrix);
  if (!tables.ok()) return tables.error();
  if (!family.empty()) {
    bool known = false;
    std::string names;
    for (auto& t : *tables) {
      known |= t.family == family;
      names += (names.empty() ? "" : ", ") + t.family;
    }
    if (!known)
      return MakeError(ErrorCode::kInvalidInput,
                       "no expected table for family '" + family + "' (known: " + names + ")");
  }
  return Analyzer(std::move(*tables), family);
}

}  // namespace lingerlab
