#include "suite/matrix/scenario.h"

#include <algorithm>
#include <tuple>

#include "suite/matrix/impairment_spec.h"
#include "suite/matrix/json_file.h"

namespace lingerlab {
namespace {

using nlohmann::json;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A step's argument values: scalars only (the agent's arguments are flat),
// and a string starting with '$' must name a known variable.
Status CheckArgs(const json& args, const std::string& origin, const std::string& where) {
  if (!args.is_object()) return FieldError(origin, where, "must be an object");
  for (auto& [k, v] : args.items()) {
    const std::string at = where + "." + Shorten(k);
    // Arrays only of plain strings (poll's "events"), never variables:
    // BindArgs replaces top-level values only.
    if (v.is_array()) {
      const bool plain = v.size() <= 16 && std::all_of(v.begin(), v.end(), [](const json& x) {
                           return x.is_string() && (x.get_ref<const std::string&>().empty() ||
                                                    x.get_ref<const std::string&>()[0] != '$');
                         });
      if (!plain)
        return FieldError(origin, at,
                          "must be a string, number or bool, or an array of at most 16 strings "
                          "(not variables)");
      continue;
    }
    if (v.is_object()) return FieldError(origin, at, "must be a string, number or bool");
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (!s.empty() && s[0] == '$' && !Contains(kScenarioVariables, s.substr(1)))
        return FieldError(origin, at, "unknown variable \"" + Shorten(s) + "\"");
    }
  }
  return Status::Ok();
}

// A step the coordinator performs on the lab ("host": "lab"): its op, its
// arguments (impair: ParseImpairment's; clear_impairments: none), and none
// of the fields that describe an agent's call.
Status CheckLabStep(const json& j, const std::string& op, const std::string& origin,
                    const std::string& where) {
  if (!Contains(kScenarioLabOps, op))
    return FieldError(origin, where + ".op",
                      "\"" + Shorten(op) + "\" is not a lab operation (impair, clear_impairments)");
  for (const char* key : {"must_succeed", "on_limit", "timeout"})
    if (j.contains(key))
      return FieldError(origin, where + "." + key,
                        "is not for lab steps (a lab step that fails ends the case)");
  const json args = j.contains("args") ? j["args"] : json::object();
  if (op == "impair") {
    auto imp = ParseImpairment(args, origin, where + ".args");
    if (!imp.ok()) return imp.error();
  } else if (!args.is_object() || !args.empty()) {
    return FieldError(origin, where + ".args", "clear_impairments takes no arguments");
  }
  return Status::Ok();
}

Result<ScenarioStep> ParseStep(const json& j, const std::string& host_of_list,
                               const std::string& origin, const std::string& where) {
  if (!j.is_object()) return FieldError(origin, where, "must be an object");
  static const std::vector<std::string> kFields = {"host",         "op",       "args",    "when",
                                                   "must_succeed", "on_limit", "timeout", "note"};
  for (auto& [k, v] : j.items())
    if (!Contains(kFields, k)) return FieldError(origin, where + "." + Shorten(k), "unknown field");
  ScenarioStep s;
  if (j.contains("host") && j["host"] == "lab") {
    s.host = "lab";  // in any list: performed by the coordinator in that list's order
  } else if (host_of_list.empty()) {
    if (!j.contains("host") || !j["host"].is_string())
      return FieldError(origin, where + ".host",
                        "is required in setup: \"server\", \"client\" or \"lab\"");
    s.host = j["host"].get<std::string>();
    if (s.host != "server" && s.host != "client")
      return FieldError(origin, where + ".host", "must be \"server\", \"client\" or \"lab\"");
  } else {
    if (j.contains("host") && j["host"] != host_of_list)
      return FieldError(origin, where + ".host",
                        "must be \"" + host_of_list + "\" (or \"lab\") in this list");
    s.host = host_of_list;
  }
  if (!j.contains("op") || !j["op"].is_string())
    return FieldError(origin, where + ".op", "is required (a string)");
  s.op = j["op"].get<std::string>();
  if (s.host == "lab") {
    if (Status st = CheckLabStep(j, s.op, origin, where); !st.ok()) return st.error();
    if (j.contains("args")) s.args = j["args"];
  } else {
    if (!Contains(kScenarioOps, s.op))
      return FieldError(
          origin, where + ".op",
          "\"" + Shorten(s.op) + "\" is not an agent operation" +
              (Contains(kScenarioLabOps, s.op) ? " (a lab step: \"host\": \"lab\")" : ""));
    if (j.contains("args")) {
      if (Status st = CheckArgs(j["args"], origin, where + ".args"); !st.ok()) return st.error();
      s.args = j["args"];
    }
  }
  if (j.contains("when")) {
    const json& w = j["when"];
    if (!w.is_object()) return FieldError(origin, where + ".when", "must be an object");
    for (auto& [k, v] : w.items()) {
      const std::string at = where + ".when." + Shorten(k);
      if (!Contains(kScenarioConditions, k))
        return FieldError(origin, at, "unknown case attribute");
      std::vector<std::string> values;
      if (v.is_string()) {
        values.push_back(v.get<std::string>());
      } else if (v.is_array() && !v.empty() && v.size() <= 16) {
        for (const json& x : v) {
          if (!x.is_string())
            return FieldError(origin, at, "must be a string or an array of strings");
          values.push_back(x.get<std::string>());
        }
      } else {
        return FieldError(origin, at,
                          "must be a string or a non-empty array of at most 16 strings");
      }
      s.when[k] = std::move(values);
    }
  }
  if (j.contains("must_succeed")) {
    if (!j["must_succeed"].is_boolean())
      return FieldError(origin, where + ".must_succeed", "must be a bool");
    s.must_succeed = j["must_succeed"].get<bool>();
  }
  if (j.contains("on_limit")) {
    if (!j["on_limit"].is_string() || j["on_limit"].get<std::string>().empty() ||
        j["on_limit"].get<std::string>().size() > 256)
      return FieldError(origin, where + ".on_limit", "must be a message of 1..256 characters");
    s.on_limit = j["on_limit"].get<std::string>();
  }
  if (j.contains("timeout")) {
    if (j["timeout"] != "quick") return FieldError(origin, where + ".timeout", "must be \"quick\"");
    s.timeout = "quick";
  }
  if (j.contains("note") && !j["note"].is_string())
    return FieldError(origin, where + ".note", "must be a string");
  return s;
}

}  // namespace

