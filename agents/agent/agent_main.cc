// lingerlab-agent: performs socket steps for the coordinator and reports each
// one. A thin main over agent_session; the protocol is doc/protocol.md.
//
// The command line is parsed by hand: the agent builds with a C++20
// compiler, CMake, libpcap, nlohmann/json and OpenSSL only (remote hosts
// build nothing else).
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "agents/agent/agent_session.h"
#include "agents/agent/listener.h"
#include "agents/base/version.h"
#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/auth.h"

namespace {

// Exit codes: 0 the session ended normally (bye or coordinator gone), or
// --keygen wrote its key; 1 a protocol error on the channel; 2 bad command
// line (a --listen port outside 0..65535 too, --listen without --key, a key
// file refused), cannot listen, accepting failed, or --keygen failed.
constexpr int kExitOk = 0;
constexpr int kExitProtocol = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "usage: lingerlab-agent --control-fd N\n"
    "       lingerlab-agent --listen ADDRESS:PORT --key FILE\n"
    "       lingerlab-agent --keygen FILE\n"
    "       lingerlab-agent --help | --version\n";

constexpr const char* kHelp =
    "lingerlab-agent: performs TCP socket steps on request of the lingerlab coordinator and\n"
    "reports each with its return value, errno and timestamps (protocol: doc/protocol.md).\n"
    "It keeps no test logic and stays alive after close() until told to stop.\n"
    "\n"
    "Options:\n"
    "  --control-fd N          serve the control channel on this inherited descriptor; exit\n"
    "                          when it ends (the local lab; not authenticated)\n"
    "  --listen ADDRESS:PORT   serve coordinators over TCP until killed (remote agents):\n"
    "                          each must prove it holds the key of --key; the sessions of\n"
    "                          one run are served at once, other runs get 'busy'\n"
    "  --key FILE              the pre-shared key for --listen (mode 0600; see --keygen)\n"
    "  --keygen FILE           write a new random key to FILE (mode 0600) and exit; copy it\n"
    "                          to the coordinator's host (lingerlab keygen FILE does the same)\n"
    "  --help                  this text\n"
    "  --version               the agent's version and commit\n"
    "\n"
    "Exit codes: 0 normal end; 1 protocol error on the control channel; 2 bad command\n"
    "line, key file refused, cannot listen.\n";

struct Args {
  std::optional<int> control_fd;
  std::string listen;
  std::string key;
  std::string keygen;
  bool help = false;
  bool version = false;
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "lingerlab-agent: %s\n%s", message.c_str(), kUsage);
  return kExitUsage;
}

// Parses argv into `out`; on a bad command line prints why and returns the
// exit code.
std::optional<int> Parse(int argc, char** argv, Args& out) {
  bool seen_fd = false, seen_listen = false, seen_key = false, seen_keygen = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        inline_value = std::string(arg.substr(eq + 1));
        arg = arg.substr(0, eq);
      }
    }
    auto flag = [&](bool& dest) -> std::optional<int> {
      if (inline_value) return UsageError(std::string(arg) + " takes no value");
      dest = true;
      return std::nullopt;
    };
    auto value = [&](bool& seen, std::string& dest) -> std::optional<int> {
      if (seen) return UsageError(std::string(arg) + " given twice");
      seen = true;
      if (inline_value) {
        dest = *inline_value;
      } else if (i + 1 < argc) {
        dest = argv[++i];
      } else {
        return UsageError(std::string(arg) + " needs a value");
      }
      if (dest.empty()) return UsageError(std::string(arg) + " needs a non-empty value");
      return std::nullopt;
    };
    std::optional<int> failed;
    if (arg == "--help" || arg == "-h") {
      failed = flag(out.help);
    } else if (arg == "--version") {
      failed = flag(out.version);
    } else if (arg == "--listen") {
      failed = value(seen_listen, out.listen);
    } else if (arg == "--key") {
      failed = value(seen_key, out.key);
    } else if (arg == "--keygen") {
      failed = value(seen_keygen, out.keygen);
    } else if (arg == "--control-fd") {
      std::string text;
      failed = value(seen_fd, text);
      if (!failed) {
        int fd = -1;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
        if (ec != std::errc() || end != text.data() + text.size() || fd < 0)
          return UsageError("--control-fd wants a descriptor number, got '" + text + "'");
        out.control_fd = fd;
      }
    } else {
      return UsageError("unknown option '" + std::string(arg) + "'");
    }
    if (failed) return failed;
  }
  if (out.help || out.version) return std::nullopt;
  const int modes = int{out.control_fd.has_value()} + int{seen_listen} + int{seen_keygen};
  if (modes == 0) return UsageError("give --control-fd N, --listen ADDRESS:PORT or --keygen FILE");
  if (modes > 1) return UsageError("--control-fd, --listen and --keygen exclude each other");
  if (seen_key && !seen_listen) return UsageError("--key goes with --listen");
  if (seen_listen && !seen_key)
    return UsageError(
        "refusing to listen without --key FILE: a remote agent serves only coordinators that "
        "prove they hold its pre-shared key (make one with: lingerlab-agent --keygen FILE)");
  return std::nullopt;
}

