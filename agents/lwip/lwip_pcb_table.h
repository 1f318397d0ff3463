// lwIP's own TCP state, for the tcp_state and socket_table ops
// (doc/protocol.md §3.2): lwIP keeps no /proc/net/tcp and no TCP_INFO, but
// its protocol control blocks (struct tcp_pcb) carry the state, and lwIP 2.1.3
// exports the lists that hold them (tcp_active_pcbs, tcp_tw_pcbs,
// tcp_listen_pcbs). Both functions walk them under the tcpip core lock and
// report states in Linux's tcpi_state numbering (socket_api.h).
//
// Neither fails: an empty result means lwIP holds no such connection.
#pragma once

#include <cstddef>
#include <vector>

#include "agents/platform/socket_api.h"

namespace lingerlab {

// Linux's tcpi_state number for lwIP's enum tcp_state value `lwip_state`
// (0 CLOSED .. 10 TIME_WAIT); 0 for a value lwIP does not define.
int LinuxStateOfLwip(int lwip_state);

// The non-listening connections whose local port is `port` (at most `max`),
// active ones first, then those in TIME_WAIT.
std::vector<TcpTableEntry> LwipConnectionsOnPort(int port, size_t max);

// TCP_INFO's sample for the connection between `local_port` and
// `remote_port` (remote 0: any; a listener matches only then): its state,
// the segments sent and not acknowledged and the pcb's retransmission count
// (nrtx). State CLOSE (7), the counts 0, when lwIP has no control block for
// it (a socket never connected, or one whose connection lwIP already freed).
TcpInfoSample LwipTcpInfoOf(int local_port, int remote_port);

}  // namespace lingerlab
