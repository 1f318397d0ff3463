#include "suite/matrix/json_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "agents/base/bounded_json.h"

namespace lingerlab {

Result<nlohmann::json> LoadJsonFile(const std::string& path,
                                    const nlohmann::json::parser_callback_t& callback) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(ErrorCode::kNotFound, path + ": cannot open: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput, path + ": is a directory, not a JSON file");
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput, path + ": not a regular file");
  }
  if (static_cast<size_t>(st.st_size) > kMaxJsonFileBytes) {
    return MakeError(ErrorCode::kInvalidInput,
                     path + ": larger than " + std::to_string(kMaxJsonFileBytes >> 20) + " MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return MakeError(ErrorCode::kInvalidInput, path + ": read error");
  auto doc = ParseBoundedJson(text.str(), kMaxJsonDepth, callback);
  if (!doc.ok()) {
    // "[json.exception.parse_error.101] parse error at line 3, column 7: ..."
    // becomes "invalid JSON at line 3, column 7: ...".
    const std::string& why = doc.error().message;
    const size_t at = why.find("parse error at ");
    std::string message = path + ": invalid JSON";
    if (at == std::string::npos) {
      message += ": ";
      message += why;
    } else {
      message += ' ';
      message.append(why, at + 12);
    }
    return MakeError(ErrorCode::kInvalidInput, std::move(message));
  }
  return doc;
}

std::string Shorten(const std::string& s) { return s.size() > 40 ? s.substr(0, 40) + "..." : s; }

Error FieldError(const std::string& origin, const std::string& where, const std::string& what) {
  return MakeError(ErrorCode::kInvalidInput, origin + ": " + where + ": " + what);
}

}  // namespace lingerlab
