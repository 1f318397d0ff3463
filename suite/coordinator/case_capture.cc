#include "suite/coordinator/case_capture.h"

#include <cstdio>
#include <fstream>
#include <mutex>

#include "agents/base/base64.h"
#include "agents/base/clock.h"
#include "agents/protocol/message.h"
#include "suite/capture/pcap_capture.h"
#include "suite/capture/pcap_file.h"
#include "suite/coordinator/case_runner.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// The first four bytes of a pcap (either byte order, micro- or nanosecond
// stamps) or of a pcapng section header block.
constexpr size_t kMagicBytes = 4;

bool StartsLikeACaptureFile(const std::string& bytes) {
  if (bytes.size() < kMagicBytes) return false;
  uint32_t magic = 0;
  for (int i = 0; i < 4; ++i) magic = (magic << 8) | static_cast<unsigned char>(bytes[i]);
  for (uint32_t known : {0xa1b2c3d4u, 0xd4c3b2a1u, 0xa1b23c4du, 0x4d3cb2a1u, 0x0a0d0d0au})
    if (magic == known) return true;
  return false;
}

// A capture on this machine: libpcap on the server's end of the test link,
// inside its namespace.
class LocalCaseCapture : public CaseCapture {
 public:
  LocalCaseCapture(std::unique_ptr<CaptureSource> pcap, json where)
      : pcap_(std::move(pcap)), where_(std::move(where)) {}
  Status Start() override { return pcap_->Start(); }
  Status Stop() override { return pcap_->Stop(); }
  std::vector<TcpPacket> Packets() const override { return pcap_->Packets(); }
  uint64_t Dropped() const override { return pcap_->Dropped(); }
  json Where() const override { return where_; }

 private:
  std::unique_ptr<CaptureSource> pcap_;
  json where_;
};

// A capture the server's agent records on its host. Start() and Stop() are
// requests on the server's control channel, so they are called between
// steps, never during one (the case runner does: before the first step and
// after the settle time).
class AgentCaseCapture : public CaseCapture {
 public:
  AgentCaseCapture(AgentClient* agent, std::string address, CaseCaptureRequest request,
                   std::string endpoint)
      : agent_(agent),
        address_(std::move(address)),
        request_(std::move(request)),
        endpoint_(std::move(endpoint)) {}

  Status Start() override {
    auto e =
        agent_->Request("capture_start", {{"address", address_}, {"filter", request_.bpf_filter}},
                        kQuickStepTimeoutNs);
    if (!e.ok()) return e.status();
    started_ = true;
    interface_ = MessageString(*e, "interface");
    link_type_ = MessageString(*e, "link_type");
    return Status::Ok();
  }

  Status Stop() override {
    if (!started_ || stopped_) return Status::Ok();
    stopped_ = true;
    auto timeout = FetchTimeoutNs(0, 0);
    if (!timeout.ok()) return timeout.status();
    auto e = agent_->Request("capture_stop", json::object(), *timeout);
    if (!e.ok()) return e.status();
    const int64_t size = MessageInt(*e, "bytes").value_or(-1);
    if (size < 0 || size > kMaxAgentPcapBytes)
      return MakeError(ErrorCode::kInvalidInput, "agent reports a capture of " +
                                                     std::to_string(size) + " bytes (limit " +
                                                     std::to_string(kMaxAgentPcapBytes) + ")");
    dropped_ = static_cast<uint64_t>(std::max<int64_t>(0, MessageInt(*e, "dropped").value_or(0)));
    truncated_ = e->value("truncated", false) == true;
    // The pcap as the agent recorded it (its clock), for tcpdump and the
    // report; the packets below are on the coordinator's clock.
    if (Status fetched = Fetch(size); !fetched.ok()) {
      std::remove(request_.pcap_path.c_str());
      return fetched;
    }
    auto packets = ReadPcapFile(request_.pcap_path);
    if (!packets.ok()) {
      std::remove(request_.pcap_path.c_str());
      return MakeError(packets.error().code,
                       "the agent's pcap does not parse (discarded): " + packets.error().message);
    }
    for (TcpPacket& p : *packets) p.t_ns -= request_.server_clock_offset_ns;
    packets_ = std::move(*packets);
    if (truncated_)
      return MakeError(ErrorCode::kFailed,
                       "the agent's capture hit its size limit; later "
                       "packets are missing");
    return Status::Ok();
  }

  std::vector<TcpPacket> Packets() const override { return packets_; }
  uint64_t Dropped() const override { return dropped_; }
  json Where() const override {
    return {{"site", CaptureSiteName(CaptureSite::kServerAgent)},
            {"agent", endpoint_},
            {"interface", interface_},
            {"link_type", link_type_},
            {"clock", "server agent's; packets shifted by its clock offset"}};
  }

