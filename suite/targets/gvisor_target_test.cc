// The gvisor target's pure pieces: the OCI bundle, runsc's command lines,
// `runsc list -quiet` parsing and the sandbox names the sweep relies on;
// and that a machine without runsc is told which package to install.
#include "suite/targets/gvisor_target.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "suite/targets/netns_lab.h"

namespace lingerlab {
namespace {

using nlohmann::json;

TEST(GvisorBundleTest, RootIsReadOnlySlashTheAgentServesStdinAndTheNamespaceIsJoined) {
  const json config =
      json::parse(GvisorBundleJson("/opt/ll/lingerlab-agent", "/run/netns/ll-r1-02-s"));
  EXPECT_EQ(config["root"]["path"], "/");
  EXPECT_EQ(config["root"]["readonly"], true);
  EXPECT_EQ(config["process"]["args"],
            json::array({"/opt/ll/lingerlab-agent", "--control-fd", "0"}));
  EXPECT_EQ(config["process"]["terminal"], false);
  int network = 0;
  for (const json& ns : config["linux"]["namespaces"]) {
    if (ns["type"] != "network") continue;
    ++network;
    EXPECT_EQ(ns["path"], "/run/netns/ll-r1-02-s");
  }
  EXPECT_EQ(network, 1);
  // runsc --ignore-cgroups: a bundle asking for cgroups or limits would fail here.
  EXPECT_FALSE(config["linux"].contains("cgroupsPath"));
  EXPECT_FALSE(config["linux"].contains("resources"));
  // No mount may hide the agent binary (an agent built under /tmp once
  // vanished behind a /tmp tmpfs): only /proc is mounted.
  ASSERT_EQ(config["mounts"].size(), 1u);
  EXPECT_EQ(config["mounts"][0]["destination"], "/proc");
}

TEST(GvisorBundleTest, PathsWithQuotesStayOneJsonString) {
  const json config = json::parse(GvisorBundleJson("/a \"b\"/agent", "/run/netns/x"));
  EXPECT_EQ(config["process"]["args"][0], "/a \"b\"/agent");
}

TEST(GvisorBundleTest, SanitizerSettingsPassThroughWithTheirLogDirectoriesWritable) {
  const ContainerExtras none = SanitizerPassthrough({{"HOME", "/root"}});
  EXPECT_TRUE(none.env.empty());
  EXPECT_TRUE(none.writable_dirs.empty());
  const ContainerExtras x =
      SanitizerPassthrough({{"ASAN_OPTIONS", "detect_leaks=1:log_path=/ci/logs/asan"},
                            {"UBSAN_OPTIONS", "halt_on_error=1:log_path=/ci/logs/ubsan"},
                            {"LSAN_OPTIONS", "log_path=stderr"},
                            {"PATH", "/bin"}});
  EXPECT_EQ(x.env,
            (std::vector<std::string>{"ASAN_OPTIONS=detect_leaks=1:log_path=/ci/logs/asan",
                                      "UBSAN_OPTIONS=halt_on_error=1:log_path=/ci/logs/ubsan",
                                      "LSAN_OPTIONS=log_path=stderr"}));
  EXPECT_EQ(x.writable_dirs, std::vector<std::string>{"/ci/logs"});
  const json config = json::parse(GvisorBundleJson("/a", "/run/netns/n", x));
  int bound = 0;
  for (const json& m : config["mounts"]) {
    if (m["destination"] != "/ci/logs") continue;
    ++bound;
    EXPECT_EQ(m["type"], "bind");
    EXPECT_EQ(m["source"], "/ci/logs");
    EXPECT_NE(std::find(m["options"].begin(), m["options"].end(), "rw"), m["options"].end());
  }
  EXPECT_EQ(bound, 1);
  const json& env = config["process"]["env"];
  EXPECT_NE(std::find(env.begin(), env.end(), "LSAN_OPTIONS=log_path=stderr"), env.end());
}

TEST(RunscArgvTest, GlobalFlagsComeBeforeTheCommandAndTheStateRootIsOurs) {
  const std::vector<std::string> run = RunscRunArgv("/usr/bin/runsc", "/b/ll-r1-02", "ll-r1-02");
  const std::vector<std::string> want = {
      "/usr/bin/runsc",    "--root", kGvisorStateRoot, "--ignore-cgroups",
      "--network=sandbox", "run",    "--bundle",       "/b/ll-r1-02",
      "ll-r1-02"};
  EXPECT_EQ(run, want);
  const std::vector<std::string> del = RunscArgv("runsc", {"delete", "-force", "ll-r1-02"});
  EXPECT_EQ(del, (std::vector<std::string>{"runsc", "--root", kGvisorStateRoot, "delete", "-force",
                                           "ll-r1-02"}));
}

TEST(RunscListTest, QuietOutputGivesIdsAndNothingElse) {
  EXPECT_EQ(ParseRunscListQuiet(""), std::vector<std::string>{});
  EXPECT_EQ(ParseRunscListQuiet("ll-a1-02\nll-a1-04\n"),
            (std::vector<std::string>{"ll-a1-02", "ll-a1-04"}));
  EXPECT_EQ(ParseRunscListQuiet("ll-a1-02\r\n\n  \nll-b-33 \n"),
            (std::vector<std::string>{"ll-a1-02", "ll-b-33"}));
  // Text-format lines (a header, columns) are never taken for ids.
  EXPECT_EQ(ParseRunscListQuiet("ID PID STATUS\nll-a1-02 123 running\n"),
            std::vector<std::string>{});
}

TEST(SandboxNameTest, RunOfCaseNameTakesOnlyOurPattern) {
  EXPECT_EQ(RunOfCaseName("ll-abc123-02"), "abc123");
  EXPECT_EQ(RunOfCaseName("ll-r-33"), "r");
  EXPECT_EQ(RunOfCaseName("ll-abc-02-s"), "");  // a namespace, not a sandbox
  EXPECT_EQ(RunOfCaseName("ll-ABC-02"), "");
  EXPECT_EQ(RunOfCaseName("ll-abcdefghijklm-02"), "");  // run ids are at most 12
  EXPECT_EQ(RunOfCaseName("xx-abc-02"), "");
  EXPECT_EQ(RunOfCaseName("ll-abc-"), "");
  EXPECT_EQ(RunOfNamespace("ll-abc-02-s"), "abc");
  EXPECT_EQ(CaseBaseName("abc", "02"), "ll-abc-02");
  EXPECT_EQ(RunOfCaseName(CaseBaseName("abc", "02")), "abc");
}

TEST(GvisorTargetTest, RegisteredWithItsStack) {
  auto names = TargetNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "gvisor"), names.end());
  auto t = MakeTarget("gvisor", TargetConfig::For("/nonexistent/agent", "u1"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->Name(), "gvisor");
  EXPECT_EQ((*t)->Stack(), "gvisor");
}

TEST(GvisorTargetTest, WithoutRunscCheckUsableIsNotFoundNamingThePackage) {
  const char* old = ::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", "/nonexistent-dir", 1);
  auto t = MakeTarget("gvisor", TargetConfig::For("/nonexistent/agent", "u2"));
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_TRUE(t.ok());
  Status s = (*t)->CheckUsable();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_NE(s.message().find("apt-get install runsc"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("tools/install-deps.sh gvisor"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace lingerlab
