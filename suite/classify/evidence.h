// The evidence behind the outcome's conclusions: for each conclusion, which
// packets and events it rests on and when they happened.
//
// Every entry is {"for": conclusion, "t": seconds relative to the start of
// the server's close() of csock (null when the case has no such close),
// "t_case": seconds on the case axis, "what": a sentence, "packet": the
// index into the case's "packets" array (null for an event)}. Never fails.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lingerlab::classify {

class EvidenceLog {
 public:
  // `origin`: the case-axis time of close() start; unset when there is none.
  explicit EvidenceLog(std::optional<double> origin) : origin_(origin) {}

  void Add(const std::string& conclusion, double t_case, std::string what,
           std::optional<size_t> packet = std::nullopt);

  // Seconds since close() started, when there is a close().
  std::optional<double> Relative(double t_case) const;

  // The entries for one conclusion, in the order added.
  nlohmann::json For(const std::string& conclusion) const;
  // All entries, grouped by conclusion in the order they were first added.
  nlohmann::json All() const;

 private:
  struct Entry {
    std::string conclusion;
    double t_case;
    std::string what;
    std::optional<size_t> packet;
  };
  nlohmann::json ToJson(const Entry& e) const;

  std::optional<double> origin_;
  std::vector<Entry> entries_;
};

}  // namespace lingerlab::classify
