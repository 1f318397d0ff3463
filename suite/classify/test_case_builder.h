// Test helper: builds case documents (doc/results-format.md, "A case") for
// classifier tests, with the matrix's nominal parameters, the agents' usual
// steps and hand-placed packets. Test-only; not part of lingerlab_classify.
//
// Packets are kept in the order added unless SortPackets() is called; events
// in the order added (the order performed). Nothing here fails: a test that
// builds a nonsensical case gets exactly that case.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace lingerlab::testing {

class CaseBuilder {
 public:
  // A completed slow-client case without SO_LINGER or shutdown, time scale 1.
  CaseBuilder();

  CaseBuilder& Id(const std::string& id);
  CaseBuilder& ClientKind(const std::string& kind);
  // SO_LINGER {on, seconds} on `socket`; applied seconds = seconds * scale.
  CaseBuilder& Linger(const std::string& socket, double seconds);
  // "wait_eof" or "wait_eof_limited" (with the nominal limit in seconds).
  CaseBuilder& Shutdown(const std::string& mode, std::optional<double> limit_s = std::nullopt);
  // Scales every suite-controlled time in "applied" (call before Linger).
  CaseBuilder& TimeScale(double scale);
  CaseBuilder& Failed(const std::string& error);
  CaseBuilder& Dropped(int64_t packets);

  // One event of the server / client; `fields` are merged into it (ret,
  // errno_name, bytes, end, ...). ret defaults to 0, errno to 0 / null.
  CaseBuilder& Server(const std::string& step, const std::string& handle, double t_start,
                      double t_end, const nlohmann::json& fields = nlohmann::json::object());
  CaseBuilder& Client(const std::string& step, const std::string& handle, double t_start,
                      double t_end, const nlohmann::json& fields = nlohmann::json::object());

  // The server's usual steps up to and including `write csock` of the
  // payload, ending at t_write_end; the SO_LINGER setsockopt is placed per
  // the Linger() socket (not for csock_late, which the test places itself).
  CaseBuilder& ServerPrologue(double t_write_end);
  // The client's socket, SO_RCVBUF and connect steps, ending at t_connected.
  CaseBuilder& ClientPrologue(double t_connected);
  // The server's close() of csock; errno_name null means success.
  CaseBuilder& Close(double t_start, double t_end, int ret = 0,
                     std::optional<std::string> errno_name = std::nullopt);
  // The client's read loop: end "eof" | "error" | "limit".
  CaseBuilder& ClientRead(double t_start, double t_end, int64_t bytes, const std::string& end,
                          std::optional<std::string> errno_name = std::nullopt,
                          bool verified = true,
                          std::optional<int64_t> first_mismatch = std::nullopt);

  // One packet. dir "s2c" | "c2s".
  CaseBuilder& Packet(double t, const std::string& dir, const std::string& flags, int64_t seq,
                      int64_t ack, int64_t len = 0, int64_t win = 65160);
  CaseBuilder& S2c(double t, const std::string& flags, int64_t seq, int64_t ack, int64_t len = 0,
                   int64_t win = 65160) {
    return Packet(t, "s2c", flags, seq, ack, len, win);
  }
  CaseBuilder& C2s(double t, const std::string& flags, int64_t seq, int64_t ack, int64_t len = 0,
                   int64_t win = 65160) {
    return Packet(t, "c2s", flags, seq, ack, len, win);
  }
  // SYN, SYN-ACK, ACK from t.
  CaseBuilder& Handshake(double t);
  // The server sends bytes [first, first + bytes) of its stream in 4096-byte
  // segments from t, 0.1 ms apart; the client ACKs each with window `win_after`.
  // `fin` puts the FIN on the last segment. Returns the time after the last packet.
  double SendData(double t, int64_t first_byte, int64_t bytes, int64_t win_after, bool fin = false);

  // The packet count so far (the index the next packet will get).
  size_t packet_count() const { return doc_["packets"].size(); }

  nlohmann::json Build() const;

 private:
  nlohmann::json Event(const std::string& step, const std::string& handle, double t_start,
                       double t_end, const nlohmann::json& fields) const;

  nlohmann::json doc_;
  double scale_ = 1.0;
};

// The matrix's payload: 20480 bytes.
inline constexpr int64_t kPayload = 20480;

}  // namespace lingerlab::testing
