#include "agents/base/clock.h"

#include <cerrno>
#include <ctime>

namespace lingerlab {
namespace {
int64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}
}  // namespace

int64_t MonotonicNs() { return Read(CLOCK_MONOTONIC); }
int64_t RealtimeNs() { return Read(CLOCK_REALTIME); }
Timestamp Now() {
  Timestamp t;
  t.mono_ns = MonotonicNs();
  t.real_ns = RealtimeNs();
  return t;
}

void SleepNs(int64_t ns) {
  if (ns <= 0) return;
  timespec req{static_cast<time_t>(ns / kNsPerSec), static_cast<long>(ns % kNsPerSec)};
  // Retry on EINTR so a signal handler elsewhere does not shorten a paced read.
  while (nanosleep(&req, &req) != 0 && errno == EINTR) {
  }
}

}  // namespace lingerlab
