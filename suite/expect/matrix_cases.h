// The 34 cases of the SO_LINGER matrix: fixed ids and names (the names encode
// the parameters, as in the article's test names).
//
// Expected tables may only name these ids, and reports list them in this
// order. Lookups of an unknown id return nullptr; nothing here fails.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lingerlab {

struct MatrixCase {
  const char* id;    // "01" .. "34"
  const char* name;  // "idle-client__no-linger"
};

const std::vector<MatrixCase>& MatrixCases();

// nullptr when `id` is not one of the matrix's ids.
const MatrixCase* FindMatrixCase(std::string_view id);

}  // namespace lingerlab
