#include "suite/capture/capture_poller.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "agents/base/clock.h"

namespace lingerlab {

namespace {

// epoll's data for the wake descriptor; registrations count from 1.
constexpr uint64_t kWakeId = 0;
// Ready descriptors taken per epoll_wait; more wait for the next round.
constexpr int kMaxEvents = 64;

}  // namespace

struct CapturePoller::Entry {
  int fd = -1;        // the capture's; polled while registered
  std::mutex mu;      // held by the poller thread while the handler runs
  bool alive = true;  // guarded by mu: false once unregistered or failed
  Handler handler;    // guarded by mu
};

CapturePoller& CapturePoller::Shared() {
  static CapturePoller* const poller = new CapturePoller();
  return *poller;
}

CapturePoller::~CapturePoller() {
  std::lock_guard threads(thread_mu_);
  if (thread_.joinable()) StopThread();
}

void CapturePoller::StopThread() {
  const uint64_t one = 1;
  // Cannot fail short of a bug (the counter is far from overflowing).
  (void)!write(wake_fd_.get(), &one, sizeof(one));
  thread_.join();
  tid_.store(0);
}

void CapturePoller::StopIfIdle() {
  std::lock_guard threads(thread_mu_);
  {
    std::lock_guard lock(mu_);
    if (!entries_.empty() || !thread_.joinable()) return;
  }
  // No Register() can come in between: it takes thread_mu_ first.
  StopThread();
}

Status CapturePoller::EnsureStarted() {
  if (thread_.joinable()) return Status::Ok();
  UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep.valid()) return MakeError(ErrorCode::kFailed, "epoll_create1: " + ErrnoText(errno));
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return MakeError(ErrorCode::kFailed, "eventfd: " + ErrnoText(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0)
    return MakeError(ErrorCode::kFailed, "epoll_ctl(wake): " + ErrnoText(errno));
  epoll_fd_ = std::move(ep);
  wake_fd_ = std::move(wake);
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error& e) {
    return MakeError(ErrorCode::kFailed,
                     std::string("cannot start the capture poller: ") + e.what());
  }
  return Status::Ok();
}

Result<std::unique_ptr<CapturePoller::Registration>> CapturePoller::Register(int fd,
                                                                             Handler handler) {
  std::lock_guard threads(thread_mu_);
  std::lock_guard lock(mu_);
  if (Status s = EnsureStarted(); !s.ok()) return s.error();
  const uint64_t id = next_id_++;
  auto entry = std::make_shared<Entry>();
  entry->fd = fd;
  entry->handler = std::move(handler);
  epoll_event ev{};
  ev.events = EPOLLIN;  // EPOLLERR and EPOLLHUP are always reported
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    return MakeError(ErrorCode::kFailed, "cannot poll capture descriptor " + std::to_string(fd) +
                                             ": " + ErrnoText(errno));
  entries_[id] = entry;
  return std::unique_ptr<Registration>(new Registration(this, id, std::move(entry)));
}

size_t CapturePoller::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void CapturePoller::Remove(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // removed already (its handler failed)
  // Before the owner closes the descriptor: epoll forgets a descriptor only
  // when its last duplicate is closed. Fails only if it was closed already.
  epoll_event ev{};
  (void)epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, it->second->fd, &ev);
  entries_.erase(it);
}

void CapturePoller::Registration::Unregister() {
  if (!entry_) return;
  poller_->Remove(id_);
  {
    // Waits for a handler call in progress; none starts after this.
    std::lock_guard lock(entry_->mu);
    entry_->alive = false;
    entry_->handler = nullptr;  // drops what it captured, here, not on the poller
  }
  entry_.reset();  // after the unlock: this may be the entry's last owner
  poller_->StopIfIdle();
}

void CapturePoller::Run() {
  pthread_setname_np(pthread_self(), "llcap-poller");
  tid_.store(gettid());
  epoll_event events[kMaxEvents];
  for (;;) {
    const int n = epoll_wait(epoll_fd_.get(), events, kMaxEvents, -1);
    if (n < 0) {
      // EINTR; anything else (EBADF, EFAULT) would be a bug here, and a
      // short pause keeps it from spinning.
      if (errno != EINTR) SleepNs(10 * kNsPerMs);
      continue;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeId) return;  // StopThread()
      std::shared_ptr<Entry> entry;
      {
        std::lock_guard lock(mu_);
        auto it = entries_.find(id);
        if (it == entries_.end()) continue;  // unregistered since epoll_wait
        entry = it->second;
      }
      bool keep;
      {
        std::lock_guard lock(entry->mu);
        if (!entry->alive) continue;
        keep = entry->handler(events[i].events);
        if (!keep) entry->alive = false;
      }
      if (!keep) Remove(id);
    }
  }
}

}  // namespace lingerlab
