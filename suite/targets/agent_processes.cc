#include "suite/targets/agent_processes.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"
#include "suite/targets/process.h"

namespace lingerlab {

AgentProcesses::~AgentProcesses() { (void)Stop(0); }

Result<AgentProcess> AgentProcesses::Spawn(const Spawner& spawn) {
  int fds[2];
  if (Status s = MakeStreamPair(fds); !s.ok()) return s.error();
  UniqueFd ours(fds[0]), theirs(fds[1]);
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return MakeError(ErrorCode::kCancelled, "lab already torn down");
  auto pid = spawn(theirs.get());
  if (!pid.ok()) return pid.error();
  pids_.push_back(*pid);
  return AgentProcess{Channel(std::move(ours)), *pid};
}

Result<AgentProcess> AgentProcesses::Watch(Channel channel) {
  // A duplicate lets KillAll() end the session from another thread without
  // racing the channel's owner over the descriptor's number.
  UniqueFd watch(::dup(channel.fd()));
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return MakeError(ErrorCode::kCancelled, "lab already torn down");
  if (watch.valid()) sessions_.push_back(std::move(watch));
  return AgentProcess{std::move(channel), -1};
}

void AgentProcesses::KillAll(const std::function<void()>& also) {
  std::lock_guard<std::mutex> lock(mu_);
  for (pid_t p : pids_) ::kill(p, SIGKILL);  // reaped in Stop()
  for (const UniqueFd& fd : sessions_) ::shutdown(fd.get(), SHUT_RDWR);
  if (also) also();
}

Status AgentProcesses::Stop(int64_t grace_ns, const std::function<Status()>& then) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return Status::Ok();
  stopped_ = true;
  for (pid_t p : pids_) StopProcess(p, grace_ns);
  pids_.clear();
  sessions_.clear();  // the AgentProcess owners close the channels themselves
  return then ? then() : Status::Ok();
}

std::optional<int> AgentProcesses::Reap(pid_t pid, int64_t wait_ns) {
  const int64_t deadline = MonotonicNs() + wait_ns;
  for (;;) {
    {
      // Not held while sleeping: KillAll() may come from another thread.
      std::lock_guard<std::mutex> lock(mu_);
      auto it = std::find(pids_.begin(), pids_.end(), pid);
      if (it == pids_.end()) return std::nullopt;
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pids_.erase(it);
        return status;
      }
    }
    if (MonotonicNs() >= deadline) return std::nullopt;
    SleepNs(5 * kNsPerMs);
  }
}

bool AgentProcesses::stopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_;
}

std::vector<pid_t> AgentProcesses::pids() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pids_;
}

}  // namespace lingerlab
