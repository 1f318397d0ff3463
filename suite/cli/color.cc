#include "suite/cli/color.h"

#include <cstring>

namespace lingerlab {

bool ParseColorMode(const std::string& text, ColorMode& mode) {
  if (text == "auto")
    mode = ColorMode::kAuto;
  else if (text == "always")
    mode = ColorMode::kAlways;
  else if (text == "never")
    mode = ColorMode::kNever;
  else
    return false;
  return true;
}

bool ColorWanted(ColorMode mode, bool is_terminal, const char* no_color, const char* term) {
  if (mode != ColorMode::kAuto) return mode == ColorMode::kAlways;
  if (no_color && *no_color) return false;
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return is_terminal;
}

std::string PaintVerdict(const std::string& verdict, const std::string& text) {
  const char* code = nullptr;
  if (verdict == "pass")
    code = "32";
  else if (verdict == "deviation")
    code = "31";
  else if (verdict == "error")
    code = "1;31";
  else if (verdict == "not-comparable")
    code = "33";
  else if (verdict == "no-expectation")
    code = "2";
  if (!code) return text;
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

}  // namespace lingerlab
