// --tap FILE of `run` and `check`: an analysed results document as TAP 13 in
// the kselftest convention (suite/report/tap_report.h, doc/tap.md), written
// atomically under the output-path rule of results_writer.h, or to stdout
// when FILE is "-" (then nothing else may print there: the CLI sends its
// summary to stderr).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// Nothing when `path` is empty. The run is named "lingerlab.<matrix name>".
Status WriteTap(const std::string& path, const nlohmann::json& results, const Matrix& matrix);

}  // namespace lingerlab
