// Scenario parsing, step conditions and variable binding (scenario.h), and
// the shipped matrices' scenarios.
#include "suite/matrix/scenario.h"

#include <gtest/gtest.h>

#include "suite/matrix/matrix.h"

namespace lingerlab {
namespace {

using nlohmann::json;

json MinimalScenario() {
  return json::parse(R"({
    "setup": [{"host": "server", "op": "socket", "args": {"handle": "l", "family": "$family"}}],
    "server": [{"op": "close", "args": {"handle": "l"}, "when": {"client": ["slow", "idle"]}}],
    "client": [{"op": "pause", "args": {"ms": 5}}]
  })");
}

TEST(ScenarioTest, ParsesStepsIntoTheirLists) {
  auto s = ParseScenario(MinimalScenario(), "mini", "f.json", "scenarios.mini");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->setup.size(), 1u);
  EXPECT_EQ(s->setup[0].host, "server");
  ASSERT_EQ(s->server.size(), 1u);
  EXPECT_EQ(s->server[0].host, "server");
  EXPECT_EQ(s->client[0].host, "client");
  EXPECT_EQ(s->server[0].when.at("client"), (std::vector<std::string>{"slow", "idle"}));
}

TEST(ScenarioTest, BadStepsAreErrorsThatNameTheStep) {
  struct Bad {
    const char* path;
    json value;
    const char* expect;
  };
  const std::vector<Bad> bad = {
      {"/setup/0/host", "router", "setup[0].host"},
      {"/setup/0/op", "format_disk", "not an agent operation"},
      {"/setup/0/op", 7, "setup[0].op"},
      {"/setup/0/args/family", "$nope", "unknown variable"},
      {"/setup/0/args/family", json::object({{"a", 1}}), "string, number or bool"},
      {"/server/0/when", json::object({{"colour", "red"}}), "unknown case attribute"},
      {"/server/0/when/client", json::array(), "non-empty array"},
      {"/server/0/when/client", json::array({1}), "array of strings"},
      {"/server/0/must_succeed", "yes", "must be a bool"},
      {"/server/0/on_limit", "", "1..256"},
      {"/server/0/host", "client", "must be \"server\" in this list"},
      {"/server/0/extra", 1, "unknown field"},
      {"/server/0/timeout", "slow", "must be \"quick\""},
      {"/client", json::object(), "array of steps"},
  };
  for (const Bad& b : bad) {
    json j = MinimalScenario();
    j[json::json_pointer(b.path)] = b.value;
    auto s = ParseScenario(j, "mini", "f.json", "scenarios.mini");
    ASSERT_FALSE(s.ok()) << b.path;
    EXPECT_NE(s.error().message.find(b.expect), std::string::npos)
        << b.path << ": " << s.error().message;
    EXPECT_EQ(s.error().message.rfind("f.json: scenarios.mini", 0), 0u) << s.error().message;
  }
}

TEST(ScenarioTest, ConditionsMatchTheCaseAttributes) {
  ScenarioStep step;
  step.when = {{"client", {"slow", "idle"}}, {"linger.socket", {"none"}}};
  EXPECT_TRUE(StepApplies(step, {{"client", "slow"}, {"linger.socket", "none"}}));
  EXPECT_FALSE(StepApplies(step, {{"client", "fast"}, {"linger.socket", "none"}}));
  EXPECT_FALSE(StepApplies(step, {{"client", "idle"}, {"linger.socket", "lsock"}}));
  // An attribute the case lacks reads as "none".
  EXPECT_TRUE(StepApplies(step, {{"client", "idle"}}));
  EXPECT_TRUE(StepApplies(ScenarioStep{}, {}));
}

TEST(ScenarioTest, VariablesAreBoundAndOthersLeftAlone) {
  ScenarioStep step;
  step.op = "write";
  step.args = {{"handle", "csock"}, {"bytes", "$payload_bytes"}, {"note", "50$"}};
  auto bound = BindArgs(step, [](const std::string& n) -> std::optional<json> {
    if (n == "payload_bytes") return 20480;
    return std::nullopt;
  });
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ((*bound)["bytes"], 20480);
  EXPECT_EQ((*bound)["handle"], "csock");
  step.args["bytes"] = "$request_bytes";
  auto unbound = BindArgs(step, [](const std::string&) { return std::optional<json>(); });
  ASSERT_FALSE(unbound.ok());
  EXPECT_NE(unbound.error().message.find("$request_bytes"), std::string::npos);
}

// Every shipped matrix loads, gives each case a scenario, and every step's
// variables and conditions are ones the coordinator knows.
TEST(ScenarioTest, ShippedMatricesGiveEveryCaseAScenario) {
  for (const char* file : {"matrix/so_linger.json", "matrix/data_loss.json"}) {
    auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/" + file);
    ASSERT_TRUE(m.ok()) << file << ": " << m.error().message;
    for (const MatrixCase& c : m->cases) {
      ASSERT_NE(c.scenario, nullptr) << file << " case " << c.id;
      size_t applying = 0;
      auto attrs = CaseAttributes(c, kVariantBlockingClose);
      for (const auto* list : {&c.scenario->setup, &c.scenario->server, &c.scenario->client})
        for (const ScenarioStep& s : *list) applying += StepApplies(s, attrs);
      EXPECT_GE(applying, 5u) << file << " case " << c.id;
    }
  }
}

// The SO_LINGER scenario performs, for each kind of case, the steps the
// article's linger-server and linger-client make (doc/matrix-format.md §3).
TEST(ScenarioTest, SoLingerStepsFollowTheCaseParameters) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto ops = [&](const std::string& id, const std::string& host, const char* variant) {
    const MatrixCase* c = m->Find(id);
    std::string out;
    auto attrs = CaseAttributes(*c, variant);
    for (const auto* list : {&c->scenario->setup, &c->scenario->server, &c->scenario->client})
      for (const ScenarioStep& s : *list)
        if (s.host == host && StepApplies(s, attrs)) {
          out += (out.empty() ? "" : " ") + s.op;
          if (s.op == "setsockopt") out += ":" + s.args.value("option", std::string());
        }
    return out;
  };
  // 03: {on,0} on the listening socket, no shutdown.
  EXPECT_EQ(ops("03", "server", kVariantBlockingClose),
            "socket setsockopt:SO_REUSEADDR setsockopt:SO_SNDBUF setsockopt:SO_LINGER bind listen "
            "accept close pause write queues close");
  // 30-ish: csock_late sets linger after shutdown; 14: shutdown-10 waits a bounded time.
  for (const MatrixCase& c : m->cases) {
    if (c.linger && c.linger->socket == LingerSocket::kConnectedLate) {
      const std::string s = ops(c.id, "server", kVariantBlockingClose);
      EXPECT_NE(s.find("shutdown setsockopt:SO_LINGER read queues close"), std::string::npos) << s;
    }
  }
  EXPECT_EQ(ops("02", "client", kVariantBlockingClose),
            "socket setsockopt:SO_RCVBUF connect read close");
  EXPECT_NE(ops("04", "server", kVariantNonblockingClose).find("queues nonblock close"),
            std::string::npos);
  EXPECT_EQ(ops("04", "server", kVariantBlockingClose).find("nonblock"), std::string::npos);
}

}  // namespace
}  // namespace lingerlab
