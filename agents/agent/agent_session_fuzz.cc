// libFuzzer harness: an agent session (ServeSession) fed arbitrary bytes as
// its control stream, over a socketpair, exactly as the coordinator's frames
// would arrive. The StepExecutor gets a fake SocketApi and the null
// CaptureApi: nothing touches the network, every call returns at once.
//
// Bounded: the stream is written and then shut down, so the session always
// reaches end of stream; inputs asking the agent to sleep (pause ms, read
// idle_ms/interval_ms/limit_ms) or to write more than 1 MiB are skipped,
// since sleeping as asked is the agent's job, not a bug.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "agents/agent/agent_session.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/frame.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// Deterministic fake: handles count up; handles divisible by 5 fail with
// ECONNRESET on I/O so error paths run too; each socket reads 3 chunks then EOF.
class FakeSocketApi : public SocketApi {
 public:
  SysResult Socket(Family) override { return {next_++, 0}; }
  SysResult SetInt(SocketHandle, IntOption, int) override { return {0, 0}; }
  SysResult GetInt(SocketHandle, IntOption) override { return {8192, 0}; }
  SysResult SetLinger(SocketHandle, bool, int) override { return {0, 0}; }
  SysResult GetLinger(SocketHandle) override { return {-2, 0}; }
  SysResult Bind(SocketHandle, const std::string&, int) override { return {0, 0}; }
  SysResult Listen(SocketHandle, int) override { return {0, 0}; }
  std::string LocalAddress(SocketHandle) override { return "198.18.0.1:5001"; }
  SysResult Accept(SocketHandle, int, std::string* peer) override {
    *peer = "198.18.0.2:40000";
    return {next_++, 0};
  }
  SysResult Connect(SocketHandle s, const std::string&, int) override { return Io(s, 0); }
  SysResult Send(SocketHandle s, const char*, size_t len) override {
    return Io(s, static_cast<int64_t>(len > 4096 ? 4096 : len));
  }
  SysResult Recv(SocketHandle s, char* buf, size_t cap) override {
    if (reads_++ % 4 == 3) return {0, 0};
    size_t n = cap > 100 ? 100 : cap;
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>('a' + i % 26);
    return Io(s, static_cast<int64_t>(n));
  }
  SysResult WaitReadable(SocketHandle s, int) override { return Io(s, 1); }
  SysResult Shutdown(SocketHandle s, ShutdownHow) override { return Io(s, 0); }
  SysResult Close(SocketHandle) override { return {0, 0}; }
  SocketQueues Queues(SocketHandle) override { return {int64_t{0}, std::nullopt}; }

 private:
  static SysResult Io(SocketHandle s, int64_t ok) {
    return s % 5 == 0 ? SysResult{-1, ECONNRESET} : SysResult{ok, 0};
  }
  SocketHandle next_ = 3;
  uint64_t reads_ = 0;
};

// True when a request in the stream would make the agent sleep or build a
// large payload (see the header comment).
bool AsksForTimeOrMemory(std::string_view bytes) {
  FrameDecoder d;
  d.Feed(bytes);
  while (auto m = d.Next()) {
    auto a = m->find("args");  // no copies: values may nest deeply
    if (a == m->end() || !a->is_object()) continue;
    for (const char* k : {"ms", "idle_ms", "interval_ms", "limit_ms"}) {
      auto it = a->find(k);
      if (it != a->end() && it->is_number() && it->get<double>() > 5) return true;
    }
    auto b = a->find("bytes");
    if (b != a->end() && b->is_number() && b->get<double>() > (1 << 20)) return true;
  }
  return false;
}

}  // namespace
}  // namespace lingerlab

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::signal(SIGPIPE, SIG_IGN);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lingerlab;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (AsksForTimeOrMemory(input)) return -1;  // not added to the corpus
  int fds[2];
  if (!MakeStreamPair(fds).ok()) std::abort();
  std::thread session([agent_fd = fds[1]] {
    Channel ch{UniqueFd(agent_fd)};
    StepExecutor exec(std::make_unique<FakeSocketApi>(), MakeNullCaptureApi());
    (void)ServeSession(ch, exec, AgentIdentity{"0.0.0", "fuzz", json{{"os", "Fuzz"}}});
  });
  std::thread writer([fd = fds[0], input] {
    (void)WriteAll(fd, input);  // fails once the session has closed: fine
    ::shutdown(fd, SHUT_WR);
  });
  char buf[65536];
  for (;;) {  // drain replies until the session closes its end
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    break;
  }
  writer.join();
  session.join();
  ::close(fds[0]);
  return 0;
}
