// The shipped matrix (matrix/so_linger.json), loaded once for tests: expected
// tables are validated against it and reports take their rows from it.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "suite/matrix/matrix.h"

namespace lingerlab {

inline const Matrix& SoLingerMatrix() {
  static const Matrix matrix = [] {
    auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
    EXPECT_TRUE(m.ok()) << m.error().message;
    return m.ok() ? m.value() : Matrix{};
  }();
  return matrix;
}

inline const SummaryTableCases& SoLingerSummaryTables() {
  static const SummaryTableCases kNone;
  return SoLingerMatrix().summary_tables ? *SoLingerMatrix().summary_tables : kNone;
}

}  // namespace lingerlab
