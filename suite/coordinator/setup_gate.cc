#include "suite/coordinator/setup_gate.h"

#include <chrono>

namespace lingerlab {

SetupGate::SetupGate(int slots) : free_(slots > 0 ? slots : 1) {}

bool SetupGate::Acquire(int64_t key, const std::atomic<bool>* cancelled) {
  std::unique_lock<std::mutex> lock(mu_);
  auto me = waiting_.insert(key);
  while (!(free_ > 0 && *waiting_.begin() == key)) {
    if (cancelled && cancelled->load()) {
      waiting_.erase(me);
      cv_.notify_all();  // the next key may be free to go now
      return false;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
  waiting_.erase(me);
  --free_;
  if (free_ > 0) cv_.notify_all();  // another slot for the next waiter
  return true;
}

void SetupGate::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++free_;
  }
  cv_.notify_all();
}

}  // namespace lingerlab
