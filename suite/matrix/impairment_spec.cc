#include "suite/matrix/impairment_spec.h"

#include <array>
#include <optional>
#include <utility>

#include "suite/matrix/json_file.h"

namespace lingerlab {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<ImpairDirection, const char*>, 2> kDirections = {
    {{ImpairDirection::kToServer, "to_server"}, {ImpairDirection::kToClient, "to_client"}}};
constexpr std::array<std::pair<ImpairMatch, const char*>, 7> kMatches = {
    {{ImpairMatch::kSyn, "syn"},
     {ImpairMatch::kSynAck, "syn-ack"},
     {ImpairMatch::kAck, "ack"},
     {ImpairMatch::kData, "data"},
     {ImpairMatch::kFin, "fin"},
     {ImpairMatch::kRst, "rst"},
     {ImpairMatch::kAny, "any"}}};
constexpr std::array<std::pair<ImpairAction, const char*>, 2> kActions = {
    {{ImpairAction::kDrop, "drop"}, {ImpairAction::kDelay, "delay"}}};

template <typename E, size_t N>
const char* NameOf(const std::array<std::pair<E, const char*>, N>& table, E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";
}

// The enum value named by args[key] (required), else an error listing the names.
template <typename E, size_t N>
Result<E> EnumArg(const json& args, const char* key,
                  const std::array<std::pair<E, const char*>, N>& table, const std::string& origin,
                  const std::string& where) {
  std::string names;
  for (const auto& [v, name] : table) names += std::string(names.empty() ? "" : ", ") + name;
  const std::string at = where + "." + key;
  auto it = args.find(key);
  if (it == args.end() || !it->is_string())
    return FieldError(origin, at, "is required: one of " + names);
  for (const auto& [v, name] : table)
    if (*it == name) return v;
  return FieldError(origin, at,
                    "\"" + Shorten(it->get<std::string>()) + "\" is not one of " + names);
}

// args[key] as milliseconds lo..kMaxImpairmentMs, or nothing if absent.
Result<std::optional<int64_t>> MsArg(const json& args, const char* key, int64_t lo,
                                     const std::string& origin, const std::string& where) {
  auto it = args.find(key);
  if (it == args.end()) return std::optional<int64_t>();
  const std::string range = "must be an integer " + std::to_string(lo) + ".." +
                            std::to_string(kMaxImpairmentMs) + " (ms)";
  if (!it->is_number_integer()) return FieldError(origin, where + "." + key, range);
  // Read as a 64-bit value whatever its JSON type: 2^64-1 is out of range.
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(kMaxImpairmentMs))
    return FieldError(origin, where + "." + key, range);
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > kMaxImpairmentMs) return FieldError(origin, where + "." + key, range);
  return std::optional<int64_t>(v);
}

}  // namespace

const char* ImpairDirectionName(ImpairDirection d) { return NameOf(kDirections, d); }
const char* ImpairMatchName(ImpairMatch m) { return NameOf(kMatches, m); }
const char* ImpairActionName(ImpairAction a) { return NameOf(kActions, a); }

Result<Impairment> ParseImpairment(const json& args, const std::string& origin,
                                   const std::string& where) {
  if (!args.is_object()) return FieldError(origin, where, "must be an object");
  for (auto& [k, v] : args.items())
    if (k != "direction" && k != "match" && k != "action" && k != "delay_ms" && k != "for_ms")
      return FieldError(origin, where + "." + Shorten(k),
                        "unknown argument (impair takes direction, match, action, delay_ms, "
                        "for_ms)");
  Impairment imp;
  auto direction = EnumArg(args, "direction", kDirections, origin, where);
  if (!direction.ok()) return direction.error();
  imp.direction = *direction;
  auto match = EnumArg(args, "match", kMatches, origin, where);
  if (!match.ok()) return match.error();
  imp.match = *match;
  auto action = EnumArg(args, "action", kActions, origin, where);
  if (!action.ok()) return action.error();
  imp.action = *action;
  auto delay = MsArg(args, "delay_ms", 1, origin, where);
  if (!delay.ok()) return delay.error();
  if (imp.action == ImpairAction::kDelay) {
    if (!*delay) return FieldError(origin, where + ".delay_ms", "is required for \"delay\"");
    imp.delay_ms = **delay;
  } else if (*delay) {
    return FieldError(origin, where + ".delay_ms", "only \"delay\" takes a delay");
  }
  auto for_ms = MsArg(args, "for_ms", 0, origin, where);
  if (!for_ms.ok()) return for_ms.error();
  imp.for_ms = for_ms->value_or(0);
  return imp;
}

json ImpairmentJson(const Impairment& imp) {
  json j = {{"direction", ImpairDirectionName(imp.direction)},
            {"match", ImpairMatchName(imp.match)},
            {"action", ImpairActionName(imp.action)},
            {"for_ms", imp.for_ms}};
  if (imp.action == ImpairAction::kDelay) j["delay_ms"] = imp.delay_ms;
  return j;
}

}  // namespace lingerlab
