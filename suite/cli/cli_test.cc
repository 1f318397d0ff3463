// The command lines of `lingerlab keygen` and `lingerlab-agent` (its
// hand-written option parser, --keygen, and --listen's refusals): the
// binaries run as a user would run them. Needs no root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agents/platform/stream_io.h"
#include "agents/protocol/auth.h"
#include "suite/targets/process.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;

class CommandLineTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshDir("ll-cli"); }
  void TearDown() override { fs::remove_all(dir_); }
  static CommandResult Agent(const std::vector<std::string>& args) {
    return RunProgram(LINGERLAB_AGENT_PATH, args, 10 * kNsPerSec);
  }
  static CommandResult Lingerlab(const std::vector<std::string>& args) {
    return RunLingerlab(args, 10 * kNsPerSec);
  }
  static mode_t Mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  fs::path dir_;
};

TEST_F(CommandLineTest, LingerlabKeygenWritesAPrivateKeyAndNeverReplacesOne) {
  const fs::path key = dir_ / "lab.key";
  auto r = Lingerlab({"keygen", key.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Mode(key), 0600u);
  auto loaded = LoadKeyFile(key.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->bytes.size(), 32u);
  auto again = Lingerlab({"keygen", key.string()});
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("exists"), std::string::npos) << again.output;
  EXPECT_EQ(LoadKeyFile(key.string())->bytes, loaded->bytes);
  EXPECT_EQ(Lingerlab({"keygen"}).exit_code, 2);
}

// `lingerlab run --target remote` with its options missing or malformed is a
// bad command line (exit 2) naming the option, before anything is sent.
TEST_F(CommandLineTest, RemoteRunOptionsAreCheckedBeforeAnythingIsSent) {
  const fs::path key = dir_ / "lab.key";
  ASSERT_EQ(Lingerlab({"keygen", key.string()}).exit_code, 0);
  const std::string out = (dir_ / "out").string();
  struct Bad {
    std::vector<std::string> args;
    const char* says;
  } bads[] = {
      {{"--target", "remote"}, "--server-agent"},
      {{"--target", "remote", "--server-agent", "lab-host:7100", "--client-agent",
        "127.0.0.1:7100", "--key", key.string()},
       "names are not resolved"},
      {{"--target", "remote", "--server-agent", "127.0.0.1:0", "--client-agent", "127.0.0.1:7100",
        "--key", key.string()},
       "--server-agent port"},
      {{"--target", "remote", "--server-agent", "127.0.0.1:7100", "--client-agent",
        "127.0.0.1:7100", "--key", key.string(), "--server-test-address", "10.0.0"},
       "--server-test-address"},
      {{"--target", "moon"}, "unknown target"},
  };
  for (const Bad& b : bads) {
    std::vector<std::string> args = {"run", "--out", out};
    args.insert(args.end(), b.args.begin(), b.args.end());
    auto r = Lingerlab(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(b.says), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(fs::path(out) / "results.json"));
  }
}

// --ip takes 4 or 6, and 6 only on the netns target: anything else is a bad
// command line (exit 2) that says why, before any namespace or agent.
TEST_F(CommandLineTest, IpVersionIsFourOrSixAndSixOnlyOnNetns) {
  const std::string out = (dir_ / "out").string();
  struct Bad {
    std::vector<std::string> args;
    const char* says;
  } bads[] = {
      {{"--ip", "5"}, "must be 4 or 6"},
      {{"--ip", "ipv6"}, "must be 4 or 6"},
      {{"--ip", "06"}, "must be 4 or 6"},
      {{"--ip", "6", "--target", "gvisor"}, "--ip 6 is only for --target netns"},
      {{"--ip", "6", "--target", "qemu"}, "--ip 6 is only for --target netns"},
      {{"--ip", "6", "--target", "remote"}, "--server-test-address"},
  };
  for (const Bad& b : bads) {
    std::vector<std::string> args = {"run", "--out", out};
    args.insert(args.end(), b.args.begin(), b.args.end());
    auto r = Lingerlab(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(b.says), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out));
  }
  auto help = Lingerlab({"run", "--help"});
  EXPECT_NE(help.output.find("--ip"), std::string::npos) << help.output;
}

TEST_F(CommandLineTest, AgentKeygenWritesAKeyTheAgentAccepts) {
  const fs::path key = dir_ / "agent.key";
  auto r = Agent({"--keygen", key.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Mode(key), 0600u);
  EXPECT_TRUE(LoadKeyFile(key.string()).ok());
  EXPECT_EQ(Agent({"--keygen", key.string()}).exit_code, 2);
}

TEST_F(CommandLineTest, AgentRefusesToListenWithoutAGoodKey) {
  auto none = Agent({"--listen", "127.0.0.1:0"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.output.find("refusing to listen without --key"), std::string::npos) << none.output;

  const fs::path key = dir_ / "open.key";
  std::ofstream(key) << std::string(64, 'a') << "\n";
  fs::permissions(key, static_cast<fs::perms>(0644));
  auto open = Agent({"--listen", "127.0.0.1:0", "--key", key.string()});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_NE(open.output.find("0644"), std::string::npos) << open.output;
  EXPECT_NE(open.output.find("chmod 600 " + key.string()), std::string::npos) << open.output;

  auto missing = Agent({"--listen", "127.0.0.1:0", "--key", (dir_ / "nope").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
}

TEST_F(CommandLineTest, AgentWarnsAboutAWildcardAddress) {
  const fs::path key = dir_ / "k";
  ASSERT_EQ(Agent({"--keygen", key.string()}).exit_code, 0);
  // A port already taken, so the agent warns and then exits (cannot listen).
  auto taken = ListenTcp("0.0.0.0", 0);
  ASSERT_TRUE(taken.ok());
  const int port = LocalPort(taken->get()).value();
  auto r = Agent({"--listen", "0.0.0.0:" + std::to_string(port), "--key", key.string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("warning: listening on 0.0.0.0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cannot listen"), std::string::npos) << r.output;
}

TEST_F(CommandLineTest, AgentOptionsAreCheckedByHand) {
  auto help = Agent({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--listen ADDRESS:PORT --key FILE"), std::string::npos);
  auto version = Agent({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_FALSE(version.output.empty());
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {},
           {"--frobnicate"},
           {"--control-fd"},
           {"--control-fd", "x"},
           {"--control-fd", "-1"},
           {"--control-fd", "3", "--listen", "127.0.0.1:0"},
           {"--key", "k"},
           {"--listen", "127.0.0.1:0", "--listen", "127.0.0.1:1", "--key", "k"},
           {"--help=yes"},
           {"stray"}}) {
    auto r = Agent(bad);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(bad) << ": " << r.output;
    EXPECT_NE(r.output.find("usage: lingerlab-agent"), std::string::npos)
        << ::testing::PrintToString(bad) << ": " << r.output;
  }
  auto port = Agent({"--listen", "127.0.0.1:99999", "--key", "k"});
  EXPECT_EQ(port.exit_code, 2);
  EXPECT_NE(port.output.find("0..65535"), std::string::npos) << port.output;
}

}  // namespace
}  // namespace lingerlab
