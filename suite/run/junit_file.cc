#include "suite/run/junit_file.h"

#include "suite/coordinator/results_writer.h"
#include "suite/report/junit_report.h"

namespace lingerlab {

Status WriteJunit(const std::string& path, const nlohmann::json& results, const Matrix& matrix) {
  return WriteTextAtomically(path, RenderJunitXml(results, "lingerlab." + matrix.name));
}

}  // namespace lingerlab
