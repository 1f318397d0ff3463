#include "suite/classify/test_case_builder.h"

#include <algorithm>

namespace lingerlab::testing {
namespace {

constexpr int64_t kSegment = 4096;
constexpr const char* kScaledKeys[] = {"server_pause_s",   "read_interval_s", "idle_s",
                                       "eof_wait_limit_s", "linger_s",        "settle_s"};

int64_t ToNs(double t) { return static_cast<int64_t>(t * 1e9); }

}  // namespace

CaseBuilder::CaseBuilder() {
  nlohmann::json nominal = {{"payload_bytes", kPayload}, {"server_sndbuf", 51200},
                            {"client_rcvbuf", 8192},     {"read_chunk", 512},
                            {"server_pause_s", 1.0},     {"read_interval_s", 4.0},
                            {"idle_s", 300.0},           {"eof_wait_limit_s", nullptr},
                            {"linger_s", nullptr},       {"settle_s", 3.0}};
  doc_ = {
      {"id", "00"},
      {"name", "test"},
      {"parameters",
       {{"client", "slow"},
        {"linger", nullptr},
        {"shutdown", "none"},
        {"nominal", nominal},
        {"applied", nominal}}},
      {"status", "completed"},
      {"error", nullptr},
      {"duration_s", 0.0},
      {"t0_real_ns", 1763726400000000000},
      {"events", {{"server", nlohmann::json::array()}, {"client", nlohmann::json::array()}}},
      {"packets", nlohmann::json::array()},
      {"capture", {{"pcap", "pcaps/test.pcap"}, {"packets", 0}, {"dropped", 0}}},
  };
}

CaseBuilder& CaseBuilder::Id(const std::string& id) {
  doc_["id"] = id;
  return *this;
}

CaseBuilder& CaseBuilder::ClientKind(const std::string& kind) {
  doc_["parameters"]["client"] = kind;
  return *this;
}

CaseBuilder& CaseBuilder::Linger(const std::string& socket, double seconds) {
  doc_["parameters"]["linger"] = {{"socket", socket}, {"seconds", seconds}};
  doc_["parameters"]["nominal"]["linger_s"] = seconds;
  doc_["parameters"]["applied"]["linger_s"] = seconds * scale_;
  return *this;
}

CaseBuilder& CaseBuilder::Shutdown(const std::string& mode, std::optional<double> limit_s) {
  doc_["parameters"]["shutdown"] = mode;
  if (limit_s) {
    doc_["parameters"]["nominal"]["eof_wait_limit_s"] = *limit_s;
    doc_["parameters"]["applied"]["eof_wait_limit_s"] = *limit_s * scale_;
  }
  return *this;
}

CaseBuilder& CaseBuilder::TimeScale(double scale) {
  scale_ = scale;
  nlohmann::json& applied = doc_["parameters"]["applied"];
  const nlohmann::json& nominal = doc_["parameters"]["nominal"];
  for (const char* key : kScaledKeys) {
    if (nominal[key].is_number()) applied[key] = nominal[key].get<double>() * scale;
  }
  return *this;
}

CaseBuilder& CaseBuilder::Failed(const std::string& error) {
  doc_["status"] = "error";
  doc_["error"] = error;
  return *this;
}

CaseBuilder& CaseBuilder::Dropped(int64_t packets) {
  doc_["capture"]["dropped"] = packets;
  return *this;
}

nlohmann::json CaseBuilder::Event(const std::string& step, const std::string& handle,
                                  double t_start, double t_end,
                                  const nlohmann::json& fields) const {
  nlohmann::json e = {
      {"step", step},
      {"handle", handle},
      {"args", {{"handle", handle}}},
      {"ret", 0},
      {"errno", 0},
      {"errno_name", nullptr},
      {"start", {{"mono_ns", ToNs(t_start)}, {"real_ns", ToNs(t_start)}}},
      {"end", {{"mono_ns", ToNs(t_end)}, {"real_ns", ToNs(t_end)}}},
      {"t_start", t_start},
      {"t_end", t_end},
  };
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it.key() == "args") {
      for (auto a = it->begin(); a != it->end(); ++a) e["args"][a.key()] = a.value();
    } else {
      e[it.key()] = it.value();
    }
  }
  return e;
}

CaseBuilder& CaseBuilder::Server(const std::string& step, const std::string& handle, double t_start,
                                 double t_end, const nlohmann::json& fields) {
  doc_["events"]["server"].push_back(Event(step, handle, t_start, t_end, fields));
  return *this;
}

CaseBuilder& CaseBuilder::Client(const std::string& step, const std::string& handle, double t_start,
                                 double t_end, const nlohmann::json& fields) {
  doc_["events"]["client"].push_back(Event(step, handle, t_start, t_end, fields));
  return *this;
}