int ServeFd(int fd, const lingerlab::AgentIdentity& id) {
  lingerlab::Channel ch{lingerlab::UniqueFd(fd)};
  lingerlab::StepExecutor exec(lingerlab::MakeNativeSocketApi());
  auto end = lingerlab::ServeSession(ch, exec, id);
  return end == lingerlab::SessionEnd::kProtocolError ? kExitProtocol : kExitOk;
}

int Keygen(const std::string& path) {
  lingerlab::Status s = lingerlab::WriteNewKeyFile(path);
  if (!s.ok()) {
    std::fprintf(stderr, "lingerlab-agent: %s\n", s.message().c_str());
    return kExitUsage;
  }
  std::fprintf(stderr,
               "lingerlab-agent: wrote a new key to %s (mode 0600); give it to the agent with "
               "--key and to the coordinator; keep it secret\n",
               path.c_str());
  return kExitOk;
}

int ServeTcp(const std::string& listen, const std::string& key_path,
             const lingerlab::AgentIdentity& id) {
  auto where = lingerlab::ParseListenAddress(listen);
  if (!where.ok()) {
    std::fprintf(stderr, "lingerlab-agent: %s\n", where.error().message.c_str());
    return kExitUsage;
  }
  auto key = lingerlab::LoadKeyFile(key_path);
  if (!key.ok()) {
    std::fprintf(stderr, "lingerlab-agent: %s\n", key.error().message.c_str());
    return kExitUsage;
  }
  if (lingerlab::IsWildcardAddress(where->address))
    std::fprintf(stderr,
                 "lingerlab-agent: warning: listening on %s accepts connections on every "
                 "interface; prefer the address of the test network\n",
                 where->address.c_str());
  auto lfd = lingerlab::ListenTcp(where->address, where->port);
  if (!lfd.ok()) {
    std::fprintf(stderr, "lingerlab-agent: cannot listen on %s: %s\n", listen.c_str(),
                 lfd.error().message.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "lingerlab-agent: listening on %s:%d (authenticated coordinators only)\n",
               where->address.c_str(), lingerlab::LocalPort(lfd->get()).value());
  lingerlab::ListenerOptions options;
  options.key = *std::move(key);
  options.log = [](const std::string& line) {
    std::fprintf(stderr, "lingerlab-agent: %s\n", line.c_str());
  };
  // The sessions of one lease at a time; others get `busy`. Runs until killed.
  lingerlab::Status served = lingerlab::ServeListener(lfd->get(), id, options);
  std::fprintf(stderr, "lingerlab-agent: %s\n", served.message().c_str());
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // SIGPIPE ignored (POSIX), Winsock started (Windows).
  if (lingerlab::Status ready = lingerlab::PrepareAgentProcess(); !ready.ok()) {
    std::fprintf(stderr, "lingerlab-agent: %s\n", ready.message().c_str());
    return kExitUsage;
  }
  Args args;
  if (auto failed = Parse(argc, argv, args)) return *failed;
  if (args.help) {
    std::fputs(kUsage, stdout);
    std::fputs("\n", stdout);
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (args.version) {
    std::printf("%s (%s)\n", LINGERLAB_VERSION, LINGERLAB_GIT_COMMIT);
    return kExitOk;
  }
  if (!args.keygen.empty()) return Keygen(args.keygen);
  lingerlab::AgentIdentity id{LINGERLAB_VERSION, LINGERLAB_GIT_COMMIT,
                              lingerlab::DescribeHostPlatform()};
  return args.control_fd ? ServeFd(*args.control_fd, id) : ServeTcp(args.listen, args.key, id);
}
