// Case timelines on real reference captures and on constructed cases.
#include "suite/report/case_timeline.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace lingerlab {
namespace {

using nlohmann::json;

json ReferenceCase(const std::string& id, const std::string& run = "reference-scale0.05") {
  std::ifstream in(std::string(LINGERLAB_SOURCE_DIR) + "/results/" + run + "/results.json");
  const json doc = json::parse(in);
  for (const json& c : doc["cases"])
    if (c["id"] == id) return c;
  return json();
}

// Case 04 ({on,0} on the connected socket): close() returns at once and the
// server's RST is the evidence for abort_on_close.
TEST(CaseTimelineTest, TheAbortingCloseAndItsRstCarryTheEvidence) {
  const CaseTimeline tl = BuildCaseTimeline(ReferenceCase("04"));
  EXPECT_EQ(tl.id, "04");
  EXPECT_EQ(tl.verdict, "pass");
  EXPECT_EQ(tl.pcap, "pcaps/04__slow-client__linger-csock-0.pcap");
  ASSERT_FALSE(tl.packets.empty());
  int rsts = 0;
  for (const TimelinePacket& p : tl.packets) {
    if (p.kind != SegmentKind::kRst) continue;
    ++rsts;
    EXPECT_TRUE(p.s2c);
    ASSERT_FALSE(p.evidence.empty());
    EXPECT_EQ(p.evidence[0].rfind("abort_on_close: server RST", 0), 0u) << p.evidence[0];
  }
  EXPECT_EQ(rsts, 1);
  EXPECT_EQ(tl.packets.front().kind, SegmentKind::kSyn);
  for (size_t i = 1; i < tl.packets.size(); ++i) EXPECT_LE(tl.packets[i - 1].t, tl.packets[i].t);
  // The server's close() holds the SIOCOUTQ evidence taken just before it.
  bool close_found = false;
  for (const TimelineCall& c : tl.calls)
    if (c.server && c.step == "close" && c.text == "close(csock) = 0") {
      close_found = true;
      ASSERT_FALSE(c.evidence.empty());
    }
  EXPECT_TRUE(close_found);

  const std::string text = RenderTimelineText(tl);
  EXPECT_NE(text.find(": Flags [R"), std::string::npos) << text;
  EXPECT_NE(text.find("<== abort_on_close: server RST"), std::string::npos) << text;
  EXPECT_NE(text.find("client read(sock, 512 B every 200 ms) ..."), std::string::npos) << text;
  EXPECT_NE(text.find("= 11644 B, ECONNRESET  [blocked"), std::string::npos) << text;
}

// Case 06 ({on,20} on the listening socket, slow client): close() blocks for
// the linger time while data and ACKs flow; two lines, start and return.
TEST(CaseTimelineTest, ABlockingCloseHasAStartLineAndAReturnLine) {
  const std::string text = RenderTimelineText(BuildCaseTimeline(ReferenceCase("06")));
  const size_t start = text.find("server close(csock) ...");
  const size_t ret = text.find("server ... close(csock) = 0  [blocked 1.0");
  ASSERT_NE(start, std::string::npos) << text;
  ASSERT_NE(ret, std::string::npos) << text;
  EXPECT_LT(start, ret);
  EXPECT_NE(text.substr(start, ret - start).find(".5001: Flags"),
            std::string::npos);  // client > server
}

// Constructed: without a pcap, a document packet is shown in tcpdump's shape
// from what the document knows (addresses, server port, relative numbers).
json TwoPacketCase() {
  return {{"id", "98"},
          {"status", "completed"},
          {"hosts",
           {{"server", {{"address", "198.18.0.1"}, {"port", 5001}}},
            {"client", {{"address", "198.18.0.2"}}}}},
          {"packets",
           {{{"t", 0.5},
             {"dir", "s2c"},
             {"flags", "P."},
             {"seq", 1},
             {"ack", 1},
             {"len", 1448},
             {"win", 65536}},
            {{"t", 0.6},
             {"dir", "s2c"},
             {"flags", "R"},
             {"seq", 1449},
             {"ack", 0},
             {"len", 0},
             {"win", 0}}}},
          {"outcome",
           {{"evidence",
             {{{"for", "abort"}, {"what", "the RST"}, {"packet", 1}},
              {{"for", "data"}, {"what", "the data"}, {"packet", 0}}}}}}};
}

TEST(CaseTimelineTest, WithoutAPcapDocumentPacketsReadLikeTcpdump) {
  CaseTimeline tl = BuildCaseTimeline(TwoPacketCase());
  tl.packets_from = "from the results document (no pcap)";
  const std::string text = RenderTimelineText(tl);
  EXPECT_NE(text.find("packets: from the results document (no pcap)\n"), std::string::npos);
  EXPECT_NE(text.find("  0.500000  IP 198.18.0.1.5001 > 198.18.0.2: Flags [P.], seq 1:1449, "
                      "ack 1, win 65536, length 1448\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("IP 198.18.0.1.5001 > 198.18.0.2: Flags [R], seq 1449, win 0, length 0"),
            std::string::npos)
      << text;
}

// The pcap's frames replace the document's packets; each document packet's
// evidence follows its frame, a frame the document lacks is still shown, and
// evidence of a document packet the pcap lacks is kept as a note.
TEST(CaseTimelineTest, WirePacketsTakeOverTheDocumentsEvidenceInOrder) {
  CaseTimeline tl = BuildCaseTimeline(TwoPacketCase());
  UseWirePackets(tl, {{3, 0.5, true, "P.", 1448, "#3 wire data"},
                      {4, 0.55, false, ".", 0, "#4 wire ack"},
                      {5, 0.7, true, "R", 0, "#5 another RST"}});
  ASSERT_EQ(tl.packets.size(), 3u);
  EXPECT_EQ(tl.packets[0].frame, 3);
  EXPECT_EQ(tl.packets[0].index, 0u);
  EXPECT_EQ(tl.packets[0].evidence, std::vector<std::string>{"data: the data"});
  EXPECT_EQ(tl.packets[1].frame, 4);
  EXPECT_TRUE(tl.packets[1].evidence.empty());
  EXPECT_EQ(tl.packets[2].frame, 5);  // t differs from the document's RST: not the same packet
  EXPECT_EQ(tl.packets[2].kind, SegmentKind::kRst);
  EXPECT_TRUE(tl.packets[2].evidence.empty());
  ASSERT_EQ(tl.notes.size(), 1u);
  EXPECT_NE(tl.notes[0].find("document packet 1, not found in the pcap) abort: the RST"),
            std::string::npos);
  const std::string text = RenderTimelineText(tl);
  EXPECT_NE(text.find("  0.500000  #3 wire data\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  0.550000  #4 wire ack\n"), std::string::npos) << text;
}

// A remote agent's pcap is on its clock: the document's packets are shifted
// by the offset, and so are the frames, so they still meet their evidence.
TEST(CaseTimelineTest, WirePacketsFollowTheDocumentsClockShift) {
  CaseTimeline tl = BuildCaseTimeline(TwoPacketCase());
  UseWirePackets(tl, {{1, 0.49, true, "P.", 1448, "#1 data"}, {2, 0.59, true, "R", 0, "#2 rst"}});
  ASSERT_EQ(tl.packets.size(), 2u);
  EXPECT_NEAR(tl.packets[1].t, 0.6, 1e-9);
  EXPECT_EQ(tl.packets[1].evidence, std::vector<std::string>{"abort: the RST"});
  EXPECT_TRUE(tl.notes.empty());
}

// Constructed: a closed window, a probe into it and the window update.
TEST(CaseTimelineTest, ZeroWindowProbesAndWindowUpdatesAreNamed) {
  json c = {{"id", "99"},
            {"status", "completed"},
            {"packets",
             {{{"t", 0.0},
               {"dir", "s2c"},
               {"flags", "P."},
               {"seq", 1},
               {"ack", 1},
               {"len", 100},
               {"win", 500}},
              {{"t", 0.1},
               {"dir", "c2s"},
               {"flags", "."},
               {"seq", 1},
               {"ack", 101},
               {"len", 0},
               {"win", 0}},
              {{"t", 0.3},
               {"dir", "s2c"},
               {"flags", "."},
               {"seq", 100},
               {"ack", 1},
               {"len", 0},
               {"win", 500}},
              {{"t", 0.4},
               {"dir", "c2s"},
               {"flags", "."},
               {"seq", 1},
               {"ack", 101},
               {"len", 0},
               {"win", 4096}},
              {{"t", 0.5},
               {"dir", "s2c"},
               {"flags", "F."},
               {"seq", 101},
               {"ack", 1},
               {"len", 0},
               {"win", 500}}}}};
  const CaseTimeline tl = BuildCaseTimeline(c);
  ASSERT_EQ(tl.packets.size(), 5u);
  EXPECT_EQ(tl.packets[0].kind, SegmentKind::kData);
  EXPECT_EQ(tl.packets[1].kind, SegmentKind::kAck);
  EXPECT_EQ(tl.packets[2].kind, SegmentKind::kZeroWindowProbe);
  EXPECT_EQ(tl.packets[3].kind, SegmentKind::kWindowUpdate);
  EXPECT_EQ(tl.packets[4].kind, SegmentKind::kFin);
  EXPECT_DOUBLE_EQ(tl.t_first, 0.0);
  EXPECT_DOUBLE_EQ(tl.t_last, 0.5);
}

// Lab steps (doc/matrix-format.md) are notes: what was done to the link, when.
TEST(CaseTimelineTest, LabEventsAreNotesOfWhatAndWhen) {
  json c = ReferenceCase("04");
  c["events"]["lab"] = json::parse(R"([
    {"step": "impair", "host": "lab", "t_start": 0.0123, "t_end": 0.019, "ok": true, "error": null,
     "impairment": {"direction": "to_client", "match": "fin", "action": "drop", "for_ms": 500},
     "until": 0.519},
    {"step": "impair", "host": "lab", "t_start": 0.5, "t_end": 0.5, "ok": false, "error": "no hook",
     "impairment": {"direction": "to_server", "match": "syn", "action": "delay", "delay_ms": 40,
                    "for_ms": 0}},
    {"step": "clear_impairments", "host": "lab", "t_start": 1.25, "t_end": 1.26, "ok": true}
  ])");
  const std::string text = RenderTimelineText(BuildCaseTimeline(c));
  EXPECT_NE(
      text.find("note: lab impair to_client fin drop for 500 ms at 0.012 s (until 0.519 s)\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("note: lab impair to_server syn delay by 40 ms at 0.500 s failed: no hook\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("note: lab clear_impairments at 1.250 s\n"), std::string::npos) << text;
}

TEST(CaseTimelineTest, MalformedCasesNeverThrow) {
  for (const json& c :
       {json(), json::array(), json{{"id", 4}}, json{{"events", {{"lab", 7}}}},
        json{{"events", {{"lab", {1, "x", {{"step", 2}, {"t_start", "x"}, {"until", "y"}}}}}}},
        json{{"events", {{"lab", {{{"impairment", {{"for_ms", "z"}, {"delay_ms", 1.5}}}}}}}}},
        json{{"events", {{"server", {{{"step", "close"}, {"t_start", "x"}}}}}}},
        json{{"packets", {{{"t", "soon"}}}}},
        json{{"outcome", {{"evidence", {1, {{"what", 3}}, {{"what", "w"}, {"packet", 99}}}}}}}}) {
    EXPECT_NO_THROW(RenderTimelineText(BuildCaseTimeline(c))) << c;
  }
  const CaseTimeline tl =
      BuildCaseTimeline(json{{"outcome", {{"evidence", {{{"what", "w"}, {"packet", 99}}}}}}});
  ASSERT_EQ(tl.notes.size(), 1u);  // no packet 99: kept as a note, not lost
}

// lwIP 2.1.3 with SO_LINGER on the listening socket (doc/lwip.md): the
// call the stack exited (03) or hung (05) in is drawn, marked as never
// returned, and `show` says what the fault was.
TEST(CaseTimelineTest, AStackFaultIsShownWithItsCall) {
  for (const auto& [id, kind] : {std::pair{"03", "exited"}, std::pair{"05", "hung"}}) {
    SCOPED_TRACE(id);
    const CaseTimeline tl = BuildCaseTimeline(ReferenceCase(id, "reference-lwip-scale0.05"));
    EXPECT_EQ(tl.stack_fault.rfind(std::string("stack fault: ") + kind + " in close(): ", 0), 0u)
        << tl.stack_fault;
    int faults = 0;
    for (const TimelineCall& c : tl.calls) {
      if (!c.fault) continue;
      ++faults;
      EXPECT_TRUE(c.server);
      EXPECT_EQ(c.text, std::string("close(lsock): never returned, the stack ") + kind);
      EXPECT_LE(c.t_start, c.t_end);
    }
    EXPECT_EQ(faults, 1);
    const std::string text = RenderTimelineText(tl);
    EXPECT_NE(text.find(tl.stack_fault), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace lingerlab
