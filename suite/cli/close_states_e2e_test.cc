// The close-state matrix end to end (matrix/close_states.json, issue 20):
// a scaled subset, one or two cases of each group, run on the netns lab.
// Every case must complete (or be not comparable, with a reason), the run
// must exit 0 or 1, each case must carry the state its scenario set out to
// reach as evidence (state_before_close equal to the Linux table's value,
// which names the state the case is about), and the run must leave no
// namespace and no nftables rule behind. What the host kernel did is the
// run's verdicts; they are printed, not asserted: a deviation is a finding.
//
// Needs root and nftables' nft.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "suite/coordinator/results_writer.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kMatrix = std::string(LINGERLAB_SOURCE_DIR) + "/matrix/close_states.json";

// One case per group, or two where the group has two kinds of evidence.
const char* const kSubset[] = {
    "listener-queued__linger-0",     // 1: the accept queue reset
    "listener-halfopen__linger-off", // 1: a SYN_RECV request held by dropping an ACK
    "syn-sent__linger-0",            // 2: a SYN dropped
    "fin-wait-1__linger-N",          // 3: ACKs dropped, close() lingers
    "closing__linger-off",           // 3: simultaneous close
    "time-wait__linger-0",           // 3: the socket table's TIME_WAIT
    "shut-rdwr__unacked-data",       // 4
    "peer-rst__read-buffered",       // 5
    "exit__linger-0",                // 6: hand_to_child / end_child
    "user-timeout__after-close",     // 7: a kernel timer, literal milliseconds
};

std::string RootRuleset() { return RunProgram("nft", {"list", "ruleset"}).output; }

TEST(CloseStatesEndToEndTest, AScaledSubsetCompletesWithItsStatesAndLeavesNothing) {
  if (SkipUnlessRoot("network namespaces, nftables")) return;
  if (SkipOrFailWithout(
          FindExecutable("nft").empty() ? "nftables' nft (apt-get install nftables)" : "", false))
    return;
  auto matrix = ReadJsonFile(kMatrix);
  ASSERT_TRUE(matrix.ok()) << matrix.error().message;
  std::map<std::string, std::string> id_of;
  for (const json& c : (*matrix)["cases"]) id_of[c["name"]] = c["id"];
  auto table = ReadJsonFile(std::string(LINGERLAB_SOURCE_DIR) +
                            "/matrix/expected/close_states/linux.json");
  ASSERT_TRUE(table.ok()) << table.error().message;
  std::string ids;
  for (const char* name : kSubset) {
    ASSERT_TRUE(id_of.count(name)) << name << " is no case of the matrix";
    ids += (ids.empty() ? "" : ",") + id_of[name];
  }

  const fs::path out = FreshDir("ll-close-states-e2e");
  const std::string root_before = RootRuleset();
  const std::string run = RunId("cs");
  std::string output;
  const int rc = RunBinary({"run", "--matrix", kMatrix, "--cases", ids, "--time-scale", "0.05",
                            "--run-id", run, "--out", (out / "r").string()},
                           &output);
  EXPECT_TRUE(rc == 0 || rc == 1) << "exit " << rc << "\n" << output;
  EXPECT_TRUE(Namespaces("ll-" + run + "-").empty()) << Join(Namespaces("ll-" + run + "-"));
  EXPECT_EQ(RootRuleset(), root_before) << "something was put in the root namespace";
  auto doc = ReadJsonFile((out / "r" / "results.json").string());
  ASSERT_TRUE(doc.ok()) << doc.error().message << "\n" << output;

  for (const char* name : kSubset) {
    const json* c = FindCase(*doc, id_of[name]);
    ASSERT_NE(c, nullptr) << name;
    SCOPED_TRACE(std::string(name) + ": " + c->dump().substr(0, 3000));
    ASSERT_EQ((*c)["status"], "completed") << (*c).value("error", json()).dump();
    if (c->contains("not_comparable")) {
      EXPECT_FALSE((*c)["not_comparable"].get<std::string>().empty());
      continue;
    }
    const json& claims = (*c)["outcome"]["claims"];
    const json want = (*table)["cases"][id_of[name]].value("state_before_close", json());
    ASSERT_TRUE(want.is_object()) << "the table names the state of every subset case";
    EXPECT_EQ(claims.value("state_before_close", json()), want["value"])
        << "the scenario did not reach the state it is written for";
    std::printf("%s %-32s %s\n", id_of[name].c_str(), name,
                (*c)["verdict"].value("status", std::string("?")).c_str());
  }
  fs::remove_all(out);
}

}  // namespace
}  // namespace lingerlab
