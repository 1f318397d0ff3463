// The set-up gate: never more holders than slots, waiters served lowest key
// first, and a cancelled waiter leaves without a slot.
#include "suite/coordinator/setup_gate.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "agents/base/clock.h"

namespace lingerlab {
namespace {

TEST(SetupGateTest, WaitersAreServedLowestKeyFirst) {
  SetupGate gate(1);
  ASSERT_TRUE(gate.Acquire(0, nullptr));  // held while the others queue up
  std::mutex mu;
  std::vector<int64_t> order;
  std::vector<std::thread> threads;
  for (int64_t key : std::vector<int64_t>{5, 3, 9, SetupGate::kTeardownKey, 1}) {
    threads.emplace_back([&, key] {
      ASSERT_TRUE(gate.Acquire(key, nullptr));
      {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(key);
      }
      gate.Release();
    });
  }
  SleepNs(200 * kNsPerMs);  // every waiter is queued
  gate.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int64_t>{SetupGate::kTeardownKey, 1, 3, 5, 9}));
}

TEST(SetupGateTest, NeverMoreHoldersThanSlots) {
  SetupGate gate(2);
  std::atomic<int> holders{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      ASSERT_TRUE(gate.Acquire(i % 4, nullptr));
      const int now = ++holders;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      SleepNs(5 * kNsPerMs);
      --holders;
      gate.Release();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 2);
}

TEST(SetupGateTest, ACancelledWaiterLeavesWithoutASlot) {
  SetupGate gate(1);
  ASSERT_TRUE(gate.Acquire(0, nullptr));
  std::atomic<bool> cancelled{false};
  std::thread waiter([&] { EXPECT_FALSE(gate.Acquire(1, &cancelled)); });
  SleepNs(100 * kNsPerMs);
  cancelled = true;
  waiter.join();
  gate.Release();
  EXPECT_TRUE(gate.Acquire(2, nullptr));  // the slot was not taken by the cancelled waiter
  gate.Release();
}

}  // namespace
}  // namespace lingerlab
