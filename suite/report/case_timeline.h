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
  bool fault = false;                 // the stack exited or hung in it: it never returned
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
  // From the pcap (UseWirePackets): tshark's frame.number and tcpdump's line,
  // "#7 12:00:01.234567 IP 198.18.0.1.5001 > ...: Flags [P.], ...". Empty:
  // only the results document's view of the packet is known.
  int64_t frame = 0;
  std::string wire;
};

struct CaseTimeline {
  std::string id, name, status, verdict, error;
  // "stack fault: ..." when the stack under test exited or hung in a call
  // (the case's stack_fault); that call is among `calls`, `fault` set.
  std::string stack_fault;
  std::vector<TimelineCall> calls;       // both sides, by start time
  std::vector<TimelinePacket> packets;   // by time
  std::vector<std::string> notes;        // evidence tied to no call or packet
  std::string pcap;                      // the case's pcap, relative to the results file
  std::string server_addr, client_addr;  // hosts.*.address ("" unknown)
  int server_port = 0;
  std::string packets_from;        // where the packet lines come from, for the header ("" unsaid)
  double t_first = 0, t_last = 0;  // the axis: first and last call or packet
};

CaseTimeline BuildCaseTimeline(const nlohmann::json& case_doc);

// One TCP frame of the case's pcap, already in tcpdump's words (the reader
// and the wording are suite/capture's; this module does not read pcaps).
struct WirePacket {
  int64_t frame = 0;  // tshark's frame.number
  double t = 0;       // on the case axis: (pcap time - t0_real_ns) in seconds
  bool s2c = false;
  std::string flags;  // FlagsText, to match the document's packets
  int64_t len = 0;
  std::string text;  // "#7 12:00:01.234567 IP ..."
};

// Replaces the document's packets with the pcap's, in file order. The
// document's packets are the connection's frames of that same pcap, so each
// is matched in order (same direction, flags, length and time to 1 us, after
// shifting every frame by the document's offset from the pcap clock, which
// is nonzero when a remote agent captured on its own clock) and
// lends its index, kind and evidence to its frame; a frame without a match is
// shown without them, and evidence of an unmatched document packet becomes a
// note rather than being lost.
void UseWirePackets(CaseTimeline& timeline, const std::vector<WirePacket>& wire);

// `lingerlab show`: one line per call and packet, in time order, each after
// its case time; packets as tcpdump prints them (the pcap's wire text, or
// the document's packet in the same shape when there is no pcap); a call that spans packets (a
// blocking close()) gets a line where it starts and one where it returns; evidence is marked with
// "<== claim".
std::string RenderTimelineText(const CaseTimeline& timeline);

}  // namespace lingerlab
