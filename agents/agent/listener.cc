#include "agents/agent/listener.h"

#include <list>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "agents/platform/endpoint.h"
#include "agents/platform/ip_literal.h"
#include "agents/platform/stream_io.h"

namespace lingerlab {
namespace {

// How long a refused connection is drained before it is closed: closing
// with its frames still unread would send RST, which can destroy our error
// frame before the peer reads it.
constexpr int64_t kRefusalDrainNs = kNsPerSec;
constexpr size_t kRefusalDrainBytes = 64 * 1024;
constexpr int64_t kStopPollNs = 100 * kNsPerMs;
// Backoff after a failed accept (EMFILE, ENOBUFS, ...).
constexpr int64_t kAcceptRetryNs = 100 * kNsPerMs;

// Half-closes, then reads and discards what the peer still sends for a
// bounded time, so the error frame just sent is read before the close.
void CloseGently(Channel& ch) {
  if (ch.fd() < 0) return;
  ShutdownStream(ch.fd(), /*both=*/false);
  const int64_t deadline = MonotonicNs() + kRefusalDrainNs;
  char buf[4096];
  size_t drained = 0;
  while (drained < kRefusalDrainBytes) {
    const int64_t left = deadline - MonotonicNs();
    if (left <= 0) break;
    auto n = ReadSome(ch.fd(), buf, sizeof(buf), left);
    if (!n.ok() || *n == 0) break;
    drained += *n;
  }
  ch.Close();
}

void SendBusy(Channel& ch, const std::string& message) {
  (void)ch.Send({{"type", "error"}, {"error", {{"code", "busy"}, {"message", message}}}});
}

// Says nothing about the holder: the peer has not authenticated (the lease
// is in the agent's log instead).
std::string BusyMessage() { return "this agent is serving another coordinator; try again later"; }

class Server {
 public:
  Server(const AgentIdentity& identity, const ListenerOptions& options)
      : identity_(identity), options_(options) {}
  ~Server() { StopAll(); }

  Status Run(int listen_fd) {
    for (;;) {
      if (options_.stop && options_.stop->load()) break;
      auto conn = AcceptControl(listen_fd, options_.stop ? kStopPollNs : -1);
      Reap();
      if (!conn.ok()) {
        if (conn.error().code == ErrorCode::kTimeout) continue;
        // Out of descriptors or memory (sessions hold up to kMaxSockets
        // each) is a moment, not the end: the connection waits in the
        // backlog while sessions end. Only a listening socket that is gone
        // ends the listener.
        if (!IsOpenDescriptor(listen_fd)) return conn.status();
        Log("accepting failed, retrying in 100 ms: " + conn.error().message);
        SleepNs(kAcceptRetryNs);
        continue;
      }
      Admit(std::move(*conn));
    }
    StopAll();
    return Status::Ok();
  }

 private:
  struct Conn {
    std::thread thread;
    UniqueFd shutter;  // a dup of the connection, for shutdown() on stop
    bool done = false;
  };

  // Lines quote peer text (a frame's type, a fault): control characters
  // become '?', so a peer cannot forge log lines.
  void Log(std::string line) {
    if (!options_.log) return;
    for (char& ch : line)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
    std::lock_guard<std::mutex> lock(log_mu_);
    options_.log(line);
  }

  void Admit(UniqueFd fd) {
    const std::string peer = PeerAddress(fd.get());
    std::unique_lock<std::mutex> lock(mu_);
    if (conns_.size() >= options_.max_sessions) {
      lock.unlock();
      Log("refused " + peer + ": busy, at the limit of " + std::to_string(options_.max_sessions) +
          " connections");
      Channel ch(std::move(fd));
      SendBusy(ch, "this agent holds its limit of " + std::to_string(options_.max_sessions) +
                       " connections; try again later");
      CloseGently(ch);
      return;
    }
    auto conn = std::make_unique<Conn>();
    Conn* c = conn.get();
    c->shutter = DuplicateFd(fd.get());  // invalid if out of descriptors: stop waits instead
    const int raw = fd.release();
    try {
      c->thread = std::thread([this, c, peer, raw] {
        Serve(UniqueFd(raw), peer);
        std::lock_guard<std::mutex> done_lock(mu_);
        c->shutter.reset();
        c->done = true;
      });
    } catch (const std::system_error&) {
      // No thread to be had: refuse this one rather than end the agent.
      lock.unlock();
      Log("refused " + peer + ": busy, cannot start a thread for it");
      Channel ch{UniqueFd(raw)};
      SendBusy(ch, "this agent cannot take another connection now; try again later");
      CloseGently(ch);
      return;
    }
    conns_.push_back(std::move(conn));
  }

