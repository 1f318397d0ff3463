#include "agents/agent/listener.h"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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
// How often the accepting thread looks again while connections wait (for
// slots freed by handshakes that ended, handshakes old enough to evict,
// waits past their deadline) or refused ones linger: a slot freed is taken
// within this.
constexpr int64_t kSchedulePollNs = 10 * kNsPerMs;
// Refusals by the accepting thread: the error frame goes into the empty
// send buffer of a fresh connection, so the bound is never waited for but
// by a system out of buffers; the connection is then closed after
// kRefusalDrainNs without reading (as CloseGently would, but holding no
// thread), or sooner when more than this many linger.
constexpr int64_t kRefusalSendNs = 100 * kNsPerMs;
constexpr size_t kMaxLingering = 256;

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

nlohmann::json BusyFrame(const std::string& message) {
  return {{"type", "error"}, {"error", {{"code", "busy"}, {"message", message}}}};
}

void SendBusy(Channel& ch, const std::string& message) { (void)ch.Send(BusyFrame(message)); }

// Says nothing about the holder: the peer has not authenticated (the lease
// is in the agent's log instead).
std::string BusyMessage() { return "this agent is serving another coordinator; try again later"; }

std::string Ms(int64_t ns) { return std::to_string(ns / kNsPerMs) + " ms"; }

// The address of PeerAddress()'s "a.b.c.d:port" or "[v6]:port": what the
// per-address rule of the handshake slots counts by.
std::string AddressOf(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  if (colon == std::string::npos) return peer;  // "unknown peer": one address for all such
  if (peer.front() == '[' && colon > 1 && peer[colon - 1] == ']') return peer.substr(1, colon - 2);
  return peer.substr(0, colon);
}

class Server {
 public:
  Server(const AgentIdentity& identity, const ListenerOptions& options)
      : identity_(identity), options_(options) {}
  ~Server() { StopAll(); }

  Status Run(int listen_fd) {
    for (;;) {
      if (options_.stop && options_.stop->load()) break;
      auto conn = AcceptControl(listen_fd, AcceptWaitNs());
      Reap();
      if (conn.ok()) {
        Enqueue(std::move(*conn));
      } else if (conn.error().code != ErrorCode::kTimeout) {
        // Out of descriptors or memory (sessions hold up to kMaxSockets
        // each) is a moment, not the end: the connection waits in the
        // backlog while sessions end. Only a listening socket that is gone
        // ends the listener.
        if (!IsOpenDescriptor(listen_fd)) return conn.status();
        Log("accepting failed, retrying in 100 ms: " + conn.error().message);
        SleepNs(kAcceptRetryNs);
      }
      Schedule();
      CloseLingering();
    }
    StopAll();
    return Status::Ok();
  }

 private:
  // Accepted, waiting for a handshake slot; owned by the accepting thread.
  struct Waiting {
    UniqueFd fd;
    std::string peer;     // "address:port", for the log
    std::string address;  // for the per-address rule
    int64_t accepted_ns = 0;
  };
  // Refused by the accepting thread; closed at close_ns.
  struct Lingering {
    UniqueFd fd;
    int64_t close_ns = 0;
  };
  // A connection with a thread: a handshake, then perhaps a session.
  struct Conn {
    std::thread thread;
    UniqueFd shutter;  // a dup of the connection, for shutdown() on stop (POSIX)
    std::string peer, address;
    int64_t accepted_ns = 0;
    int64_t started_ns = 0;  // when its handshake got its slot
    // The connection, owned by the thread's Channel. Another thread may
    // shut it down only while `handshake` holds (under mu_): the thread
    // leaves the handshake (LeaveHandshake, Promote) before it closes it.
    int fd = -1;
    bool handshake = true;  // holds a handshake slot; guarded by mu_
    bool evicted = false;   // its slot was taken back; guarded by mu_
    bool done = false;      // guarded by mu_
  };
  enum class Admission { kSession, kEvicted, kSessionsFull, kLeaseHeld };

  // Lines quote peer text (a frame's type, a fault): control characters
  // become '?', so a peer cannot forge log lines.
  void Log(std::string line) {
    if (!options_.log) return;
    for (char& ch : line)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
    std::lock_guard<std::mutex> lock(log_mu_);
    options_.log(line);
  }

