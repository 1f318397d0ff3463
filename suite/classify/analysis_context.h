// What every analysis of one case reads: the parsed case, its packet facts,
// the thresholds, the server's close() of csock, and how far the capture can
// be trusted to show that something did NOT happen.
//
// A positive finding (a RST left) needs only the packet that shows it. A
// negative one (no RST left within 0.2 s of close()) also needs the capture
// to have been running, without loss, for that whole window; CanAssertAbsence
// says whether it was. Nothing here fails.
#pragma once

#include <limits>

#include "suite/classify/case_view.h"
#include "suite/classify/evidence.h"
#include "suite/classify/tcp_timeline.h"
#include "suite/classify/thresholds.h"

namespace lingerlab::classify {

inline constexpr double kForever = std::numeric_limits<double>::infinity();

struct AnalysisContext {
  const CaseView& view;
  const TcpTimeline& timeline;
  const ClassifyThresholds& th;
  EvidenceLog& log;
  // The server's close() of csock, with both times; nullptr when missing.
  const CaseEvent* close = nullptr;
  // The case ran to its end (status "completed", no stack fault): the
  // capture covered everything the coordinator waited for, settle time
  // included.
  bool ran_to_end = false;
  // Packets were captured (positive findings are possible).
  bool has_packets = false;
  // No packets were reported dropped (absences may be trusted).
  bool lossless = false;
  // Time of the last captured packet (-inf when none).
  double observed_until = -std::numeric_limits<double>::infinity();

  // True when the capture shows everything up to case-axis time `horizon`
  // (kForever: to the end of the case), so a packet missing there did not
  // happen.
  bool CanAssertAbsence(double horizon) const {
    return has_packets && lossless && (ran_to_end || observed_until >= horizon);
  }

  const CasePacket& Packet(size_t pos) const { return view.packets[pos]; }
};

}  // namespace lingerlab::classify
