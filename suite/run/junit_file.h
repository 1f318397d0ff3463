// --junit FILE of `run` and `check`: an analysed results document as JUnit
// XML (doc/junit.xsd), written atomically under the output-path rule of
// results_writer.h.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// The test suite is named "lingerlab.<matrix name>".
Status WriteJunit(const std::string& path, const nlohmann::json& results, const Matrix& matrix);

}  // namespace lingerlab