  int64_t AcceptWaitNs() const {
    if (!waiting_.empty() || !lingering_.empty()) return kSchedulePollNs;
    return options_.stop ? kStopPollNs : -1;
  }

  std::string SessionsFullMessage() const {
    return "this agent holds its limit of " + std::to_string(options_.max_sessions) +
           " sessions; try again later";
  }

  // --- The accepting thread: waiting connections and refusals -------------

  void Enqueue(UniqueFd fd) {
    const std::string peer = PeerAddress(fd.get());
    bool sessions_full;
    {
      std::lock_guard<std::mutex> lock(mu_);
      sessions_full = lease_sessions_ >= options_.max_sessions;
    }
    if (sessions_full) {
      Refuse(std::move(fd), peer,
             "busy, at the limit of " + std::to_string(options_.max_sessions) + " sessions",
             SessionsFullMessage());
      return;
    }
    waiting_.push_back({std::move(fd), peer, AddressOf(peer), MonotonicNs()});
    if (waiting_.size() > options_.max_waiting) RefuseOneWaiting();
    PublishWaiting();
  }

  // Over max_waiting: the newest connection of the address with the most
  // waiting (the newcomer's on a tie) goes, so a flood from one address
  // cannot push out the connections of another.
  void RefuseOneWaiting() {
    std::map<std::string, size_t> count;
    for (const Waiting& w : waiting_) ++count[w.address];
    std::string busiest = waiting_.back().address;
    for (const auto& [address, n] : count)
      if (n > count[busiest]) busiest = address;
    for (auto it = waiting_.end(); it != waiting_.begin();) {
      --it;
      if (it->address != busiest) continue;
      Waiting w = std::move(*it);
      waiting_.erase(it);
      Refuse(std::move(w.fd), w.peer,
             "busy, " + std::to_string(options_.max_waiting) +
                 " connections wait to authenticate already",
             "this agent has too many connections waiting to authenticate; try again later");
      return;
    }
  }

  // Connections whose handshake deadline passed while they waited.
  void ExpireWaiting(int64_t now) {
    const int64_t limit = options_.limits.handshake_timeout_ns;
    while (!waiting_.empty() && now - waiting_.front().accepted_ns >= limit) {
      Waiting w = std::move(waiting_.front());
      waiting_.pop_front();
      Refuse(std::move(w.fd), w.peer, "busy, no handshake slot within " + Ms(limit),
             "this agent had no handshake slot free within " + Ms(limit) + "; try again later");
    }
  }

  // Answers `busy` and closes later without holding a thread (the peer's
  // unread frames would make an immediate close an RST that can destroy
  // the error frame).
  void Refuse(UniqueFd fd, const std::string& peer, const std::string& why,
              const std::string& message) {
    Log("refused " + peer + ": " + why);
    if (auto frame = EncodeFrame(BusyFrame(message)); frame.ok())
      (void)WriteAll(fd.get(), *frame, kRefusalSendNs);
    ShutdownStream(fd.get(), /*both=*/false);
    lingering_.push_back({std::move(fd), MonotonicNs() + kRefusalDrainNs});
    if (lingering_.size() > kMaxLingering) lingering_.pop_front();
  }

  void CloseLingering() {
    const int64_t now = MonotonicNs();
    while (!lingering_.empty() && lingering_.front().close_ns <= now) lingering_.pop_front();
  }

