// SetupGate: the set-up slots of a run (case_runner.h). At most `slots`
// cases set up or tear down at once; waiting ones are served lowest key
// first, not in whatever order a semaphore wakes them: the run gives a
// case's set-up its place in the run's order (longest budget first, run.cc)
// so the long cases start while the short ones still wait, and teardowns a
// key below every set-up, so a finished case frees its namespaces promptly.
// The gate owns nothing but its count; a holder must Release() what it got.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>

namespace lingerlab {

class SetupGate {
 public:
  // The key teardowns wait with: before every set-up.
  static constexpr int64_t kTeardownKey = -1;

  explicit SetupGate(int slots);
  SetupGate(const SetupGate&) = delete;
  SetupGate& operator=(const SetupGate&) = delete;

  // Blocks until a slot is free and no waiter has a lower key; true with the
  // slot. False, without one, when `cancelled` (may be null) becomes true
  // while waiting (looked at every 50 ms).
  bool Acquire(int64_t key, const std::atomic<bool>* cancelled);
  void Release();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
  std::multiset<int64_t> waiting_;
};

}  // namespace lingerlab
