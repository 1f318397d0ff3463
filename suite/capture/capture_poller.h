// CapturePoller: one thread that waits (epoll) on the descriptors of many
// live captures and calls each one's handler when its descriptor is ready,
// so a run of hundreds of parallel cases costs one capture thread, not one
// per case. The poller owns its thread, its epoll and wake descriptors and
// the table of registrations; it never owns a registered descriptor (the
// capture does, and must keep it open until Unregister() has returned).
//
// Promises, the ones a capture's Stop() is built on:
// - A handler runs only on the poller thread, never concurrently with itself.
// - Once Registration::Unregister() returns, the handler is not running and
//   never runs again; everything it wrote is visible to the caller.
// - A handler that returns false is removed (an error: its descriptor would
//   otherwise report the same condition forever).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {

class CapturePoller {
 public:
  // Called with epoll's event bits (EPOLLIN, EPOLLERR, EPOLLHUP). Returns
  // whether to keep polling the descriptor. It should do a bounded amount of
  // work (a batch of packets): every other capture waits while it runs.
  using Handler = std::function<bool(uint32_t events)>;

  class Registration;

  CapturePoller() = default;
  // Stops and joins the thread. Every registration must be gone by then.
  ~CapturePoller();
  CapturePoller(const CapturePoller&) = delete;
  CapturePoller& operator=(const CapturePoller&) = delete;

  // The process's poller, shared by every live capture. Never destroyed: a
  // capture may be stopped from a static destructor.
  static CapturePoller& Shared();

  // Starts polling `fd` (level-triggered) and calls `handler` whenever it is
  // readable or has an error. The thread runs only while something is
  // registered: it starts with the first registration and ends with the last
  // Unregister(), so a process without running captures has no poller
  // thread (and forks single-threaded if it has no other). Fails with
  // kFailed if the thread or the epoll descriptor cannot be created, or the
  // descriptor cannot be polled (epoll_ctl's error).
  Result<std::unique_ptr<Registration>> Register(int fd, Handler handler);

  // Descriptors polled now (for tests).
  size_t size() const;
  // The poller thread's kernel id, 0 before it started (for tests).
  pid_t thread_tid() const { return tid_.load(); }

 private:
  struct Entry;
  void Run();
  Status EnsureStarted();  // thread_mu_ and mu_ held
  void Remove(uint64_t id);
  void StopIfIdle();
  void StopThread();  // thread_mu_ held, the thread running

  std::mutex thread_mu_;  // serialises starting and stopping the thread; taken before mu_
  mutable std::mutex mu_;
  // Made afresh for each thread; changed only while no thread runs.
  UniqueFd epoll_fd_;
  UniqueFd wake_fd_;    // eventfd: StopThread() ends the thread
  std::thread thread_;  // guarded by thread_mu_
  std::atomic<pid_t> tid_{0};
  uint64_t next_id_ = 1;                                // guarded by mu_
  std::map<uint64_t, std::shared_ptr<Entry>> entries_;  // guarded by mu_
};

// One descriptor's registration; unregisters when destroyed.
class CapturePoller::Registration {
 public:
  ~Registration() { Unregister(); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

  // Stops polling and waits for a handler call in progress to return
  // (idempotent); the last one also ends the poller's thread. Must not be
  // called from a handler (on the poller thread).
  void Unregister();

 private:
  friend class CapturePoller;
  Registration(CapturePoller* poller, uint64_t id, std::shared_ptr<Entry> entry)
      : poller_(poller), id_(id), entry_(std::move(entry)) {}
  CapturePoller* poller_;
  uint64_t id_;
  std::shared_ptr<Entry> entry_;
};

}  // namespace lingerlab
