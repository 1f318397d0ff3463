// The name -> factory table of targets. A new target is one more row here and
// one more implementation of target.h; one whose case is two namespaces and
// a veth is a PairStack (pair_lab.h), whose factory may be declared here.
#include <functional>
#include <map>

#include "suite/targets/gvisor_target.h"
#include "suite/targets/lwip_target.h"
#include "suite/targets/netns_target.h"
#include "suite/targets/qemu_target.h"
#include "suite/targets/remote_target.h"
#include "suite/targets/target.h"

namespace lingerlab {
namespace {

using Factory = std::function<std::unique_ptr<Target>(const TargetConfig&)>;

const std::map<std::string, Factory>& Registry() {
  static const std::map<std::string, Factory> table = {
      {"gvisor", MakeGvisorTarget},
      {"lwip", MakeLwipTarget},
      {"netns", MakeNetnsTarget},
      {"qemu", MakeQemuTarget},
      {"remote", MakeRemoteTarget},
  };
  return table;
}

}  // namespace

const char* RoleName(Role r) { return r == Role::kServer ? "server" : "client"; }

const char* CaptureSiteName(CaptureSite site) {
  return site == CaptureSite::kLocal ? "local" : "server-agent";
}

std::vector<std::string> TargetNames() {
  std::vector<std::string> names;
  for (auto& [name, f] : Registry()) names.push_back(name);
  return names;
}

Result<std::unique_ptr<Target>> MakeTarget(const std::string& name, const TargetConfig& config) {
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    std::string known;
    for (auto& n : TargetNames()) known += (known.empty() ? "" : ", ") + n;
    return MakeError(ErrorCode::kInvalidInput,
                     "unknown target '" + name + "' (known: " + known + ")");
  }
  return it->second(config);
}

}  // namespace lingerlab
