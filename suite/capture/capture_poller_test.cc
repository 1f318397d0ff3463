#include "suite/capture/capture_poller.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "agents/base/clock.h"
#include "suite/capture/test_netns.h"

namespace lingerlab {
namespace {

// An eventfd standing in for a capture's descriptor: readable while its
// counter is non-zero.
struct TestFd {
  TestFd() : fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  void Signal() const {
    const uint64_t one = 1;
    EXPECT_EQ(write(fd.get(), &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  }
  void Consume() const {
    uint64_t v = 0;
    (void)!read(fd.get(), &v, sizeof(v));
  }
  UniqueFd fd;
};

// Waits up to `timeout_ns` for `pred`; returns its last value.
template <typename Pred>
bool WaitFor(Pred pred, int64_t timeout_ns = 2 * kNsPerSec) {
  const int64_t deadline = MonotonicNs() + timeout_ns;
  while (!pred()) {
    if (MonotonicNs() > deadline) return false;
    SleepNs(kNsPerMs);
  }
  return true;
}

TEST(CapturePollerTest, CallsTheHandlerWhenReadableAndNeverAfterUnregister) {
  CapturePoller poller;
  TestFd fd;
  std::atomic<int> calls{0};
  auto reg = poller.Register(fd.fd.get(), [&](uint32_t events) {
    EXPECT_TRUE(events & EPOLLIN);
    fd.Consume();
    ++calls;
    return true;
  });
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  EXPECT_EQ(poller.size(), 1u);
  fd.Signal();
  ASSERT_TRUE(WaitFor([&] { return calls.load() == 1; }));
  fd.Signal();
  ASSERT_TRUE(WaitFor([&] { return calls.load() == 2; }));
  (*reg)->Unregister();
  (*reg)->Unregister();  // idempotent
  EXPECT_EQ(poller.size(), 0u);
  fd.Signal();
  SleepNs(50 * kNsPerMs);
  EXPECT_EQ(calls.load(), 2) << "called after Unregister()";
}

// What a capture's Stop() relies on: Unregister() called while the poller
// is inside the handler returns only once the handler has returned.
TEST(CapturePollerTest, UnregisterWaitsForTheHandlerInProgress) {
  CapturePoller poller;
  TestFd fd;
  std::atomic<bool> entered{false}, finished{false};
  std::atomic<int> calls{0};
  auto reg = poller.Register(fd.fd.get(), [&](uint32_t) {
    ++calls;
    entered = true;
    SleepNs(100 * kNsPerMs);  // mid-dispatch
    finished = true;
    return true;  // still readable: not consumed, so it would be called again
  });
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  fd.Signal();
  ASSERT_TRUE(WaitFor([&] { return entered.load(); }));
  (*reg)->Unregister();
  EXPECT_TRUE(finished.load()) << "Unregister() returned while the handler ran";
  const int after = calls.load();
  SleepNs(50 * kNsPerMs);
  EXPECT_EQ(calls.load(), after);
}

TEST(CapturePollerTest, AHandlerReturningFalseIsRemoved) {
  CapturePoller poller;
  TestFd fd;
  std::atomic<int> calls{0};
  auto reg = poller.Register(fd.fd.get(), [&](uint32_t) {
    ++calls;
    return false;  // an error: not consumed, so it would otherwise spin
  });
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  fd.Signal();
  ASSERT_TRUE(WaitFor([&] { return poller.size() == 0; }));
  SleepNs(50 * kNsPerMs);
  EXPECT_EQ(calls.load(), 1);
  (*reg)->Unregister();  // still fine afterwards
}

TEST(CapturePollerTest, BadDescriptorIsAnError) {
  CapturePoller poller;
  auto reg = poller.Register(-1, [](uint32_t) { return true; });
  ASSERT_FALSE(reg.ok());
  EXPECT_TRUE(reg.error().message.find("cannot poll capture descriptor") != std::string::npos)
      << reg.error().message;
  EXPECT_EQ(poller.size(), 0u);
}

// Many descriptors, one thread: every handler runs on the poller's thread,
// and the process gains that one thread.
TEST(CapturePollerTest, ManyDescriptorsShareOneThread) {
  constexpr int kFds = 50;
  const int threads_before = ThreadsOfThisProcess();
  CapturePoller poller;
  std::vector<TestFd> fds(kFds);
  std::vector<std::atomic<int>> calls(kFds);
  std::atomic<int> wrong_thread{0};
  std::vector<std::unique_ptr<CapturePoller::Registration>> regs;
  for (int i = 0; i < kFds; ++i) {
    auto reg = poller.Register(fds[i].fd.get(), [&, i](uint32_t) {
      if (gettid() != poller.thread_tid()) ++wrong_thread;
      fds[i].Consume();
      ++calls[i];
      return true;
    });
    ASSERT_TRUE(reg.ok()) << reg.error().message;
    regs.push_back(std::move(*reg));
  }
  for (auto& f : fds) f.Signal();
  ASSERT_TRUE(WaitFor([&] {
    for (auto& c : calls)
      if (c.load() != 1) return false;
    return true;
  }));
  EXPECT_EQ(ThreadsOfThisProcess(), threads_before + 1);
  EXPECT_EQ(wrong_thread.load(), 0);
  regs.clear();
  EXPECT_EQ(poller.size(), 0u);
  EXPECT_EQ(poller.thread_tid(), 0) << "the thread ends with the last registration";
  EXPECT_EQ(ThreadsOfThisProcess(), threads_before);
}

// The thread ends with the last registration and starts again with the next.
TEST(CapturePollerTest, TheThreadRunsOnlyWhileSomethingIsRegistered) {
  CapturePoller poller;
  EXPECT_EQ(poller.thread_tid(), 0);
  for (int round = 0; round < 3; ++round) {
    TestFd fd;
    std::atomic<int> calls{0};
    auto reg = poller.Register(fd.fd.get(), [&](uint32_t) {
      fd.Consume();
      ++calls;
      return true;
    });
    ASSERT_TRUE(reg.ok()) << reg.error().message;
    ASSERT_TRUE(WaitFor([&] { return poller.thread_tid() != 0; }));
    fd.Signal();
    ASSERT_TRUE(WaitFor([&] { return calls.load() == 1; })) << "round " << round;
    (*reg)->Unregister();
    EXPECT_EQ(poller.thread_tid(), 0);
  }
}

// Registrations come and go from several threads while the poller is busy
// with always-readable descriptors: a handler never runs after its
// Unregister() returned, and never for a descriptor it was not given.
TEST(CapturePollerTest, RegisterAndUnregisterRaceWithDispatch) {
  CapturePoller poller;
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  std::atomic<int> late_calls{0}, handled{0}, failures{0};
  // One always-readable descriptor that stays registered, so the poller is
  // dispatching most of the time.
  TestFd busy;
  busy.Signal();
  auto busy_reg = poller.Register(busy.fd.get(), [&](uint32_t) {
    ++handled;
    return true;
  });
  ASSERT_TRUE(busy_reg.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        TestFd fd;
        fd.Signal();
        auto live = std::make_shared<std::atomic<bool>>(true);
        auto reg = poller.Register(fd.fd.get(), [&, live](uint32_t) {
          if (!live->load()) ++late_calls;
          ++handled;
          return true;
        });
        if (!reg.ok()) {
          ++failures;
          continue;
        }
        if (r % 3 == 0) SleepNs(100 * 1000);  // sometimes let it be dispatched first
        (*reg)->Unregister();
        live->store(false);
      }
    });
  }
  for (auto& t : threads) t.join();
  SleepNs(20 * kNsPerMs);
  (*busy_reg)->Unregister();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(late_calls.load(), 0);
  EXPECT_GT(handled.load(), 0);
  EXPECT_EQ(poller.size(), 0u);
}

}  // namespace
}  // namespace lingerlab
