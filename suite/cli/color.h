// Colour for the verdict words `run` and `check` print on a terminal:
// pass green, deviation and error red, not-comparable yellow, no-expectation
// dim. `--color=auto` (the default) colours only a terminal whose TERM is
// not "dumb", and never when NO_COLOR is set to anything non-empty
// (no-color.org); `always` and `never` decide alone. The words themselves are
// fixed strings, so colouring them adds escapes nothing from a file chose.
#pragma once

#include <string>

namespace lingerlab {

enum class ColorMode { kAuto, kAlways, kNever };

// "auto", "always", "never"; false for anything else.
bool ParseColorMode(const std::string& text, ColorMode& mode);

// Whether output on `fd` gets colour. `no_color` and `term`: the values of
// NO_COLOR and TERM (nullptr: unset).
bool ColorWanted(ColorMode mode, bool is_terminal, const char* no_color, const char* term);

// `text` (a verdict word, possibly padded) in its verdict's colour; other
// words unchanged.
std::string PaintVerdict(const std::string& verdict, const std::string& text);

}  // namespace lingerlab