  // Joins the threads of connections that have ended.
  void Reap() {
    std::vector<std::unique_ptr<Conn>> ended;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = conns_.begin(); it != conns_.end();) {
        if ((*it)->done) {
          ended.push_back(std::move(*it));
          it = conns_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& c : ended) c->thread.join();
  }

  void StopAll() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& c : conns_)
        if (!c->done && c->shutter.valid()) ShutdownStream(c->shutter.get(), /*both=*/true);
    }
    std::list<std::unique_ptr<Conn>> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      all.swap(conns_);
    }
    for (auto& c : all)
      if (c->thread.joinable()) c->thread.join();
  }

  // Lease bookkeeping (doc/protocol.md §7). Caller holds mu_.
  bool HeldByOtherLocked(const std::string& lease, std::string* holder) const {
    const bool held = !lease_.empty() && (lease_sessions_ > 0 || MonotonicNs() < lease_until_ns_);
    if (!held || lease_ == lease) return false;
    *holder = lease_;
    return true;
  }
  bool HeldByOther(const std::string& lease, std::string* holder) {
    std::lock_guard<std::mutex> lock(mu_);
    return HeldByOtherLocked(lease, holder);
  }
  bool Acquire(const std::string& lease, std::string* holder) {
    std::lock_guard<std::mutex> lock(mu_);
    if (HeldByOtherLocked(lease, holder)) return false;
    lease_ = lease;
    ++lease_sessions_;
    return true;
  }
  // `run_over`: the session ended with bye "release" (the coordinator's run
  // is over), so the lease goes when its last session does, without grace.
  void Release(bool run_over) {
    std::lock_guard<std::mutex> lock(mu_);
    lease_released_ |= run_over;
    if (--lease_sessions_ == 0) {
      lease_until_ns_ = lease_released_ ? 0 : MonotonicNs() + options_.lease_grace_ns;
      lease_released_ = false;
    }
  }

  // One connection, on its own thread: authenticate, then serve.
  void Serve(UniqueFd fd, const std::string& peer) {
    Channel ch(std::move(fd), options_.frame_timeout_ns);
    const int64_t deadline = MonotonicNs() + options_.limits.handshake_timeout_ns;
    auto request = ReadAuthRequest(ch, options_.limits.handshake_timeout_ns);
    if (!request.ok()) {
      Log("refused " + peer + ": " + request.error().message);
      CloseGently(ch);
      return;
    }
    const std::string& lease = request->lease;
    std::string holder;
    if (HeldByOther(lease, &holder)) {
      Log("refused " + peer + " (lease " + lease + "): busy with lease " + holder);
      SendBusy(ch, BusyMessage());
      CloseGently(ch);
      return;
    }
    Status auth = CompleteAuthAsAgent(ch, options_.key, *request,
                                      std::max<int64_t>(deadline - MonotonicNs(), 0));
    if (!auth.ok()) {
      Log("authentication failed from " + peer + " (lease " + lease + "): " + auth.message());
      CloseGently(ch);
      return;
    }
    // Checked again: another lease may have authenticated meanwhile.
    if (!Acquire(lease, &holder)) {
      Log("refused " + peer + " (lease " + lease + "): busy with lease " + holder);
      SendBusy(ch, BusyMessage());
      CloseGently(ch);
      return;
    }
    Log("session started: peer " + peer + ", lease " + lease);
    SessionEnd end;
    {
      StepExecutor exec(MakeNativeSocketApi());
      end = ServeSession(ch, exec, identity_, options_.limits);
      ch.Close();
    }  // the session's sockets are closed before the lease can pass on
    Release(end == SessionEnd::kByeRelease);
    Log("session ended: peer " + peer + ", lease " + lease + ": " + SessionEndName(end));
  }

  const AgentIdentity& identity_;
  const ListenerOptions& options_;
  std::mutex mu_;
  std::list<std::unique_ptr<Conn>> conns_;  // guarded by mu_
  std::string lease_;                       // guarded by mu_
  int lease_sessions_ = 0;                  // guarded by mu_
  int64_t lease_until_ns_ = 0;              // guarded by mu_
  bool lease_released_ = false;             // guarded by mu_: bye "release" seen
  std::mutex log_mu_;
};

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  return ParseEndpoint(text, "--listen", 0);
}

bool IsWildcardAddress(const std::string& address) {
  const auto bytes = IpLiteralBytes(address);
  return bytes && bytes->find_first_not_of('\0') == std::string::npos;
}

Status ServeListener(int listen_fd, const AgentIdentity& identity, const ListenerOptions& options) {
  if (options.key.bytes.size() < kMinKeyBytes)
    return MakeError(ErrorCode::kInvalidInput, "refusing to listen without a key of at least " +
                                                   std::to_string(kMinKeyBytes) + " bytes");
  Server server(identity, options);
  return server.Run(listen_fd);
}

}  // namespace lingerlab
