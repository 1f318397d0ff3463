// The classifier on real captures: case documents and pcaps recorded from a
// run on Linux (testdata/real/, time scale 0.05, netns target). Packets are
// rebuilt from each pcap with the capture module, as `lingerlab run` does,
// then classified. The expected claims are the published Linux behaviour
// (shared/seeds/002: {on,0} aborts on close() on either socket, also after
// shutdown(); {on,20} blocks for the linger time and returns 0, no RST) and
// what a clean close looks like.
#include <gtest/gtest.h>

#include <fstream>

#include "suite/capture/connection_view.h"
#include "suite/capture/pcap_file.h"
#include "suite/classify/classifier.h"

namespace lingerlab {
namespace {

using nlohmann::json;

const std::string kDir = std::string(LINGERLAB_SOURCE_DIR) + "/suite/classify/testdata/real/";

json Classified(const std::string& stem) {
  std::ifstream in(kDir + stem + ".case.json");
  EXPECT_TRUE(in) << stem;
  json c = json::parse(in);
  auto pkts = ReadPcapFile(kDir + stem + ".pcap");
  EXPECT_TRUE(pkts.ok()) << (pkts.ok() ? "" : pkts.error().message);
  ConnectionSummary sum =
      SummarizeConnection(*pkts, c["hosts"]["server"]["address"].get<std::string>(),
                          c["hosts"]["server"]["port"].get<int>(), c["t0_real_ns"].get<int64_t>());
  c["packets"] = sum.packets;
  json out = ClassifyCase(c);
  EXPECT_TRUE(out.value("complete", false)) << stem << ": " << out.value("reason", json()).dump();
  return out;
}

struct Expected {
  std::string stem;
  json claims;  // each listed claim must be present with exactly this value
};

class RealCaptureTest : public ::testing::TestWithParam<Expected> {};

TEST_P(RealCaptureTest, ClaimsMatchWhatThePacketsShow) {
  const Expected& e = GetParam();
  json out = Classified(e.stem);
  const json& claims = out["claims"];
  for (auto& [k, v] : e.claims.items()) {
    ASSERT_TRUE(claims.contains(k))
        << e.stem << ": claim " << k << " missing; outcome " << out.dump(1).substr(0, 2000);
    EXPECT_EQ(claims[k], v) << e.stem << ": " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Linux, RealCaptureTest,
    ::testing::Values(
        // Clean close: FIN after all data, the client reads everything, no RST.
        Expected{"02__slow-client__no-linger",
                 {{"abort_on_close", false},
                  {"close_ended_by", "immediate"},
                  {"rst_after_clean_close", false},
                  {"idle_abort", false},
                  {"client_bytes", 20480},
                  {"client_end", "eof"},
                  {"data_lost", false}}},
        // {on,0} on the connected socket: RST at close(), client short.
        Expected{"04__slow-client__linger-csock-0",
                 {{"abort_on_close", true},
                  {"close_ret", 0},
                  {"close_blocks", false},
                  {"client_end", "ECONNRESET"},
                  {"data_lost", true},
                  {"idle_abort", false}}},
        // {on,20} (applied 1 s) with a slow client: blocks the linger time, returns 0, no RST.
        Expected{"06__slow-client__linger-lsock-20",
                 {{"close_blocks", true},
                  {"close_ended_by", "linger_timeout"},
                  {"close_ret", 0},
                  {"close_errno", nullptr},
                  {"abort_on_linger_timeout", false},
                  {"ewouldblock_on_linger_timeout", false},
                  {"abort_on_close", false},
                  {"client_bytes", 20480},
                  {"data_lost", false}}},
        // {on,20} with a fast client: a short block that the FIN's ACK ended.
        Expected{"07__fast-client__linger-lsock-20",
                 {{"close_blocks", true},
                  {"close_ended_by", "peer_acked"},
                  {"close_ret", 0},
                  {"abort_on_close", false},
                  {"client_bytes", 20480}}},
        // {on,0} then shutdown(), no EOF within the limit: close() still aborts.
        Expected{"20__slow-client__linger-lsock-0__shutdown-10",
                 {{"eof_before_limit", false},
                  {"abort_on_close", true},
                  {"client_end", "ECONNRESET"},
                  {"data_lost", true}}},
        // {on,0}, shutdown(), EOF: Linux sends nothing more at close().
        Expected{"21__slow-client__linger-csock-0__shutdown",
                 {{"eof_before_limit", true},
                  {"rst_after_clean_close", false},
                  {"abort_on_close", false},
                  {"client_bytes", 20480},
                  {"data_lost", false}}},
        // SO_LINGER set after shutdown() succeeds on Linux and still lingers.
        Expected{"32__slow-client__linger-csock_late-20__shutdown-10",
                 {{"late_setsockopt_errno", nullptr},
                  {"eof_before_limit", false},
                  {"close_ended_by", "linger_timeout"},
                  {"abort_on_linger_timeout", false},
                  {"client_bytes", 20480}}},
        // {on,0} with an idle client: RST at close(), the client gets only its window.
        Expected{"33__idle-client__linger-lsock-0",
                 {{"abort_on_close", true}, {"client_end", "ECONNRESET"}, {"data_lost", true}}}),
    [](const ::testing::TestParamInfo<Expected>& i) { return "case" + i.param.stem.substr(0, 2); });

}  // namespace
}  // namespace lingerlab
