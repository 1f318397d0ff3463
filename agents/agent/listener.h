// Listen mode of the agent (`lingerlab-agent --listen ADDR:PORT --key FILE`):
// serves authenticated coordinators over TCP (doc/protocol.md §2, §6, §7).
//
// Every connection is authenticated first (auth.h): a peer that does not
// prove it holds the key gets an error frame and is closed, and nothing it
// asks for is run. A coordinator run opens one connection per case and runs
// cases in parallel, so the agent serves several sessions of one *lease*
// (the run id the coordinator claims) at once; a connection with another
// lease is answered at once with `busy` while the lease is held: while any
// of its sessions is active and for lease_grace_ns after the last ends. Only
// an authenticated session takes or extends a lease. At most max_sessions
// authenticated sessions are served at once; more get `busy`. A session with
// no request for SessionLimits::idle_timeout_ns is dropped with
// `idle_timeout`.
//
// Before it authenticates, a connection costs the agent little and cannot
// keep a coordinator out (doc/protocol.md §7.5, issue 17): the accepting
// thread owns the connections that wait for a handshake slot (a descriptor
// each, no thread) and the refused ones it is closing; each of at most
// max_handshakes handshakes runs on its own thread, which then serves the
// session. While connections wait and no slot is free, the accepting
// thread ends the oldest handshake that has had handshake_evict_after_ns,
// from the address holding the most, and starts the next waiting one.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "agents/agent/agent_session.h"
#include "agents/base/result.h"
#include "agents/platform/endpoint.h"
#include "agents/protocol/auth.h"

namespace lingerlab {

// Where --listen listens: an IP literal and a port (0: any free port).
using ListenAddress = Endpoint;

// Parses "ADDRESS:PORT" ("[v6]:PORT" too). Fails with kInvalidInput, naming
// what is wrong (ParseEndpoint with port 0 allowed: any free port).
Result<ListenAddress> ParseListenAddress(std::string_view text);

// True for an address that listens on every interface (0.0.0.0, ::).
bool IsWildcardAddress(const std::string& address);

// What a listener holds at the moment, for tests (nothing may be left
// over once its peers are gone) and monitoring.
struct ListenerGauges {
  std::atomic<size_t> waiting{0};     // accepted, waiting for a handshake slot
  std::atomic<size_t> handshakes{0};  // authenticating, each on its own thread
  std::atomic<size_t> sessions{0};    // authenticated
};

struct ListenerOptions {
  // handshake_timeout_ns bounds the authentication (from the connection's
  // start) and, after it, the hello.
  SessionLimits limits{protocol::kHandshakeTimeout, protocol::kListenIdleTimeout};
  // The pre-shared key (LoadKeyFile). Required: ServeListener refuses to
  // serve without one.
  AuthKey key;
  int64_t lease_grace_ns = protocol::kLeaseGrace;
  size_t max_sessions = protocol::kMaxListenSessions;
  // Before authentication (doc/protocol.md §7.5; tests pass small ones).
  size_t max_handshakes = protocol::kMaxListenHandshakes;
  size_t max_handshakes_per_address = protocol::kMaxListenHandshakesPerAddress;
  size_t max_waiting = protocol::kMaxListenWaiting;
  int64_t handshake_evict_after_ns = protocol::kHandshakeEvictAfter;
  // Bound on each received frame, first byte to last (Channel).
  int64_t frame_timeout_ns = protocol::kFrameReadTimeout;
  // Receives one line per session start, refusal and end (may be empty).
  // Called from several threads, one call at a time.
  std::function<void(const std::string&)> log;
  // When set, ServeListener stops accepting once this is true (checked
  // every 100 ms), shuts down the connections it holds so their sessions
  // end at their next read, and returns when every thread has ended.
  const std::atomic<bool>* stop = nullptr;
  // When set, kept up to date with what the listener holds (may be null).
  ListenerGauges* gauges = nullptr;
};

// Accepts and serves coordinators on `listen_fd` until `options.stop`
// (never when it is null), each connection on its own thread. Each session
// gets its own StepExecutor: fresh sockets. Fails with kInvalidInput
// without a key, otherwise only when the listening socket itself is gone; a
// failed accept (out of descriptors or memory) is logged and retried after
// 100 ms while the connection waits in the backlog.
Status ServeListener(int listen_fd, const AgentIdentity& identity, const ListenerOptions& options);

}  // namespace lingerlab
