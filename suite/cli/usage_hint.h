// "Did you mean": after CLI11 refuses a command line, the likely intended
// subcommand or option for the first word it could not place, as one line
// for stderr ("lingerlab: did you mean 'run'?"). Pure over the parser's
// definitions and argv; printing is the caller's.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace lingerlab {

// `args`: argv without the program name. nullopt when every word is known or
// no known word is close to the unknown one.
std::optional<std::string> UsageHint(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace lingerlab
