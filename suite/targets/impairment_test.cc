// Packet impairment on the client's end of a lab's link: the nft scripts
// for constructed impairments and links (what each match becomes, timed and
// untimed windows, IPv6, what is refused), and on a live netns lab (needs
// root; skips otherwise) that the rules land in the client's namespace only,
// that a window expires by itself and that Clear and Teardown remove them.
#include "suite/targets/impairment.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "suite/targets/netns_lab.h"
#include "suite/targets/process.h"

#ifndef LINGERLAB_AGENT_PATH
#error "LINGERLAB_AGENT_PATH must point at the built agent"
#endif

namespace lingerlab {
namespace {

ImpairLink Link4() {
  ImpairLink l;
  l.netns = "ll-x-01-c";
  l.interface = "eth0";
  l.client_address = "198.18.0.2";
  l.server_address = "198.18.0.1";
  return l;
}

Impairment Imp(ImpairDirection d, ImpairMatch m, int64_t for_ms = 0) {
  Impairment i;
  i.direction = d;
  i.match = m;
  i.for_ms = for_ms;
  return i;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(ImpairScriptTest, TableHasAnEgressChainToTheServerAndAnIngressChainToTheClient) {
  EXPECT_EQ(ImpairTableScript(Link4()),
            "add table netdev lingerlab\n"
            "add chain netdev lingerlab to_server { type filter hook egress device \"eth0\" "
            "priority 0; policy accept; }\n"
            "add chain netdev lingerlab to_client { type filter hook ingress device \"eth0\" "
            "priority 0; policy accept; }\n");
}

TEST(ImpairScriptTest, TimedSynDropToTheServerIsOneRuleThroughASetWithATimeout) {
  auto s = ImpairRuleScript(Link4(), Imp(ImpairDirection::kToServer, ImpairMatch::kSyn, 1500), 3);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s,
            "add set netdev lingerlab w3 { type ipv4_addr; flags timeout; }\n"
            "add element netdev lingerlab w3 { 198.18.0.1 timeout 1500ms }\n"
            "add rule netdev lingerlab to_server ip saddr 198.18.0.2 ip daddr @w3 ip protocol "
            "tcp tcp flags & (syn|ack) == syn counter drop comment \"i3\"\n");
}

TEST(ImpairScriptTest, UntimedFinDropToTheClientHasNoTimeoutAndSwapsTheAddresses) {
  auto s = ImpairRuleScript(Link4(), Imp(ImpairDirection::kToClient, ImpairMatch::kFin), 1);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(Count(*s, "timeout"), 0u) << *s;
  EXPECT_NE(s->find("{ 198.18.0.2 }"), std::string::npos) << *s;
  EXPECT_NE(s->find("to_client ip saddr 198.18.0.1 ip daddr @w1"), std::string::npos) << *s;
  EXPECT_NE(s->find("tcp flags & fin == fin counter drop"), std::string::npos) << *s;
}

TEST(ImpairScriptTest, EachMatchHasItsOwnTest) {
  const std::pair<ImpairMatch, const char*> cases[] = {
      {ImpairMatch::kSynAck, "tcp flags & (syn|ack) == syn|ack counter"},
      {ImpairMatch::kRst, "tcp flags & rst == rst counter"},
      {ImpairMatch::kAny, "ip protocol tcp counter"}};
  for (auto [m, want] : cases) {
    auto s = ImpairRuleScript(Link4(), Imp(ImpairDirection::kToServer, m), 1);
    ASSERT_TRUE(s.ok());
    EXPECT_NE(s->find(want), std::string::npos) << ImpairMatchName(m) << ": " << *s;
    EXPECT_EQ(Count(*s, "add rule"), 1u);
  }
}

// nft cannot subtract header lengths: one rule per TCP header length.
TEST(ImpairScriptTest, AckAndDataCompareTheLengthWithAnEmptySegmentsPerHeaderLength) {
  auto ack = ImpairRuleScript(Link4(), Imp(ImpairDirection::kToServer, ImpairMatch::kAck), 2);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(Count(*ack, "add rule"), 11u) << *ack;
  EXPECT_NE(ack->find("tcp flags & (syn|fin|rst|ack) == ack ip hdrlength 5 tcp doff 5 ip length "
                      "== 40 counter"),
            std::string::npos)
      << *ack;
  EXPECT_NE(ack->find("tcp doff 15 ip length == 80 counter"), std::string::npos) << *ack;
  auto data = ImpairRuleScript(Link4(), Imp(ImpairDirection::kToClient, ImpairMatch::kData), 2);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(Count(*data, "add rule"), 11u);
  EXPECT_EQ(Count(*data, "tcp flags"), 0u) << *data;
  EXPECT_NE(data->find("tcp doff 8 ip length != 52 counter"), std::string::npos) << *data;
}

TEST(ImpairScriptTest, Ipv6UsesIp6FieldsAndThePayloadLength) {
  ImpairLink l = Link4();
  l.family = "inet6";
  l.client_address = "fd00:198:18:1::2";
  l.server_address = "fd00:198:18:1::1";
  auto s = ImpairRuleScript(l, Imp(ImpairDirection::kToServer, ImpairMatch::kAck, 10), 1);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_NE(s->find("type ipv6_addr; flags timeout;"), std::string::npos) << *s;
  EXPECT_NE(s->find("ip6 saddr fd00:198:18:1::2 ip6 daddr @w1 ip6 nexthdr tcp"), std::string::npos)
      << *s;
  EXPECT_NE(s->find("tcp doff 5 ip6 length == 20 counter"), std::string::npos) << *s;
  EXPECT_EQ(Count(*s, "hdrlength"), 0u);
}

TEST(ImpairScriptTest, DelayIsUnsupportedAndABadLinkNeverReachesAScript) {
  Impairment delay = Imp(ImpairDirection::kToServer, ImpairMatch::kSyn);
  delay.action = ImpairAction::kDelay;
  delay.delay_ms = 100;
  auto d = ImpairRuleScript(Link4(), delay, 1);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(d.error().message.find("netem"), std::string::npos) << d.error().message;

  const Impairment syn = Imp(ImpairDirection::kToServer, ImpairMatch::kSyn);
  for (auto bad :
       {std::pair{"address", "198.18.0.1; flush ruleset"}, std::pair{"address", "fd00::1"},
        std::pair{"interface", "eth0\" x"}, std::pair{"interface", ""}}) {
    ImpairLink l = Link4();
    (std::string(bad.first) == "address" ? l.server_address : l.interface) = bad.second;
    auto r = ImpairRuleScript(l, syn, 1);
    ASSERT_FALSE(r.ok()) << bad.second;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
}

TEST(ImpairLinkTest, TheClientsNamespaceAndInterfaceAndTheServersFamily) {
  HostInfo server{"198.18.0.5", "ll-r-02-s", "/run/netns/ll-r-02-s", "eth0", "", "inet"};
  HostInfo client{"198.18.0.6", "ll-r-02-c", "/run/netns/ll-r-02-c", "", "", "inet"};
  const ImpairLink l = ClientImpairLink(client, server);
  EXPECT_EQ(l.netns, "ll-r-02-c");
  EXPECT_EQ(l.interface, "eth0");  // the lab's default
  EXPECT_EQ(l.client_address, "198.18.0.6");
  EXPECT_EQ(l.server_address, "198.18.0.5");
  EXPECT_EQ(l.family, "inet");
}

std::string Nft(const std::string& netns, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"nft"};
  if (!netns.empty()) argv = {"ip", "netns", "exec", netns, "nft"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv).output;
}

class LiveImpairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN)";
    if (FindExecutable("nft").empty()) GTEST_SKIP() << "needs nftables' nft";
    std::random_device rd;
    char run[16];
    std::snprintf(run, sizeof(run), "i%07x", rd() & 0xfffffff);
    auto t = MakeTarget("netns", TargetConfig::For(LINGERLAB_AGENT_PATH, run));
    ASSERT_TRUE(t.ok());
    target_ = std::move(*t);
    ASSERT_TRUE(target_->CheckUsable().ok());
  }
  std::unique_ptr<Target> target_;
};

