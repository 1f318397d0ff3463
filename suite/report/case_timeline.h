// One case on its one time axis: the server's and the client's socket calls
// and the packets between them, with the evidence behind each claim marked
// where it lies. The model under `lingerlab show` (RenderTimelineText, lines
// like tcpdump's) and the HTML report's SVG timelines (html_report.h).
//
// Built from a case document (doc/results-format.md) through the
// classifier's typed view (suite/classify/case_view.h), so it never throws:
// what is missing or malformed is left out. Times are seconds on the case
// axis (the agents' clocks mapped onto the capture's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lingerlab {

struct TimelineCall {
  bool server = true;
  std::string text;  // "close(csock) = 0", "read(sock) = -1 ECONNRESET"
  std::string step;  // "close"
  double t_start = 0, t_end = 0;
  bool failed = false;                // returned -1
  std::vector<std::string> evidence;  // what the classifier noted at this call
};

// What a segment is, for drawing and for thinning pure ACKs.
enum class SegmentKind { kSyn, kData, kFin, kRst, kAck, kWindowUpdate, kZeroWindowProbe };
const char* SegmentKindName(SegmentKind kind);  // "syn", "data", ..., "zero-window-probe"

struct TimelinePacket {
  size_t index = 0;  // position in the case's "packets" (pcap order)
  double t = 0;
  bool s2c = false;
  std::string flags;  // "S.", "R", "FP." as recorded
  int64_t seq = 0, ack = 0, len = 0, win = 0;
  SegmentKind kind = SegmentKind::kAck;
  std::vector<std::string> evidence;  // "abort_on_close: server RST 0.000015 s after close() ..."
};

struct CaseTimeline {
  std::string id, name, status, verdict, error;
  std::vector<TimelineCall> calls;      // both sides, by start time
  std::vector<TimelinePacket> packets;  // by time
  std::vector<std::string> notes;       // evidence tied to no call or packet
  std::string pcap;                     // the case's pcap, relative to the results file
  double t_first = 0, t_last = 0;       // the axis: first and last call or packet
};

CaseTimeline BuildCaseTimeline(const nlohmann::json& case_doc);

// `lingerlab show`: one line per call and packet, in time order, like
// tcpdump's; a call that spans packets (a blocking close()) gets a line where
// it starts and one where it returns; evidence is marked with "<== claim".
std::string RenderTimelineText(const CaseTimeline& timeline);

}  // namespace lingerlab
