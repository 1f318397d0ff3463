// Test-only: network namespaces and TCP traffic for the live capture tests,
// and the process's thread count (what the shared poller saves).
// A NetnsGuard owns the namespace it made and deletes it when the test ends,
// pass or fail; the sockets a helper makes are closed before it returns.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "agents/platform/unique_fd.h"

namespace lingerlab {

inline bool IsRoot() { return geteuid() == 0; }
#define SKIP_UNLESS_ROOT() \
  if (!IsRoot())           \
  GTEST_SKIP() << "needs root: CAP_NET_ADMIN for a test namespace, CAP_NET_RAW to capture"

// Runs a command line quietly; true if it exited 0.
inline bool RunQuiet(const std::string& command) {
  const int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

// A fresh network namespace with lo up, deleted when the guard goes out of
// scope, whether the test passed or not.
class NetnsGuard {
 public:
  NetnsGuard() {
    static std::atomic<int> counter{0};
    name_ = "llcap-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    created_ = RunQuiet("ip netns add " + name_);
    up_ = created_ && RunQuiet("ip -n " + name_ + " link set lo up");
  }
  ~NetnsGuard() {
    if (created_ && !RunQuiet("ip netns del " + name_))
      ADD_FAILURE() << "could not delete " << name_;
  }
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

  bool ok() const { return up_; }
  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

 private:
  std::string name_;
  bool created_ = false;
  bool up_ = false;
};

inline std::string ErrnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Runs `fn` on a thread that has entered the namespace at `netns_path`
// (setns() affects only that thread); returns fn's error text, "" if none.
inline std::string RunInNetns(const std::string& netns_path,
                              const std::function<std::string()>& fn) {
  std::string result;
  std::thread t([&] {
    UniqueFd ns(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) {
      result = ErrnoText("open netns");
      return;
    }
    if (setns(ns.get(), CLONE_NEWNET) != 0) {
      result = ErrnoText("setns");
      return;
    }
    result = fn();
  });
  t.join();
  return result;
}

// A TCP socket in the namespace at `netns_path` ("": this thread's). A
// socket stays in the namespace it was made in, whichever thread uses it.
inline UniqueFd TcpSocketIn(const std::string& netns_path, std::string* error) {
  UniqueFd fd;
  auto make = [&] {
    fd.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    return fd.valid() ? std::string() : ErrnoText("socket");
  };
  *error = netns_path.empty() ? make() : RunInNetns(netns_path, make);
  return fd;
}

// A client in `client_ns` connects to `server_ip`:port, where a listener in
// `server_ns` accepts ("" for either: this thread's namespace); the client
// writes `bytes` and closes, the server reads them all, reads EOF and closes.
// Returns the error text, "" if none.
inline std::string ExchangeBetween(const std::string& server_ns, const std::string& client_ns,
                                   const std::string& server_ip, int port, size_t bytes) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, server_ip.c_str(), &addr.sin_addr) != 1) return "bad address " + server_ip;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  std::string err;
  UniqueFd listener = TcpSocketIn(server_ns, &err);
  if (!err.empty()) return err;
  const int one = 1;
  setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(listener.get(), sa, sizeof(addr)) != 0) return ErrnoText("bind");
  if (listen(listener.get(), 1) != 0) return ErrnoText("listen");
  UniqueFd client = TcpSocketIn(client_ns, &err);
  if (!err.empty()) return err;
  if (connect(client.get(), sa, sizeof(addr)) != 0) return ErrnoText("connect");
  UniqueFd server(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!server.valid()) return ErrnoText("accept");
  const std::string data(bytes, 'd');
  if (write(client.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    return ErrnoText("write");
  }
  client.reset();  // close: the client's FIN
  size_t got = 0;
  char buf[4096];
  while (true) {
    const ssize_t n = read(server.get(), buf, sizeof(buf));
    if (n < 0) return ErrnoText("read");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != bytes) return "server read " + std::to_string(got) + " bytes";
  return "";  // the server's close (its FIN) happens as `server` goes out of scope
}

// Over 127.0.0.1:port in the current thread's namespace.
inline std::string Exchange(int port, size_t bytes) {
  return ExchangeBetween("", "", "127.0.0.1", port, bytes);
}

// Threads of this process now (entries of /proc/self/task), -1 if unknown.
inline int ThreadsOfThisProcess() {
  int n = 0;
  DIR* d = opendir("/proc/self/task");
  if (!d) return -1;
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

}  // namespace lingerlab
