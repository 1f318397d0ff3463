// Scenario parsing, step conditions and variable binding (scenario.h), and
// the shipped matrices' scenarios.
#include "suite/matrix/scenario.h"

#include <gtest/gtest.h>

#include "suite/matrix/impairment_spec.h"
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

// One change to a good scenario: at `path`, `value`; the error must say `expect`.
struct Bad {
  const char* path;
  json value;
  const char* expect;
};

// Each of `bad`, applied alone to `good` (scenario `name`), is an error
// that names the file, the scenario and what `expect` says.
void ExpectEachRefused(const json& good, const std::string& name, const std::vector<Bad>& bad) {
  const std::string where = "scenarios." + name;
  for (const Bad& b : bad) {
    json j = good;
    j[json::json_pointer(b.path)] = b.value;
    auto s = ParseScenario(j, name, "f.json", where);
    ASSERT_FALSE(s.ok()) << b.path << " = " << b.value.dump();
    EXPECT_NE(s.error().message.find(b.expect), std::string::npos)
        << b.path << ": " << s.error().message;
    EXPECT_EQ(s.error().message.rfind("f.json: " + where, 0), 0u) << s.error().message;
  }
}

TEST(ScenarioTest, BadStepsAreErrorsThatNameTheStep) {
  const std::vector<Bad> bad = {
      {"/setup/0/host", "router", "setup[0].host"},
      {"/setup/0/op", "format_disk", "not an agent operation"},
      {"/setup/0/op", 7, "setup[0].op"},
      {"/setup/0/args/family", "$nope", "unknown variable"},
      {"/setup/0/args/family", json::object({{"a", 1}}), "string, number, bool or array"},
      {"/setup/0/args/family", json::array({"$family"}), "literal strings"},
      {"/setup/0/args/family", json::array({1}), "literal strings"},
      {"/setup/0/args/family", json::array({json::array({"in"})}), "literal strings"},
      {"/setup/0/args/family", json(std::vector<std::string>(17, "in")), "at most 16"},
      {"/server/0/when", json::object({{"colour", "red"}}), "unknown case attribute"},
      {"/server/0/when/client", json::array(), "non-empty array"},
      {"/server/0/when/client", json::array({1}), "array of strings"},
      {"/server/0/must_succeed", "yes", "must be a bool"},
      {"/server/0/on_limit", "", "1..256"},
      {"/server/0/host", "client", "must be \"server\" (or \"lab\") in this list"},
      {"/server/0/extra", 1, "unknown field"},
      {"/server/0/timeout", "slow", "must be \"quick\""},
      {"/client", json::object(), "array of steps"},
  };
  ExpectEachRefused(MinimalScenario(), "mini", bad);
}

json ObservedScenario() {
  return json::parse(R"({
    "setup": [],
    "server": [{"op": "tcp_state", "args": {"handle": "c"}, "claim": "state_before_close"},
               {"op": "poll", "args": {"handle": "c", "events": ["in", "rdhup"]}, "claim": "poll_revents"},
               {"op": "close", "args": {"handle": "c"}, "claim": "close"}],
    "client": [{"op": "read", "args": {"handle": "s"}, "claim": "read_first"},
               {"op": "read", "args": {"handle": "s"}}]
  })");
}

// "claim": an observation made on a step of its kind, once per scenario.
TEST(ScenarioTest, ObservedStepsKeepTheirClaim) {
  auto s = ParseScenario(ObservedScenario(), "obs", "f.json", "scenarios.obs");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->server[0].claim, "state_before_close");
  EXPECT_EQ(s->server[1].args["events"], json::array({"in", "rdhup"}));
  EXPECT_EQ(s->server[2].claim, "close");
  EXPECT_EQ(s->client[0].claim, "read_first");
  json stop = ObservedScenario();
  stop["server"][1]["on_failure"] = "stop";
  auto t = ParseScenario(stop, "obs", "f.json", "scenarios.obs");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(t->server[1].stop_on_failure);
  EXPECT_FALSE(t->server[0].stop_on_failure);
}

TEST(ScenarioTest, BadClaimsAreErrorsThatNameTheStep) {
  const std::vector<Bad> bad = {
      {"/server/0/claim", "state_of_mind", "is not an observation"},
      {"/server/0/claim", 3, "must be a string"},
      {"/client/1/claim", "read_first", "is made by more than one step"},
      {"/server/1/claim", "so_error_first", "observes a getsockopt step, not poll"},
      {"/client/0/claim", "close", "marks a server close"},
      {"/server/1/on_failure", "continue", "must be \"stop\""},
      {"/server/0/claim", "close", "marks a server close"},
  };
  ExpectEachRefused(ObservedScenario(), "obs", bad);
}

