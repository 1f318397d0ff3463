// Test helper: target tests that make a dead run's leftovers and sweep hold
// this lock for the whole test. A sweep removes every dead run's namespaces,
// not only the test's own, so two such tests at once (ctest -j) would remove
// each other's leftovers and each miss its own in the sweep's list. The
// file is not "*.lock", so no sweep takes it for a run's lock.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "suite/targets/netns_lab.h"

namespace lingerlab {

class SweepTestLock {
 public:
  SweepTestLock() {
    ::mkdir(kRunLockDir, 0755);
    fd_ = ::open((std::string(kRunLockDir) + "/sweep-tests.mutex").c_str(),
                 O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~SweepTestLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  SweepTestLock(const SweepTestLock&) = delete;
  SweepTestLock& operator=(const SweepTestLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace lingerlab
