// libFuzzer harness: the coordinator's AgentClient reading an untrusted
// agent's byte stream (handshake reply checked by CheckHelloShape, then
// replies and events checked by CheckEventShape, then the server agent's
// capture: capture_start, capture_stop and the capture_read chunks that the
// case capture streams into a pcap file and parses). The input is everything the "agent" sends,
// written into a socketpair and then shut down, so every Receive ends soon (data or end of stream)
// and nothing waits for a reply timeout.
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"
#include "suite/coordinator/agent_client.h"
#include "suite/coordinator/case_capture.h"

namespace {

// A lab whose only part here is that its server agent captures.
class AgentCaptureLab : public lingerlab::CaseLab {
 public:
  AgentCaptureLab() { host_.address = "127.0.0.1"; }
  const lingerlab::HostInfo& host(lingerlab::Role) const override { return host_; }
  lingerlab::Result<lingerlab::AgentProcess> StartAgent(lingerlab::Role) override {
    return lingerlab::MakeError(lingerlab::ErrorCode::kUnsupported, "not used");
  }
  void KillAgents() override {}
  lingerlab::CaptureSite capture_site() const override {
    return lingerlab::CaptureSite::kServerAgent;
  }
  lingerlab::Status Teardown(int64_t) override { return lingerlab::Status::Ok(); }

 private:
  lingerlab::HostInfo host_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::signal(SIGPIPE, SIG_IGN);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lingerlab;
  int fds[2];
  if (!MakeStreamPair(fds).ok()) std::abort();
  std::thread agent(
      [fd = fds[1], input = std::string_view(reinterpret_cast<const char*>(data), size)] {
        (void)WriteAll(fd, input);  // fails once the client has gone: fine
        ::shutdown(fd, SHUT_WR);
        char buf[4096];  // swallow the requests until the client closes
        while (::read(fd, buf, sizeof buf) > 0) {
        }
        ::close(fd);
      });
  {
    AgentClient client(Channel(UniqueFd(fds[0])), "fuzz");
    // Two time requests (the clock estimate reads the checked stamps), then a
    // step whose event carries the optional fields.
    if (client.Handshake(Role::kServer).ok() && client.EstimateClockOffset(2).ok() &&
        client.Request("read", {{"handle", "c"}, {"verify", true}}, kNsPerSec).ok()) {
      // The capture, fetched into a per-process file within a deadline.
      static const std::string pcap = "/tmp/ll-agent-client-fuzz-" + std::to_string(::getpid());
      AgentCaptureLab lab;
      CaseCaptureRequest req{"tcp", pcap, 0, MonotonicNs() + 2 * kNsPerSec};
      auto cap = OpenCaseCapture(lab, &client, req);
      if (cap.ok() && (*cap)->Start().ok()) (void)(*cap)->Stop();
      ::unlink(pcap.c_str());
    }
    client.Bye();
  }  // closes the client's end
  agent.join();
  return 0;
}