CaseBuilder& CaseBuilder::ServerPrologue(double t_write_end) {
  const nlohmann::json& linger = doc_["parameters"]["linger"];
  const std::string socket = linger.is_object() ? linger["socket"].get<std::string>() : "";
  const double seconds =
      linger.is_object() ? doc_["parameters"]["applied"]["linger_s"].get<double>() : 0;
  const nlohmann::json so_linger = {
      {"args", {{"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", seconds}}}};
  const double pause = doc_["parameters"]["applied"]["server_pause_s"].get<double>();
  double t = t_write_end - pause - 0.02;
  Server("socket", "lsock", t, t + 0.0001);
  Server("setsockopt", "lsock", t + 0.0002, t + 0.0003, {{"args", {{"option", "SO_REUSEADDR"}}}});
  Server("setsockopt", "lsock", t + 0.0004, t + 0.0005, {{"args", {{"option", "SO_SNDBUF"}}}});
  if (socket == "lsock") Server("setsockopt", "lsock", t + 0.0006, t + 0.0007, so_linger);
  Server("bind", "lsock", t + 0.0008, t + 0.0009);
  Server("listen", "lsock", t + 0.001, t + 0.0011);
  Server("accept", "lsock", t + 0.0012, t + 0.01, {{"ret", 5}, {"args", {{"as", "csock"}}}});
  if (socket == "csock") Server("setsockopt", "csock", t + 0.011, t + 0.0111, so_linger);
  Server("close", "lsock", t + 0.012, t + 0.0121);
  Server("pause", "", t + 0.013, t + 0.013 + pause);
  Server("write", "csock", t_write_end - 0.001, t_write_end,
         {{"bytes", kPayload}, {"calls", 1}, {"ret", kPayload}});
  return *this;
}

CaseBuilder& CaseBuilder::ClientPrologue(double t_connected) {
  const double t = t_connected - 0.005;
  Client("socket", "sock", t, t + 0.0001);
  Client("setsockopt", "sock", t + 0.0002, t + 0.0003, {{"args", {{"option", "SO_RCVBUF"}}}});
  Client("connect", "sock", t + 0.001, t_connected);
  return *this;
}

CaseBuilder& CaseBuilder::Close(double t_start, double t_end, int ret,
                                std::optional<std::string> errno_name) {
  nlohmann::json fields = {{"ret", ret}};
  if (errno_name) {
    fields["errno"] = *errno_name == "EINVAL" ? 22 : 35;
    fields["errno_name"] = *errno_name;
  }
  return Server("close", "csock", t_start, t_end, fields);
}

CaseBuilder& CaseBuilder::ClientRead(double t_start, double t_end, int64_t bytes,
                                     const std::string& end, std::optional<std::string> errno_name,
                                     bool verified, std::optional<int64_t> first_mismatch) {
  nlohmann::json fields = {{"bytes", bytes},
                           {"end", end},
                           {"verified", verified},
                           {"first_mismatch", nullptr},
                           {"reads", nlohmann::json::array()},
                           {"ret", end == "error" ? -1 : 0}};
  if (first_mismatch) fields["first_mismatch"] = *first_mismatch;
  if (errno_name) {
    fields["errno"] = 104;
    fields["errno_name"] = *errno_name;
  }
  return Client("read", "sock", t_start, t_end, fields);
}

CaseBuilder& CaseBuilder::Packet(double t, const std::string& dir, const std::string& flags,
                                 int64_t seq, int64_t ack, int64_t len, int64_t win) {
  doc_["packets"].push_back({{"t", t},
                             {"dir", dir},
                             {"flags", flags},
                             {"seq", seq},
                             {"ack", ack},
                             {"len", len},
                             {"win", win}});
  doc_["capture"]["packets"] = doc_["packets"].size();
  return *this;
}

CaseBuilder& CaseBuilder::Handshake(double t) {
  C2s(t, "S", 0, 0, 0, 64240);
  S2c(t + 0.0001, "S.", 0, 1, 0, 65160);
  C2s(t + 0.0002, ".", 1, 1, 0, 8192);
  return *this;
}

double CaseBuilder::SendData(double t, int64_t first_byte, int64_t bytes, int64_t win_after,
                             bool fin) {
  int64_t seq = first_byte + 1;
  const int64_t end = seq + bytes;
  while (seq < end) {
    const int64_t len = std::min(kSegment, end - seq);
    const bool last = seq + len == end;
    S2c(t, last && fin ? "FP." : "P.", seq, 1, len);
    t += 0.0001;
    seq += len;
    C2s(t, ".", 1, seq + (last && fin ? 1 : 0), 0, win_after);
    t += 0.0001;
  }
  return t;
}

nlohmann::json CaseBuilder::Build() const { return doc_; }

}  // namespace lingerlab::testing
