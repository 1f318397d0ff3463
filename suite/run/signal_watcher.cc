#include "suite/run/signal_watcher.h"

#include <pthread.h>

#include <ctime>

#include <spdlog/spdlog.h>

namespace lingerlab {

SignalWatcher::SignalWatcher(std::atomic<bool>& cancelled) : cancelled_(cancelled) {
  sigemptyset(&set_);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // inherited by every thread we start
  thread_ = std::thread([this] {
    timespec tick{0, 100 * 1000 * 1000};
    while (!done_.load()) {
      int sig = sigtimedwait(&set_, nullptr, &tick);
      if (sig <= 0) continue;
      if (cancelled_.exchange(true))
        spdlog::warn("still cleaning up; the namespaces and agents of this run are being removed");
      else
        spdlog::warn("interrupted (signal {}): stopping cases and cleaning up", sig);
    }
  });
}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  thread_.join();
  pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
}

}  // namespace lingerlab