  // Starts waiting connections while slots are free or can be freed.
  void Schedule() {
    const int64_t now = MonotonicNs();
    ExpireWaiting(now);
    while (!waiting_.empty()) {
      std::unique_lock<std::mutex> lock(mu_);
      const auto held = HandshakesByAddressLocked();
      const size_t pick = PickWaitingLocked(held);
      if (handshakes_ >= options_.max_handshakes && !EvictLocked(held, waiting_[pick].address, now))
        break;
      Waiting w = std::move(waiting_[pick]);
      waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(pick));
      if (StartLocked(w, now)) continue;
      // No thread to be had: refuse this one rather than end the agent.
      lock.unlock();
      Refuse(std::move(w.fd), w.peer, "busy, cannot start a thread for it",
             "this agent cannot take another connection now; try again later");
    }
    PublishWaiting();
  }

  // --- Handshake slots (caller holds mu_) ---------------------------------

  std::map<std::string, size_t> HandshakesByAddressLocked() const {
    std::map<std::string, size_t> held;
    for (const auto& c : conns_)
      if (c->handshake) ++held[c->address];
    return held;
  }

  static size_t Held(const std::map<std::string, size_t>& held, const std::string& address) {
    auto it = held.find(address);
    return it == held.end() ? 0 : it->second;
  }

  // The longest-waiting connection whose address holds fewer than its share
  // of handshakes, else the longest-waiting one.
  size_t PickWaitingLocked(const std::map<std::string, size_t>& held) const {
    for (size_t i = 0; i < waiting_.size(); ++i)
      if (Held(held, waiting_[i].address) < options_.max_handshakes_per_address) return i;
    return 0;
  }

  // Takes a slot back for a waiting connection from `address`: from that
  // address itself or from one that holds more handshakes (a flood never
  // takes a slot from an address holding fewer than its own), the one
  // holding the most first, its oldest handshake that has had
  // handshake_evict_after_ns. Its thread sees the end of the stream,
  // answers `busy` and ends. (On Windows, seen under Wine, the thread may
  // see it only at its deadline: the slot is given away at once all the
  // same, so an eviction costs a thread for up to the handshake timeout,
  // at most 32 a second at the defaults, not a slot.)
  bool EvictLocked(const std::map<std::string, size_t>& held, const std::string& address,
                   int64_t now) {
    const size_t theirs = Held(held, address);
    Conn* victim = nullptr;
    for (const auto& c : conns_) {
      if (!c->handshake || now - c->started_ns < options_.handshake_evict_after_ns) continue;
      const size_t n = Held(held, c->address);
      if (c->address != address && n <= theirs) continue;
      const size_t most = victim ? Held(held, victim->address) : 0;
      if (!victim || n > most || (n == most && c->started_ns < victim->started_ns))
        victim = c.get();
    }
    if (victim == nullptr) return false;
    ShutdownReceive(victim->fd);
    victim->evicted = true;
    LeaveHandshakeLocked(victim);
    return true;
  }

  bool StartLocked(Waiting& w, int64_t now) {
    auto conn = std::make_unique<Conn>();
    Conn* c = conn.get();
    c->peer = w.peer;
    c->address = w.address;
    c->accepted_ns = w.accepted_ns;
    c->started_ns = now;
    c->fd = w.fd.get();
    c->shutter = DuplicateFd(c->fd);  // invalid if out of descriptors: stop waits instead
    try {
      c->thread = std::thread([this, c] {
        Serve(c);
        std::lock_guard<std::mutex> done_lock(mu_);
        c->shutter.reset();
        c->done = true;
      });
    } catch (const std::system_error&) {
      return false;
    }
    (void)w.fd.release();  // the thread's now
    ++handshakes_;
    conns_.push_back(std::move(conn));
    PublishLocked();
    return true;
  }

  void LeaveHandshakeLocked(Conn* c) {
    if (!c->handshake) return;
    c->handshake = false;
    --handshakes_;
    PublishLocked();
  }

  // Leaves the handshake slot; from then on only the connection's thread
  // touches the connection. True if the slot had been taken back (evicted).
  bool LeaveHandshake(Conn* c) {
    std::lock_guard<std::mutex> lock(mu_);
    LeaveHandshakeLocked(c);
    return c->evicted;
  }

  void PublishLocked() {
    if (!options_.gauges) return;
    options_.gauges->handshakes = handshakes_;
    options_.gauges->sessions = lease_sessions_;
  }
  void PublishWaiting() {
    if (options_.gauges) options_.gauges->waiting = waiting_.size();
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
    waiting_.clear();
    lingering_.clear();
    PublishWaiting();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& c : conns_) {
        if (c->done) continue;
        if (c->handshake) {
          ShutdownStream(c->fd, /*both=*/true);
        } else if (c->shutter.valid()) {
          ShutdownStream(c->shutter.get(), /*both=*/true);
        }
      }
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
  // An authenticated handshake becomes a session of `lease`, unless its
  // slot was taken back meanwhile, the sessions are full or another lease
  // got the agent.
  Admission Promote(Conn* c, const std::string& lease, std::string* holder) {
    std::lock_guard<std::mutex> lock(mu_);
    LeaveHandshakeLocked(c);
    if (c->evicted) return Admission::kEvicted;
    if (lease_sessions_ >= options_.max_sessions) return Admission::kSessionsFull;
    if (HeldByOtherLocked(lease, holder)) return Admission::kLeaseHeld;
    lease_ = lease;
    ++lease_sessions_;
    PublishLocked();
    return Admission::kSession;
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
    PublishLocked();
  }

  // --- A connection's thread: authenticate, then serve --------------------

  void Serve(Conn* c) {
    Channel ch(UniqueFd(c->fd), options_.frame_timeout_ns);
    const std::optional<std::string> lease = Handshake(ch, c);
    if (!lease) {
      CloseGently(ch);
      return;
    }
    Log("session started: peer " + c->peer + ", lease " + *lease);
    SessionEnd end;
    {
      StepExecutor exec(MakeNativeSocketApi());
      end = ServeSession(ch, exec, identity_, options_.limits);
      ch.Close();
    }  // the session's sockets are closed before the lease can pass on
    Release(end == SessionEnd::kByeRelease);
    Log("session ended: peer " + c->peer + ", lease " + *lease + ": " + SessionEndName(end));
  }

  // Authenticates the peer and makes it a session: its lease, or nothing
  // when it was refused (logged, and the peer told why unless it is gone).
  // Either way it has left its handshake slot.
  std::optional<std::string> Handshake(Channel& ch, Conn* c) {
    // From the connection: time spent waiting for the slot counts, as it
    // does for the coordinator.
    const int64_t deadline = c->accepted_ns + options_.limits.handshake_timeout_ns;
    auto left = [&] { return std::max<int64_t>(deadline - MonotonicNs(), kNsPerMs); };
    auto request = ReadAuthRequest(ch, left());
    if (!request.ok()) return Refused(ch, c, "refused " + c->peer + ": " + request.error().message);
    const std::string& lease = request->lease;
    std::string holder;
    if (HeldByOther(lease, &holder)) {
      return Refused(ch, c,
                     "refused " + c->peer + " (lease " + lease + "): busy with lease " + holder,
                     BusyMessage());
    }
    Status auth = CompleteAuthAsAgent(ch, options_.key, *request, left());
    if (!auth.ok()) {
      return Refused(
          ch, c,
          "authentication failed from " + c->peer + " (lease " + lease + "): " + auth.message());
    }
    switch (Promote(c, lease, &holder)) {
      case Admission::kSession:
        return lease;
      case Admission::kEvicted:
        return Evicted(ch, c);
      case Admission::kSessionsFull:
        Log("refused " + c->peer + " (lease " + lease + "): busy, at the limit of " +
            std::to_string(options_.max_sessions) + " sessions");
        SendBusy(ch, SessionsFullMessage());
        return std::nullopt;
      case Admission::kLeaseHeld:
        Log("refused " + c->peer + " (lease " + lease + "): busy with lease " + holder);
        SendBusy(ch, BusyMessage());
        return std::nullopt;
    }
    return std::nullopt;
  }

  // A handshake that ends without a session leaves its slot and says why:
  // `line` to the log and `busy_message`, if any, to the peer; unless its
  // slot was taken back, which ended whatever it was waiting for.
  std::optional<std::string> Refused(Channel& ch, Conn* c, const std::string& line,
                                     const std::string& busy_message = "") {
    if (LeaveHandshake(c)) return Evicted(ch, c);
    Log(line);
    if (!busy_message.empty()) SendBusy(ch, busy_message);
    return std::nullopt;
  }

  std::optional<std::string> Evicted(Channel& ch, Conn* c) {
    Log("evicted " + c->peer + " after " + Ms(MonotonicNs() - c->started_ns) +
        " of handshake: its slot went to a waiting connection");
    const std::string had = Ms(options_.handshake_evict_after_ns);
    SendBusy(ch,
             "this agent has more connections to authenticate than it takes at once; this "
             "one had its " +
                 had + " to complete its handshake; try again");
    return std::nullopt;
  }

  const AgentIdentity& identity_;
  const ListenerOptions& options_;
  // The accepting thread's own.
  std::deque<Waiting> waiting_;
  std::deque<Lingering> lingering_;
  std::mutex mu_;
  std::list<std::unique_ptr<Conn>> conns_;  // guarded by mu_
  size_t handshakes_ = 0;                   // guarded by mu_: conns_ with `handshake`
  std::string lease_;                       // guarded by mu_
  size_t lease_sessions_ = 0;               // guarded by mu_: every session is of lease_
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