TEST_F(LiveImpairTest, RulesGoToTheClientsNamespaceOnlyExpireAndAreCleared) {
  const std::string root_before = Nft("", {"list", "ruleset"});
  auto lab = target_->Provision("05", 5);
  ASSERT_TRUE(lab.ok()) << lab.error().message;
  const std::string cns = (*lab)->host(Role::kClient).netns;
  const std::string sns = (*lab)->host(Role::kServer).netns;

  Status a = (*lab)->Impair(Imp(ImpairDirection::kToServer, ImpairMatch::kSyn, 300));
  ASSERT_TRUE(a.ok()) << a.message();
  Status b = (*lab)->Impair(Imp(ImpairDirection::kToClient, ImpairMatch::kData));
  ASSERT_TRUE(b.ok()) << b.message();
  const std::string table = Nft(cns, {"list", "table", "netdev", "lingerlab"});
  EXPECT_EQ(Count(table, "comment \"i1\""), 1u) << table;
  EXPECT_EQ(Count(table, "comment \"i2\""), 11u) << table;
  EXPECT_NE(table.find("198.18.0.21 timeout"), std::string::npos) << table;  // slot 5's server
  EXPECT_EQ(Nft(sns, {"list", "ruleset"}), "");
  EXPECT_EQ(Nft("", {"list", "ruleset"}), root_before);

  // The window ends by the kernel's timer: the set is empty after it.
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  const std::string w1 = Nft(cns, {"list", "set", "netdev", "lingerlab", "w1"});
  EXPECT_EQ(w1.find("elements"), std::string::npos) << w1;

  Status c = (*lab)->ClearImpairments();
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(Nft(cns, {"list", "ruleset"}), "");
  // Applied again (a fresh table), then gone with the lab.
  ASSERT_TRUE((*lab)->Impair(Imp(ImpairDirection::kToServer, ImpairMatch::kRst)).ok());
  EXPECT_NE(Nft(cns, {"list", "ruleset"}).find("comment \"i1\""), std::string::npos);
  Status t = (*lab)->Teardown(kNsPerSec);
  EXPECT_TRUE(t.ok()) << t.message();
  EXPECT_FALSE(NamespaceExists(cns));
  EXPECT_EQ(Nft("", {"list", "ruleset"}), root_before);
}

}  // namespace
}  // namespace lingerlab
