// Reading a capture file back into TcpPackets: for re-analysing a run's
// pcaps and for checking what the live capture wrote.
#pragma once

#include <string>
#include <vector>

#include "agents/base/result.h"
#include "suite/capture/packet.h"

namespace lingerlab {

// Reads a pcap (or pcapng) file of any link type ParseFrame knows, with
// micro- or nanosecond timestamps (both become t_ns), in file order; frames
// that are not TCP are skipped, but counted in each packet's `frame` (tshark's
// frame.number). Fails with kNotFound if the file does not
// exist, kInvalidInput if it is not a capture file, is truncated or has an
// unsupported link type (libpcap's message included).
Result<std::vector<TcpPacket>> ReadPcapFile(const std::string& path);

}  // namespace lingerlab
