#include "agents/base/suggest.h"

#include <algorithm>

namespace lingerlab {

size_t EditDistance(const std::string& a, const std::string& b) {
  // Optimal string alignment distance over three rows.
  const size_t n = a.size(), m = b.size();
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[m];
}

std::optional<std::string> ClosestMatch(const std::string& typed,
                                        const std::vector<std::string>& candidates) {
  if (typed.empty()) return std::nullopt;
  std::optional<std::string> best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    if (c == typed) return c;
    const size_t longer = std::max(typed.size(), c.size());
    const size_t limit = std::clamp<size_t>(longer / 3, 1, 3);
    size_t d = EditDistance(typed, c);
    // A prefix of a candidate is a likely unfinished word, however short
    // the rest: rank it as one edit away.
    if (c.size() > typed.size() && c.compare(0, typed.size(), typed) == 0 && typed.size() >= 3)
      d = std::min<size_t>(d, 1);
    if (d <= limit && d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace lingerlab
