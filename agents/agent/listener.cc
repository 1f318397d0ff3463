#include "agents/agent/listener.h"

#include <charconv>
#include <memory>
#include <mutex>
#include <thread>

#include "agents/platform/stream_io.h"

namespace lingerlab {
namespace {

// How long a refused connection is drained before it is closed: closing
// with its hello still unread would send RST, which can destroy our error
// frame before the peer reads it.
constexpr int64_t kBusyDrainNs = kNsPerSec;
constexpr size_t kBusyDrainBytes = 64 * 1024;
constexpr int64_t kStopPollNs = 100 * kNsPerMs;

void Log(const ListenerOptions& options, const std::string& line) {
  if (options.log) options.log(line);
}

// Tells a second coordinator the agent is taken, then closes (§2).
void RefuseBusy(UniqueFd conn) {
  Channel ch(std::move(conn));
  (void)ch.Send({{"type", "error"},
                 {"error",
                  {{"code", "busy"},
                   {"message", "this agent is serving another coordinator; try again later"}}}});
  const int64_t deadline = MonotonicNs() + kBusyDrainNs;
  char buf[4096];
  size_t drained = 0;
  while (drained < kBusyDrainBytes) {
    const int64_t left = deadline - MonotonicNs();
    if (left <= 0) break;
    auto n = ReadSome(ch.fd(), buf, sizeof(buf), left);
    if (!n.ok() || *n == 0) break;
    drained += *n;
  }
}

// The one active session: started on its own thread so the acceptor can
// keep refusing others while it runs.
class SessionSlot {
 public:
  ~SessionSlot() { Join(); }
  bool active() const { return active_.load(); }

  void Start(UniqueFd conn, const AgentIdentity& identity, const ListenerOptions& options) {
    Join();  // the previous session has ended; reap its thread
    active_ = true;
    thread_ = std::thread([this, fd = conn.release(), &identity, &options] {
      Channel ch{UniqueFd(fd)};
      StepExecutor exec(MakeNativeSocketApi());
      const SessionEnd end = ServeSession(ch, exec, identity, options.limits);
      ch.Close();
      Log(options, std::string("session ended: ") + SessionEndName(end));
      active_ = false;
    });
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> active_{false};
  std::thread thread_;
};

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return MakeError(ErrorCode::kInvalidInput,
                     "--listen wants ADDRESS:PORT, got '" + std::string(text) + "'");
  ListenAddress out;
  std::string_view addr = text.substr(0, colon);
  if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']')
    addr = addr.substr(1, addr.size() - 2);
  out.address = std::string(addr);
  // from_chars over the whole text: "abc", "80x", "-1" and "99999" are
  // refused rather than read as 0 (a random port) or cut to 16 bits.
  const std::string_view port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || out.port < 0 ||
      out.port > 65535)
    return MakeError(ErrorCode::kInvalidInput,
                     "--listen port must be a number 0..65535, got '" + std::string(port) + "'");
  return out;
}

Status ServeListener(int listen_fd, const AgentIdentity& identity, const ListenerOptions& options) {
  SessionSlot slot;
  for (;;) {
    if (options.stop && options.stop->load()) break;
    auto conn = AcceptControl(listen_fd, options.stop ? kStopPollNs : -1);
    if (!conn.ok()) {
      if (conn.error().code == ErrorCode::kTimeout) continue;
      return conn.status();
    }
    if (slot.active()) {
      Log(options, "refused a connection: busy with another coordinator");
      RefuseBusy(std::move(*conn));
      continue;
    }
    Log(options, "session started");
    slot.Start(std::move(*conn), identity, options);
  }
  slot.Join();
  return Status::Ok();
}

}  // namespace lingerlab
