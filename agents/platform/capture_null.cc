// The null CaptureApi: no capture. Used by builds without libpcap (then it is
// also MakeNativeCaptureApi()) and by fakes that must not touch the network.
#include "agents/platform/capture_api.h"

namespace lingerlab {
namespace {

class NullCaptureApi final : public CaptureApi {
 public:
  Result<std::unique_ptr<Capture>> Start(const CaptureOptions&) override {
    return MakeError(ErrorCode::kUnsupported, "this agent was built without libpcap");
  }
};

}  // namespace

std::unique_ptr<CaptureApi> MakeNullCaptureApi() { return std::make_unique<NullCaptureApi>(); }

#if !LINGERLAB_HAVE_PCAP
std::unique_ptr<CaptureApi> MakeNativeCaptureApi() { return MakeNullCaptureApi(); }
#endif

}  // namespace lingerlab
