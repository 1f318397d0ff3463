// The claims a scenario's observed steps make (observation_names.h): each
// step whose event carries "claim" reports its outcome under that name, read
// from the event by the observation's kind. A step the stack could not
// perform ("unsupported") or whose event lacks what its kind reads claims
// nothing, and says why in `missing`. Never fails.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/classify/case_view.h"

namespace lingerlab::classify {

struct ObservedClaims {
  nlohmann::json claims = nlohmann::json::object();  // name -> value
  std::vector<std::string> missing;                  // why a named claim has no value
};

// Reads every event of both agents that carries a "claim" other than the
// close under test ("close": classifier.cc finds that one).
ObservedClaims ReadObservations(const CaseView& view);

}  // namespace lingerlab::classify
