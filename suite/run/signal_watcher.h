// SignalWatcher: while it lives, SIGINT/SIGTERM/SIGHUP set a flag instead of
// killing the process, so a run can tear down what it created and still
// write its results. Blocks the signals in the creating thread (every
// thread started later inherits the mask) and waits for them on its own
// thread; the destructor stops that thread and unblocks them.
#pragma once

#include <signal.h>

#include <atomic>
#include <thread>

namespace lingerlab {

class SignalWatcher {
 public:
  explicit SignalWatcher(std::atomic<bool>& cancelled);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::atomic<bool>& cancelled_;
  std::atomic<bool> done_{false};
  sigset_t set_;
  std::thread thread_;
};

}  // namespace lingerlab
