// The netlink module on this machine's kernel: namespaces that `ip netns`
// agrees about, a veth between two of them that carries TCP over IPv4 and
// IPv6 at once, offloads off, and clear errors. Needs root; skips otherwise.
// Names are llnl-<pid>-...: never another test's; every test removes what
// it made, also when an assertion fails half-way.
#include "suite/targets/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <thread>

#include "agents/base/clock.h"
#include "suite/targets/netns_target.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

bool Exists(const std::string& name) {
  struct stat st {};
  return ::stat(NetnsPath(name).c_str(), &st) == 0;
}

bool IpNetnsLists(const std::string& name) {
  CommandResult r = RunCommand({"ip", "netns", "list"});
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line))
    if (line.substr(0, line.find(' ')) == name) return true;
  return false;
}

// A socket opened inside the namespace at `path` (it stays there).
UniqueFd SocketIn(const std::string& path, int family) {
  UniqueFd out;
  std::thread t([&] {
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (ns.valid() && ::setns(ns.get(), CLONE_NEWNET) == 0)
      out = UniqueFd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  });
  t.join();
  return out;
}

sockaddr_storage Endpoint(const std::string& address, int port, socklen_t* len) {
  sockaddr_storage ss{};
  if (address.find(':') == std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &a->sin_addr);
    *len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET6, address.c_str(), &a->sin6_addr);
    *len = sizeof(sockaddr_in6);
  }
  return ss;
}

class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN)";
    const std::string base = "llnl-" + std::to_string(::getpid()) + "-";
    a_ = base + "a";
    b_ = base + "b";
  }
  void TearDown() override {
    for (const std::string& n : {a_, b_})
      if (!n.empty() && Exists(n)) (void)DeleteNetns(n);
  }
  // Two namespaces joined by eth0 <-> eth0, addresses of slot `slot`, up.
  void MakeLink(int ip, LinkAddresses* addrs) {
    ASSERT_TRUE(CreateNetns(a_).ok());
    ASSERT_TRUE(CreateNetns(b_).ok());
    auto links_a = NetnsLinks::Open(NetnsPath(a_));
    auto links_b = NetnsLinks::Open(NetnsPath(b_));
    ASSERT_TRUE(links_a.ok()) << links_a.error().message;
    ASSERT_TRUE(links_b.ok()) << links_b.error().message;
    Status v = links_a->AddVeth("eth0", "eth0", NetnsPath(b_));
    ASSERT_TRUE(v.ok()) << v.message();
    auto slot = AddressesForIndex(32700, ip);
    ASSERT_TRUE(slot.ok());
    *addrs = *slot;
    for (auto [links, address] :
         {std::pair{&*links_a, slot->server}, std::pair{&*links_b, slot->client}}) {
      Status s = links->AddAddress("eth0", address, slot->prefix_len);
      ASSERT_TRUE(s.ok()) << s.message();
      s = links->SetUp("eth0");
      ASSERT_TRUE(s.ok()) << s.message();
    }
    for (NetnsLinks* links : {&*links_a, &*links_b}) {
      Status s = links->WaitUntilRunning("eth0", 5 * kNsPerSec);
      ASSERT_TRUE(s.ok()) << s.message();
    }
  }
  // A TCP connection from b to a's address, accepted in a.
  void ExpectTcpConnects(const LinkAddresses& addrs) {
    const int family = addrs.family == "inet6" ? AF_INET6 : AF_INET;
    UniqueFd listener = SocketIn(NetnsPath(a_), family);
    UniqueFd client = SocketIn(NetnsPath(b_), family);
    ASSERT_TRUE(listener.valid() && client.valid());
    socklen_t len = 0;
    sockaddr_storage server = Endpoint(addrs.server, 5001, &len);
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&server), len), 0)
        << std::strerror(errno);
    ASSERT_EQ(::listen(listener.get(), 1), 0);
    timeval tv{5, 0};
    ::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&server), len), 0)
        << std::strerror(errno);
    UniqueFd accepted(::accept(listener.get(), nullptr, nullptr));
    EXPECT_TRUE(accepted.valid());
    // The client's own address is b's: the packets crossed this veth.
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    ::getsockname(client.get(), reinterpret_cast<sockaddr*>(&local), &local_len);
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr)
            : &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr;
    ::inet_ntop(family, raw, text, sizeof(text));
    EXPECT_EQ(text, addrs.client);
  }
  std::string a_, b_;
};

TEST_F(NetlinkTest, CreatedNamespaceIsListedByIpAndGoneAfterDelete) {
  Status s = CreateNetns(a_);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(Exists(a_));
  EXPECT_TRUE(IpNetnsLists(a_));
  // It is a namespace of its own, not ours.
  struct stat ours {
  }, its{};
  ASSERT_EQ(::stat("/proc/self/ns/net", &ours), 0);
  ASSERT_EQ(::stat(NetnsPath(a_).c_str(), &its), 0);
  EXPECT_NE(ours.st_ino, its.st_ino);
  // `ip netns exec` enters it as before (a fresh namespace has only lo).
  CommandResult links = RunCommand({"ip", "netns", "exec", a_, "ip", "-o", "link"});
  EXPECT_EQ(links.exit_code, 0) << links.output;
  EXPECT_NE(links.output.find("lo:"), std::string::npos) << links.output;
  EXPECT_EQ(links.output.find("eth0"), std::string::npos) << links.output;
  s = DeleteNetns(a_);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(Exists(a_));
  EXPECT_FALSE(IpNetnsLists(a_));
}

