#include "suite/cli/log_format.h"

#include <string_view>

#include <spdlog/pattern_formatter.h>

#include "agents/base/text_rules.h"

namespace lingerlab {
namespace {

// "%*": the message with control characters escaped, in place of "%v".
class SafePayload : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string shown =
        TerminalSafe(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(shown.data(), shown.data() + shown.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SafePayload>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> MakeLogFormatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<SafePayload>('*').set_pattern("%H:%M:%S.%e %^%l%$ %*");
  return f;
}

}  // namespace lingerlab
