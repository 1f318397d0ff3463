// Scenario: what the server and client agents do in a case, as data. A
// matrix file names its scenarios ("scenarios" in doc/matrix-format.md §3)
// and each case runs one of them; the coordinator (suite/coordinator/
// case_runner.cc) only performs the steps in order, so a new family of cases
// is a new matrix file, and a new socket call is one new agent operation
// (doc/protocol.md §3.2) -- never a new branch in C++.
//
// A scenario has three lists of steps:
//   setup   steps of either host, one after the other (socket, bind, listen,
//           connect, accept: the connection exists when it ends);
//   server, client   then both lists at once, each host's in order.
// A step is one agent operation with arguments, or a lab step ("host":
// "lab", in any list): the coordinator impairs the test link or clears
// its impairments, in that list's order. An argument that is a string
// starting with '$' is a variable (kScenarioVariables) filled in when the
// step runs. A step may apply only to some cases ("when"), may end the case
// in error when its call fails ("must_succeed"), or when its wait ran into
// its limit ("on_limit": the message).
//
// Parsing checks every field's type, every op against the agent's operation
// list, every variable and condition key against the known ones; a bad
// scenario is kInvalidInput naming the file and the step, never an exception.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"

namespace lingerlab {

struct ScenarioStep {
  std::string host;  // "server", "client", or "lab" (a lab step: kScenarioLabOps)
  std::string op;
  nlohmann::json args = nlohmann::json::object();
  // Case attribute -> the values for which the step applies (all must hold).
  std::map<std::string, std::vector<std::string>> when;
  bool must_succeed = false;
  std::string on_limit;  // non-empty: the case's error when the step ends at "limit"
  // "": the op's own reply timeout (case_runner.cc); "quick": a step that must
  // return at once, whatever its op (closing a listening socket).
  std::string timeout;
  // "": none; else the observation this step's outcome is reported as
  // (classify/observation_names.h; the coordinator copies it into the event).
  std::string claim;
  // "on_failure": "stop": when the call fails, the rest of this list is not
  // performed (an accept() that failed leaves no socket to read), and the
  // case goes on; the failure is the outcome.
  bool stop_on_failure = false;
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<ScenarioStep> setup, server, client;
};

// The variables a step's arguments may use (without the '$').
extern const std::vector<std::string> kScenarioVariables;
// The case attributes a "when" may test: client, linger.socket, shutdown, variant.
extern const std::vector<std::string> kScenarioConditions;
// The agent operations a scenario may use (the test-socket ops of
// doc/protocol.md §3.2; capture and clock ops belong to the coordinator).
extern const std::vector<std::string> kScenarioOps;

// The operations of lab steps ("host": "lab"), which the coordinator performs
// on the case's lab rather than an agent: "impair" (args: ParseImpairment,
// impairment_spec.h) and "clear_impairments".
extern const std::vector<std::string> kScenarioLabOps;

// Setup lists several scenarios share ("setups" in the matrix file), by name.
using SharedSetups = std::map<std::string, std::vector<ScenarioStep>>;

// Parses a list of setup steps (each names its host).
Result<std::vector<ScenarioStep>> ParseSetupSteps(const nlohmann::json& j,
                                                  const std::string& origin,
                                                  const std::string& where);

// Parses one scenario object; `where` is its place in the file ("scenarios.linger").
// Its "setup" is a list of steps or the name of one of `shared`.
Result<Scenario> ParseScenario(const nlohmann::json& j, const std::string& name,
                               const std::string& origin, const std::string& where,
                               const SharedSetups& shared = {});

// Whether `step` applies to a case whose attributes are `attrs` (attribute ->
// value; an attribute the case lacks matches only the value "none").
bool StepApplies(const ScenarioStep& step, const std::map<std::string, std::string>& attrs);

// The step's arguments with every "$name" replaced by lookup(name). A
// variable lookup() cannot fill is kInvalidInput (a bug in the caller: the
// names were checked at load).
Result<nlohmann::json> BindArgs(
    const ScenarioStep& step,
    const std::function<std::optional<nlohmann::json>(const std::string&)>& lookup);

}  // namespace lingerlab