TEST_F(NetlinkTest, VethBetweenTwoNamespacesCarriesTcpOverIpv4) {
  LinkAddresses addrs;
  ASSERT_NO_FATAL_FAILURE(MakeLink(4, &addrs));
  ExpectTcpConnects(addrs);
  // Each end is eth0 in its own namespace, with its /30.
  CommandResult shown = RunCommand({"ip", "-n", b_, "-4", "-o", "addr", "show", "dev", "eth0"});
  EXPECT_NE(shown.output.find(addrs.client + "/30"), std::string::npos) << shown.output;
}

TEST_F(NetlinkTest, Ipv6NodadAddressIsUsableAtOnce) {
  LinkAddresses addrs;
  ASSERT_NO_FATAL_FAILURE(MakeLink(6, &addrs));
  // No wait for duplicate address detection: bind and connect right away.
  ExpectTcpConnects(addrs);
  CommandResult shown = RunCommand({"ip", "-n", a_, "-6", "addr", "show", "dev", "eth0"});
  const size_t at = shown.output.find(addrs.server + "/64");
  ASSERT_NE(at, std::string::npos) << shown.output;
  const std::string line = shown.output.substr(at, shown.output.find('\n', at) - at);
  EXPECT_NE(line.find("nodad"), std::string::npos) << line;
  EXPECT_EQ(line.find("tentative"), std::string::npos) << line;
}

TEST_F(NetlinkTest, OffloadsAreReportedOffAfterDisabling) {
  LinkAddresses addrs;
  ASSERT_NO_FATAL_FAILURE(MakeLink(4, &addrs));
  auto links = NetnsLinks::Open(NetnsPath(a_));
  ASSERT_TRUE(links.ok());
  auto before = links->GetOffloads("eth0");
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_TRUE(before->tso);  // veth's default: the call below changes something
  Status s = links->DisableOffloads("eth0");
  EXPECT_TRUE(s.ok()) << s.message();
  auto after = links->GetOffloads("eth0");
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_FALSE(after->tso);
  EXPECT_FALSE(after->gso);
  EXPECT_FALSE(after->gro);
  // ethtool agrees, for every TCP segmentation variant this kernel has.
  CommandResult k = RunCommand({"ip", "netns", "exec", a_, "ethtool", "-k", "eth0"});
  if (k.exit_code == 0) {
    for (const char* off : {"tcp-segmentation-offload: off", "generic-segmentation-offload: off",
                            "generic-receive-offload: off"})
      EXPECT_NE(k.output.find(off), std::string::npos) << k.output;
    std::istringstream lines(k.output);
    for (std::string line; std::getline(lines, line);)
      if (line.find("tx-tcp") != std::string::npos) {
        EXPECT_NE(line.find(": off"), std::string::npos) << line;
      }
  }
}

TEST_F(NetlinkTest, ErrorsNameTheOperationAndChangeNothing) {
  ASSERT_TRUE(CreateNetns(a_).ok());
  Status again = CreateNetns(a_);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find(a_), std::string::npos) << again.message();
  EXPECT_NE(again.message().find("EEXIST"), std::string::npos) << again.message();
  EXPECT_TRUE(Exists(a_));  // the existing one is untouched, still a namespace
  EXPECT_TRUE(NetnsLinks::Open(NetnsPath(a_)).ok());

  Status missing = DeleteNetns(b_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.message().find(b_), std::string::npos) << missing.message();
  EXPECT_EQ(CreateNetns("a/b").code(), ErrorCode::kInvalidInput);
  EXPECT_FALSE(NetnsLinks::Open(NetnsPath(b_)).ok());

  auto links = NetnsLinks::Open(NetnsPath(a_));
  ASSERT_TRUE(links.ok());
  Status no_if = links->AddAddress("nosuchif0", "198.18.0.1", 30);
  ASSERT_FALSE(no_if.ok());
  EXPECT_EQ(no_if.code(), ErrorCode::kNotFound);
  EXPECT_NE(no_if.message().find("nosuchif0"), std::string::npos) << no_if.message();
  EXPECT_EQ(links->SetUp("a-name-far-too-long-for-linux").code(), ErrorCode::kInvalidInput);
  EXPECT_FALSE(links->SetUp("nosuchif0").ok());
  EXPECT_FALSE(links->DisableOffloads("nosuchif0").ok());
  EXPECT_EQ(links->AddAddress("lo", "not-an-address", 30).code(), ErrorCode::kInvalidInput);
  // The kernel's refusal comes back as a Status: lo exists already.
  ASSERT_TRUE(CreateNetns(b_).ok());
  Status dup = links->AddVeth("lo", "eth0", NetnsPath(b_));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.message().find("EEXIST"), std::string::npos) << dup.message();
  EXPECT_NE(dup.message().find("add veth"), std::string::npos) << dup.message();
}

}  // namespace
}  // namespace lingerlab