// The ops of the "close in every TCP state" matrix, poll's events an array.
TEST(ScenarioTest, TcpStateOpsParseWithPollEventsAsAnArray) {
  auto s = ParseScenario(json::parse(R"({
    "setup": [{"host": "server", "op": "socket", "args": {"handle": "l"}}],
    "server": [{"op": "dup", "args": {"handle": "l", "as": "d"}},
               {"op": "poll", "args": {"handle": "l", "events": ["in", "rdhup"], "timeout_ms": 5}},
               {"op": "tcp_state", "args": {"handle": "l"}},
               {"op": "socket_table", "args": {"port": "$port"}},
               {"op": "getsockopt", "args": {"handle": "l", "option": "SO_ERROR"}},
               {"op": "fork_close", "args": {"handle": "l"}},
               {"op": "hand_to_child", "args": {"handle": "l", "as": "kid"}},
               {"op": "end_child", "args": {"as": "kid", "how": "exit", "limit_ms": 100}}],
    "client": []
  })"),
                         "states", "f.json", "scenarios.states");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->server.size(), 8u);
  EXPECT_EQ(s->server[1].args["events"], json({"in", "rdhup"}));
}

json LabScenario() {
  return json::parse(R"({
    "setup": [{"host": "lab", "op": "impair",
               "args": {"direction": "to_server", "match": "syn", "action": "drop", "for_ms": 500}},
              {"host": "client", "op": "socket", "args": {"handle": "sock"}}],
    "server": [{"op": "pause", "args": {"ms": 5}}],
    "client": [{"host": "lab", "op": "clear_impairments", "when": {"client": "slow"}},
               {"op": "close", "args": {"handle": "sock"}}]
  })");
}

// Lab steps: "host": "lab" in any list, their ops and arguments checked at load.
TEST(ScenarioTest, LabStepsParseInAnyListWithTheirArguments) {
  auto s = ParseScenario(LabScenario(), "lab", "f.json", "scenarios.lab");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->setup[0].host, "lab");
  EXPECT_EQ(s->setup[0].op, "impair");
  EXPECT_EQ(s->setup[0].args["for_ms"], 500);
  EXPECT_EQ(s->client[0].host, "lab");
  EXPECT_EQ(s->client[0].when.at("client"), (std::vector<std::string>{"slow"}));
  EXPECT_EQ(s->client[1].host, "client");
}

TEST(ScenarioTest, BadLabStepsAreErrorsThatNameTheStep) {
  const std::vector<Bad> bad = {
      {"/setup/0/op", "reboot", "not a lab operation"},
      {"/setup/1/op", "impair", "(a lab step: \"host\": \"lab\")"},
      {"/setup/0/args/direction", "sideways", "setup[0].args.direction: \"sideways\" is not one"},
      {"/setup/0/args/direction", 1, "setup[0].args.direction: is required"},
      {"/setup/0/args/match", "psh", "setup[0].args.match"},
      {"/setup/0/args/action", "corrupt", "setup[0].args.action"},
      {"/setup/0/args/for_ms", -1, "setup[0].args.for_ms: must be an integer 0..600000"},
      {"/setup/0/args/for_ms", 600001, "0..600000"},
      {"/setup/0/args/for_ms", 1.5, "0..600000"},
      {"/setup/0/args/for_ms", "$idle_ms", "0..600000"},
      {"/setup/0/args/for_ms", json(18446744073709551615ull), "0..600000"},
      {"/setup/0/args/delay_ms", 10, "only \"delay\" takes a delay"},
      {"/setup/0/args/action", "delay", "delay_ms: is required"},
      {"/setup/0/args/colour", "red", "args.colour: unknown argument"},
      {"/setup/0/args", json::array(), "setup[0].args: must be an object"},
      {"/setup/0/must_succeed", true, "not for lab steps"},
      {"/setup/0/timeout", "quick", "not for lab steps"},
      {"/client/0/args", json::object({{"x", 1}}), "takes no arguments"},
  };
  ExpectEachRefused(LabScenario(), "lab", bad);
  json missing = LabScenario();
  missing["setup"][0]["args"].erase("match");
  auto s = ParseScenario(missing, "lab", "f.json", "scenarios.lab");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("match: is required: one of syn, syn-ack, ack, data, fin, "
                                   "rst, any"),
            std::string::npos)
      << s.error().message;
}

TEST(ImpairmentSpecTest, ParsesEveryNameAndNormalizesToTheSameJson) {
  for (const char* d : {"to_server", "to_client"})
    for (const char* m : {"syn", "syn-ack", "ack", "data", "fin", "rst", "any"}) {
      const json args = {{"direction", d}, {"match", m}, {"action", "delay"}, {"delay_ms", 40}};
      auto imp = ParseImpairment(args, "f", "w");
      ASSERT_TRUE(imp.ok()) << imp.error().message;
      EXPECT_STREQ(ImpairDirectionName(imp->direction), d);
      EXPECT_STREQ(ImpairMatchName(imp->match), m);
      EXPECT_EQ(imp->action, ImpairAction::kDelay);
      EXPECT_EQ(imp->delay_ms, 40);
      EXPECT_EQ(imp->for_ms, 0);
      json again = args;
      again["for_ms"] = 0;
      EXPECT_EQ(ImpairmentJson(*imp), again);
    }
  auto top = ParseImpairment(
      {{"direction", "to_client"}, {"match", "fin"}, {"action", "drop"}, {"for_ms", 600000}}, "f",
      "w");
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->for_ms, kMaxImpairmentMs);
  EXPECT_FALSE(ImpairmentJson(*top).contains("delay_ms"));
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
