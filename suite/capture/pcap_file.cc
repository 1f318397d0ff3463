#include "suite/capture/pcap_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "suite/capture/pcap_handle.h"

namespace lingerlab {

using capture_internal::PcapPtr;
using capture_internal::TimestampNs;

Result<std::vector<TcpPacket>> ReadPcapFile(const std::string& path) {
  // libpcap's own message for a missing file does not let callers tell
  // "not there" from "not a pcap"; stat first.
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailed,
                     "cannot read pcap file " + path + ": " + std::strerror(err));
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // Asking for nanoseconds makes libpcap scale microsecond files up, so both
  // kinds arrive in the same unit.
  PcapPtr pcap(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf));
  if (!pcap) {
    return MakeError(ErrorCode::kInvalidInput, "cannot read pcap file " + path + ": " + errbuf);
  }
  const int linktype = pcap_datalink(pcap.get());
  if (!LinktypeSupported(linktype)) {
    const char* name = pcap_datalink_val_to_name(linktype);
    return MakeError(ErrorCode::kInvalidInput, "pcap file " + path + " has link type " +
                                                   (name ? name : "?") + " (" +
                                                   std::to_string(linktype) + "), not supported");
  }
  const int precision = pcap_get_tstamp_precision(pcap.get());

  std::vector<TcpPacket> packets;
  int64_t frame = 0;  // tshark's frame.number: every frame counts, TCP or not
  while (true) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(pcap.get(), &header, &data);
    if (rc == PCAP_ERROR_BREAK) break;  // end of file
    if (rc != 1) {
      return MakeError(ErrorCode::kInvalidInput,
                       "error reading pcap file " + path + ": " + pcap_geterr(pcap.get()));
    }
    auto packet =
        ParseFrame(linktype, data, header->caplen, TimestampNs(header->ts, precision), header->len);
    ++frame;
    if (packet) {
      packet->frame = frame;
      packets.push_back(std::move(*packet));
    }
  }
  return packets;
}

}  // namespace lingerlab
