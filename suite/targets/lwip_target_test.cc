// The lwip target's pure pieces: where its agent is, what it is told, and
// how the server's namespace is rewired (veth without address, bridged with
// the tap lwIP answers on). The run itself: suite/cli/lwip_e2e_test.cc.
#include "suite/targets/lwip_target.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "suite/targets/netns_lab.h"
#include "suite/targets/target.h"

namespace lingerlab {
namespace {

TEST(LwipTargetTest, AgentIsBesideTheHostAgent) {
  EXPECT_EQ(LwipAgentBeside("/opt/ll/bin/lingerlab-agent"), "/opt/ll/bin/lingerlab-agent-lwip");
  EXPECT_EQ(LwipAgentBeside("lingerlab-agent"), "lingerlab-agent-lwip");
}

TEST(LwipTargetTest, AgentGetsTheTapAndTheServersAddress) {
  EXPECT_EQ(LwipAgentArgs("198.18.0.5", 30),
            (std::vector<std::string>{"--tap", kLwipTapName, "--address", "198.18.0.5/30"}));
}

TEST(LwipTargetTest, KernelGivesUpTheAddressBeforeTheTapIsBridged) {
  auto steps = LwipServerLinkSteps("ll-r-01-s", "198.18.0.1", 30);
  ASSERT_FALSE(steps.empty());
  for (const auto& argv : steps) {
    ASSERT_GE(argv.size(), 3u);
    EXPECT_EQ(argv[0], "ip");
    EXPECT_EQ(argv[1], "-n");
    EXPECT_EQ(argv[2], "ll-r-01-s");  // every device is made inside the namespace
    // No step gives the kernel an address.
    EXPECT_FALSE(argv.size() > 4 && argv[3] == "addr" && argv[4] == "add");
  }
  EXPECT_EQ(steps.front(), (std::vector<std::string>{"ip", "-n", "ll-r-01-s", "addr", "del",
                                                     "198.18.0.1/30", "dev", kLabIfName}));
  auto has = [&](std::vector<std::string> want) {
    return std::find(steps.begin(), steps.end(), want) != steps.end();
  };
  EXPECT_TRUE(has({"ip", "-n", "ll-r-01-s", "tuntap", "add", "dev", kLwipTapName, "mode", "tap"}));
  EXPECT_TRUE(has({"ip", "-n", "ll-r-01-s", "link", "set", kLabIfName, "master", kLwipBridgeName}));
  EXPECT_TRUE(
      has({"ip", "-n", "ll-r-01-s", "link", "set", kLwipTapName, "master", kLwipBridgeName}));
}

TEST(LwipTargetTest, IsRegisteredWithItsStack) {
  auto names = TargetNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "lwip"), names.end());
  auto t = MakeTarget("lwip", TargetConfig::For("/nonexistent/lingerlab-agent", "lwipt1"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->Name(), "lwip");
  EXPECT_EQ((*t)->Stack(), "lwip");
}

}  // namespace
}  // namespace lingerlab