const std::vector<std::string> kScenarioVariables = {"server_address",
                                                     "port",
                                                     "family",
                                                     "linger_s",
                                                     "payload_bytes",
                                                     "request_bytes",
                                                     "server_sndbuf",
                                                     "client_rcvbuf",
                                                     "read_chunk",
                                                     "server_pause_ms",
                                                     "read_interval_ms",
                                                     "idle_ms",
                                                     "eof_wait_limit_ms",
                                                     "queue_wait_limit_ms",
                                                     "case_left_ms"};

const std::vector<std::string> kScenarioConditions = {"client", "linger.socket", "shutdown",
                                                      "variant"};

const std::vector<std::string> kScenarioOps = {
    "socket",        "setsockopt", "bind",      "listen",       "connect",   "accept",
    "write",         "read",       "shutdown",  "queues",       "wait_outq", "nonblock",
    "close",         "pause",      "tcp_state", "socket_table", "dup",       "fork_close",
    "hand_to_child", "end_child",  "poll",      "getsockopt"};

const std::vector<std::string> kScenarioLabOps = {"impair", "clear_impairments"};

// Parses the steps of one list; `host` is the list's host, or "" for setup
// (each step names its own).
Result<std::vector<ScenarioStep>> ParseStepList(const json& j, const std::string& host,
                                                const std::string& origin, const std::string& at) {
  if (!j.is_array()) return FieldError(origin, at, "must be an array of steps");
  if (j.size() > 256) return FieldError(origin, at, "has more than 256 steps");
  std::vector<ScenarioStep> out;
  for (size_t i = 0; i < j.size(); ++i) {
    auto step = ParseStep(j[i], host, origin, at + "[" + std::to_string(i) + "]");
    if (!step.ok()) return step.error();
    out.push_back(std::move(step).value());
  }
  return out;
}

Result<std::vector<ScenarioStep>> ParseSetupSteps(const json& j, const std::string& origin,
                                                  const std::string& where) {
  return ParseStepList(j, "", origin, where);
}

Result<Scenario> ParseScenario(const json& j, const std::string& name, const std::string& origin,
                               const std::string& where, const SharedSetups& shared) {
  if (!j.is_object()) return FieldError(origin, where, "must be an object");
  for (auto& [k, v] : j.items())
    if (k != "description" && k != "setup" && k != "server" && k != "client")
      return FieldError(origin, where + "." + Shorten(k), "unknown field");
  Scenario sc;
  sc.name = name;
  if (j.contains("description")) {
    if (!j["description"].is_string())
      return FieldError(origin, where + ".description", "must be a string");
    sc.description = j["description"].get<std::string>();
  }
  if (j.contains("setup") && j["setup"].is_string()) {
    auto it = shared.find(j["setup"].get<std::string>());
    if (it == shared.end())
      return FieldError(origin, where + ".setup",
                        "\"" + Shorten(j["setup"].get<std::string>()) + "\" is not in \"setups\"");
    sc.setup = it->second;
  } else {
    auto steps =
        ParseStepList(j.contains("setup") ? j["setup"] : json(), "", origin, where + ".setup");
    if (!steps.ok()) return steps.error();
    sc.setup = std::move(steps).value();
  }
  for (auto [key, out, host] :
       {std::tuple{"server", &sc.server, "server"}, std::tuple{"client", &sc.client, "client"}}) {
    auto steps = ParseStepList(j.contains(key) ? j[key] : json(), host, origin, where + "." + key);
    if (!steps.ok()) return steps.error();
    *out = std::move(steps).value();
  }
  if (sc.setup.empty() && sc.server.empty() && sc.client.empty())
    return FieldError(origin, where, "has no steps");
  return sc;
}

bool StepApplies(const ScenarioStep& step, const std::map<std::string, std::string>& attrs) {
  for (const auto& [key, values] : step.when) {
    auto it = attrs.find(key);
    const std::string have = it == attrs.end() ? "none" : it->second;
    if (!Contains(values, have)) return false;
  }
  return true;
}

Result<json> BindArgs(const ScenarioStep& step,
                      const std::function<std::optional<json>(const std::string&)>& lookup) {
  json out = step.args;
  for (auto& [k, v] : out.items()) {
    if (!v.is_string()) continue;
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty() || s[0] != '$') continue;
    std::optional<json> value = lookup(s.substr(1));
    if (!value)
      return MakeError(ErrorCode::kInvalidInput,
                       "step " + step.op + ": no value for variable " + Shorten(s));
    v = std::move(*value);
  }
  return out;
}

}  // namespace lingerlab
