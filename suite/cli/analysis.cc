#include "suite/cli/analysis.h"

#include "suite/classify/classifier.h"
#include "suite/expect/compare.h"

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
  c["outcome"] = ClassifyCase(c);
  std::string family = forced_family_;
  std::string host_os;
  if (c.contains("agents") && c["agents"].is_object() && c["agents"].contains("server") &&
      c["agents"]["server"].is_object() && c["agents"]["server"].contains("platform") &&
      c["agents"]["server"]["platform"].is_object()) {
    const json& p = c["agents"]["server"]["platform"];
    if (family.empty()) family = p.value("family", "");
    host_os = p.value("os", "");
  }
  auto it = tables_.find(family);
  if (it == tables_.end()) {
    c["verdict"] = {{"status", "no-expectation"},
                    {"family", family},
                    {"reason", "no expected table for family '" + family + "'"}};
    return;
  }
  const json& applied = c["parameters"]["applied"];
  double linger =
      applied.value("linger_s", json(0)).is_number() ? applied["linger_s"].get<double>() : 0;
  CompareOptions opt;
  opt.time_scale = time_scale;
  opt.host_os = host_os;
  c["verdict"] =
      CompareCase(it->second, c["id"].get<std::string>(), c["outcome"]["claims"], linger, opt);
}

}  // namespace lingerlab
