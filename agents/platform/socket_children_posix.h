// Processes that hold a copy of a test socket, for PosixSocketApi's
// ForkClose and HandToChild (doc/protocol.md §3.2, fork_close and
// hand_to_child). The agent is multithreaded, so a child makes only
// async-signal-safe calls (close, read, _exit) and never returns into the
// agent's code. A failed fork is reported as ret -1 + errno, nothing more.
#pragma once

#include <memory>

#include "agents/platform/socket_api.h"

namespace lingerlab::posix {

// fork(); the child closes `fd` and calls _exit(0); the parent waits up to
// limit_ms for it, then SIGKILLs and reaps it (out->limit). ret: the pid.
SysResult ForkAndClose(int fd, int limit_ms, ChildEnd* out);

// fork() a child that keeps `fd` (and closes every other descriptor, so it
// holds no other test socket nor the control channel open) and blocks
// reading a socketpair until its holder writes a byte or goes away: when the
// agent dies, the read sees end of file and the child exits too. ret: the pid.
SysResult ForkHolder(int fd, std::unique_ptr<SocketHolder>* out);

}  // namespace lingerlab::posix