 private:
  // Time left for the fetch: the request's timeout, cut to the deadline.
  Result<int64_t> FetchTimeoutNs(int64_t offset, int64_t size) const {
    if (request_.deadline_ns == 0) return kQuickStepTimeoutNs;
    const int64_t left = request_.deadline_ns - MonotonicNs();
    if (left <= 0)
      return MakeError(ErrorCode::kTimeout,
                       "the case's deadline passed while fetching the "
                       "agent's capture (" +
                           std::to_string(offset) + " of " + std::to_string(size) + " bytes)");
    return std::min(kQuickStepTimeoutNs, left);
  }

  // capture_read in chunks until eof, each checked against what was asked
  // and appended to the pcap file as it comes.
  Status Fetch(int64_t size) {
    std::ofstream out(request_.pcap_path, std::ios::binary | std::ios::trunc);
    if (!out) return MakeError(ErrorCode::kFailed, "cannot write " + request_.pcap_path);
    int64_t offset = 0;
    std::string head;  // the file's first kMagicBytes, however they arrive
    while (offset < size) {
      const int64_t want = std::min(kAgentPcapChunk, size - offset);
      auto timeout = FetchTimeoutNs(offset, size);
      if (!timeout.ok()) return timeout.status();
      auto e = agent_->Request("capture_read", {{"offset", offset}, {"length", want}}, *timeout);
      if (!e.ok()) {
        // A reply cut off by the deadline is the deadline's doing.
        if (e.error().code == ErrorCode::kTimeout && request_.deadline_ns != 0 &&
            MonotonicNs() >= request_.deadline_ns)
          return FetchTimeoutNs(offset, size).status();
        return e.status();
      }
      auto bytes = Base64Decode(MessageString(*e, "data"));
      if (!bytes.ok())
        return MakeError(ErrorCode::kInvalidInput, "capture_read at " + std::to_string(offset) +
                                                       ": " + bytes.error().message);
      if (bytes->empty() || static_cast<int64_t>(bytes->size()) > want)
        return MakeError(ErrorCode::kInvalidInput, "capture_read at " + std::to_string(offset) +
                                                       " returned " +
                                                       std::to_string(bytes->size()) +
                                                       " bytes, asked for " + std::to_string(want));
      if (head.size() < kMagicBytes) {
        head += bytes->substr(0, kMagicBytes - head.size());
        if (head.size() == kMagicBytes && !StartsLikeACaptureFile(head))
          return MakeError(ErrorCode::kInvalidInput,
                           "the agent's capture is not a pcap or pcapng file (its first bytes); "
                           "discarded");
      }
      out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
      if (!out) return MakeError(ErrorCode::kFailed, "cannot write " + request_.pcap_path);
      offset += static_cast<int64_t>(bytes->size());
    }
    out.close();
    if (!out) return MakeError(ErrorCode::kFailed, "cannot write " + request_.pcap_path);
    return Status::Ok();
  }

  AgentClient* agent_;
  std::string address_;
  CaseCaptureRequest request_;
  std::string endpoint_;
  bool started_ = false, stopped_ = false, truncated_ = false;
  std::string interface_, link_type_;
  uint64_t dropped_ = 0;
  std::vector<TcpPacket> packets_;
};

}  // namespace

Result<std::unique_ptr<CaseCapture>> OpenCaseCapture(const CaseLab& lab, AgentClient* server_agent,
                                                     const CaseCaptureRequest& request) {
  const HostInfo& server = lab.host(Role::kServer);
  if (lab.capture_site() == CaptureSite::kServerAgent) {
    if (!server_agent) return MakeError(ErrorCode::kFailed, "no server agent to capture with");
    return std::unique_ptr<CaseCapture>(
        new AgentCaseCapture(server_agent, server.address, request, server.agent_endpoint));
  }
  PcapCaptureOptions copt;
  copt.interface = server.interface;
  copt.netns_path = server.netns_path;
  copt.bpf_filter = request.bpf_filter;
  copt.pcap_path = request.pcap_path;
  auto pcap = OpenPcapCapture(copt);
  if (!pcap.ok()) return pcap.error();
  json where = {{"site", CaptureSiteName(CaptureSite::kLocal)},
                {"interface", server.interface},
                {"netns", server.netns},
                {"clock", "coordinator's"}};
  return std::unique_ptr<CaseCapture>(new LocalCaseCapture(std::move(*pcap), std::move(where)));
}

}  // namespace lingerlab
