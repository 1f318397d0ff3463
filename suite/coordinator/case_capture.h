// Opening a case's packet capture where its lab says the packets are
// (CaseLab::capture_site(), suite/targets/target.h): a local libpcap capture
// inside the server's namespace, or a capture the server's agent records on
// its own host and hands back over the control channel (doc/protocol.md
// §3.2 capture_start / capture_stop / capture_read). Either way the result is
// a CaptureSource whose packets are on the coordinator's clock and whose pcap
// is written to the case's pcap path, so the case runner and the classifier
// do not care where the capture ran.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "suite/capture/capture_source.h"
#include "suite/coordinator/agent_client.h"
#include "suite/targets/target.h"

namespace lingerlab {

// Largest pcap accepted from an agent (the agent's own cap is the same,
// doc/protocol.md §3.3 kMaxCaptureBytes): a case's connection is a few
// hundred packets.
constexpr int64_t kMaxAgentPcapBytes = 64ll << 20;
// Bytes asked for per capture_read (the agent's kMaxCaptureChunk).
constexpr int64_t kAgentPcapChunk = 256 << 10;

struct CaseCaptureRequest {
  std::string bpf_filter;  // the case's connection
  std::string pcap_path;   // where the case's pcap goes
  // The server agent's clock offset (agent_real - coordinator_real): an
  // agent's pcap is stamped on its clock; packets are returned on ours.
  int64_t server_clock_offset_ns = 0;
  // Monotonic time (MonotonicNs) by which an agent's capture must have been
  // stopped and fetched: the case's own deadline, so an agent that answers
  // capture_read slowly (a byte per reply) cannot hold the case past it.
  // 0: no deadline of its own (each request still has its timeout).
  int64_t deadline_ns = 0;
};

// A case's capture, which can also say where it ran.
class CaseCapture : public CaptureSource {
 public:
  // {"site": "local"|"server-agent", "interface": ..., "netns": ... or
  // "agent": "HOST:PORT", "link_type": ..., "clock": ...}: recorded in the
  // case's `capture` object (doc/results-format.md).
  virtual nlohmann::json Where() const = 0;
};

// Opens (does not start) the capture. An agent's capture is fetched
// into request.pcap_path as it arrives (one chunk in memory at a time),
// within request.deadline_ns; a fetch that does not start with a pcap or
// pcapng header is abandoned at its first chunk, and a fetched file that
// does not parse is deleted, so a lying agent leaves neither gigabytes in
// memory nor on disk; Stop() then fails saying why. `server_agent` is used for
// CaptureSite::kServerAgent and must outlive the capture. Fails with
// kUnsupported when the site cannot capture at all (the agent answered
// `capture_unavailable`: no privilege, no libpcap): the case then runs
// without packets and says so. Other errors are the capture's failure.
Result<std::unique_ptr<CaseCapture>> OpenCaseCapture(const CaseLab& lab, AgentClient* server_agent,
                                                     const CaseCaptureRequest& request);

}  // namespace lingerlab
