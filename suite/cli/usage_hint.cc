#include "suite/cli/usage_hint.h"

#include <algorithm>

#include "agents/base/suggest.h"

namespace lingerlab {
namespace {

// Every spelling of every option of `app` ("--time-scale", "-j").
void AddOptionNames(const CLI::App& app, std::vector<std::string>& names) {
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) names.push_back("-" + s);
  }
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::optional<std::string> UsageHint(const CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    commands.push_back(sub->get_name());
  const CLI::App* chosen = nullptr;
  std::vector<std::string> options;
  AddOptionNames(app, options);
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string name = arg.substr(0, arg.find('='));
      if (Contains(options, name)) continue;
      // Short flags bundled or with a value glued on ("-vv", "-j4") are
      // CLI11's to judge; only long options get a suggestion.
      if (name.rfind("--", 0) != 0) continue;
      if (auto near = ClosestMatch(name, options))
        return "did you mean '" + *near + "'" +
               (chosen ? " (an option of '" + chosen->get_name() + "')" : "") + "?";
      return std::nullopt;
    }
    if (chosen) continue;  // a positional argument or an option's value
    if (Contains(commands, arg)) {
      chosen = app.get_subcommand(arg);
      AddOptionNames(*chosen, options);
      continue;
    }
    if (auto near = ClosestMatch(arg, commands)) return "did you mean '" + *near + "'?";
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace lingerlab
