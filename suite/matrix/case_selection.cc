// SelectCases (matrix.h): the --cases language of `run` and `diff`.
#include <fnmatch.h>

#include "agents/base/suggest.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {
namespace {

// "03, 04 *lsock*" -> {"03", "04", "*lsock*"}.
std::vector<std::string> SplitItems(const std::string& text) {
  std::vector<std::string> items;
  std::string cur;
  for (char ch : text) {
    if (ch == ',' || ch == ' ' || ch == '\t' || ch == '\n') {
      if (!cur.empty()) items.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) items.push_back(std::move(cur));
  return items;
}

bool IsGlob(const std::string& item) { return item.find_first_of("*?[") != std::string::npos; }

// Index of the case whose id or name is `word`, or -1.
ptrdiff_t IndexOf(const Matrix& m, const std::string& word) {
  for (size_t i = 0; i < m.cases.size(); ++i)
    if (m.cases[i].id == word || m.cases[i].name == word) return static_cast<ptrdiff_t>(i);
  return -1;
}

// The indices an item selects; empty when none (the caller reports it).
std::vector<size_t> Resolve(const Matrix& m, const std::string& item) {
  std::vector<size_t> found;
  if (ptrdiff_t i = IndexOf(m, item); i >= 0) return {static_cast<size_t>(i)};
  if (IsGlob(item)) {
    for (size_t i = 0; i < m.cases.size(); ++i)
      if (fnmatch(item.c_str(), m.cases[i].id.c_str(), 0) == 0 ||
          fnmatch(item.c_str(), m.cases[i].name.c_str(), 0) == 0)
        found.push_back(i);
    return found;
  }
  // A range: two ids around one '-' (names hold '-' too, so only when both
  // ends are ids of this matrix).
  const size_t dash = item.find('-');
  if (dash != std::string::npos && item.find('-', dash + 1) == std::string::npos) {
    const std::string from = item.substr(0, dash), to = item.substr(dash + 1);
    const MatrixCase* first = m.Find(from);
    const MatrixCase* last = m.Find(to);
    if (first && last && first <= last)
      for (const MatrixCase* c = first; c <= last; ++c)
        found.push_back(static_cast<size_t>(c - m.cases.data()));
  }
  return found;
}

std::string NoCaseError(const Matrix& m, const std::string& item) {
  std::vector<std::string> words;
  for (const MatrixCase& c : m.cases) words.push_back(c.id);
  for (const MatrixCase& c : m.cases) words.push_back(c.name);
  std::string msg = "--cases: '" + item + "' names no case in " + m.path;
  if (auto near = ClosestMatch(item, words)) return msg + " (did you mean '" + *near + "'?)";
  std::string known;
  for (const MatrixCase& c : m.cases) known += (known.empty() ? "" : ",") + c.id;
  return msg + " (known ids: " + known + "; ranges like 03-10 and globs like '*lsock*' work too)";
}

}  // namespace

Result<std::vector<MatrixCase>> SelectCases(const Matrix& m, const std::string& ids) {
  const std::vector<std::string> items = SplitItems(ids);
  if (items.empty()) {
    if (ids.empty()) return m.cases;
    return MakeError(ErrorCode::kInvalidInput, "--cases selected no case");
  }
  std::vector<bool> taken(m.cases.size(), false);
  std::vector<MatrixCase> out;
  for (const std::string& item : items) {
    const std::vector<size_t> found = Resolve(m, item);
    if (found.empty()) return MakeError(ErrorCode::kInvalidInput, NoCaseError(m, item));
    for (size_t i : found)
      if (!taken[i]) {
        taken[i] = true;
        out.push_back(m.cases[i]);
      }
  }
  return out;
}

}  // namespace lingerlab
