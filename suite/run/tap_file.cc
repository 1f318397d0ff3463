#include "suite/run/tap_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "suite/coordinator/results_writer.h"
#include "suite/report/tap_report.h"

namespace lingerlab {

Status WriteTap(const std::string& path, const nlohmann::json& results, const Matrix& matrix) {
  if (path.empty()) return Status::Ok();
  const std::string tap = RenderTap(results, "lingerlab." + matrix.name);
  if (path != "-") return WriteTextAtomically(path, tap);
  if (std::fwrite(tap.data(), 1, tap.size(), stdout) != tap.size() || std::fflush(stdout) != 0)
    return MakeError(ErrorCode::kFailed,
                     std::string("writing TAP to stdout: ") + std::strerror(errno));
  return Status::Ok();
}

}  // namespace lingerlab
