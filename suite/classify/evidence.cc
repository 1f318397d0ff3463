#include "suite/classify/evidence.h"

#include <algorithm>

namespace lingerlab::classify {

void EvidenceLog::Add(const std::string& conclusion, double t_case, std::string what,
                      std::optional<size_t> packet) {
  entries_.push_back(Entry{conclusion, t_case, std::move(what), packet});
}

std::optional<double> EvidenceLog::Relative(double t_case) const {
  if (!origin_) return std::nullopt;
  return t_case - *origin_;
}

nlohmann::json EvidenceLog::ToJson(const Entry& e) const {
  nlohmann::json j = {{"for", e.conclusion},
                      {"t", nullptr},
                      {"t_case", e.t_case},
                      {"what", e.what},
                      {"packet", nullptr}};
  if (auto rel = Relative(e.t_case)) j["t"] = *rel;
  if (e.packet) j["packet"] = *e.packet;
  return j;
}

nlohmann::json EvidenceLog::For(const std::string& conclusion) const {
  nlohmann::json out = nlohmann::json::array();
  for (const Entry& e : entries_) {
    if (e.conclusion == conclusion) out.push_back(ToJson(e));
  }
  return out;
}

nlohmann::json EvidenceLog::All() const {
  std::vector<std::string> order;
  for (const Entry& e : entries_) {
    if (std::find(order.begin(), order.end(), e.conclusion) == order.end()) {
      order.push_back(e.conclusion);
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& c : order) {
    for (const nlohmann::json& j : For(c)) out.push_back(j);
  }
  return out;
}

}  // namespace lingerlab::classify
