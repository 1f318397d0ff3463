// Connection-level facts read from a case's packets: each side's FIN and
// the ACK that covered it, the first RST each side sent, and how much of the
// server's payload had been sent and acknowledged at a given packet.
//
// Each fact is counted once however often the segment carrying it was
// retransmitted: a FIN is identified by its sequence number and its first
// transmission is the one reported. Zero-window probes (seq one below
// snd.una), window updates and duplicate ACKs carry no FIN, no RST and no new
// sequence space, so they change none of these facts. Pure; never fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "suite/classify/case_view.h"

namespace lingerlab::classify {

struct FinFact {
  size_t packet = 0;  // position in CaseView::packets of the first transmission
  double t = 0;
  int64_t fin_seq = 0;  // the FIN's own sequence number; an ACK >= fin_seq + 1 covers it
};

struct TcpTimeline {
  std::optional<FinFact> server_fin, client_fin;
  // Positions (in CaseView::packets) of the first ACK from the other side
  // that covers each FIN, sent after it.
  std::optional<size_t> server_fin_ack, client_fin_ack;
  // Positions of the first RST each side sent.
  std::optional<size_t> server_rst, client_rst;
};

TcpTimeline BuildTimeline(const std::vector<CasePacket>& packets);

// Payload bytes of the server's stream that had left (highest seq + len seen
// from the server, minus the SYN's one) before position `before`.
int64_t ServerBytesSentBefore(const std::vector<CasePacket>& packets, size_t before);

// Payload bytes of the server's stream the client had acknowledged before
// position `before`, capped at `written` (an ACK of the FIN covers one more).
int64_t ServerBytesAckedBefore(const std::vector<CasePacket>& packets, size_t before,
                               int64_t written);

// Position of the last packet before `before` in the given direction
// (s2c == true: from the server); nullopt when none.
std::optional<size_t> LastBefore(const std::vector<CasePacket>& packets, size_t before, bool s2c);

// Position of the first ACK from the side opposite to `from_server` that
// covers `fin`, at or after position `from`; nullopt when none.
std::optional<size_t> FirstAckCovering(const std::vector<CasePacket>& packets, const FinFact& fin,
                                       bool fin_from_server, size_t from);

}  // namespace lingerlab::classify
