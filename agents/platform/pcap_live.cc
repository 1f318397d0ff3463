#include "agents/platform/pcap_live.h"

namespace lingerlab::pcap_live {

Result<LiveHandle> OpenLive(const LiveOptions& o) {
  const std::string& ifname = o.interface;
  const std::string where = o.where.empty() ? "" : " " + o.where;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  LiveHandle h;
  h.pcap.reset(pcap_create(ifname.c_str(), errbuf));
  if (!h.pcap)
    return MakeError(ErrorCode::kFailed, "cannot capture on " + ifname + where + ": " + errbuf);
  pcap_t* p = h.pcap.get();
  pcap_set_snaplen(p, o.snaplen);
  pcap_set_promisc(p, 0);
  if (o.buffer_bytes > 0) pcap_set_buffer_size(p, o.buffer_bytes);
  if (o.timeout_ms > 0) pcap_set_timeout(p, o.timeout_ms);
  // Without immediate mode the kernel hands frames over in blocks, and
  // poll() would not report them until a block fills or times out.
  pcap_set_immediate_mode(p, 1);
  // Fails (harmlessly) where the kernel only offers microseconds; the
  // handle's precision says what we got.
  (void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  const int rc = pcap_activate(p);
  if (rc < 0) {
    // pcap_geterr() is often empty or just repeats pcap_statustostr().
    const std::string err = pcap_geterr(p);
    const std::string detail = err.empty() ? pcap_statustostr(rc) : err;
    switch (rc) {
      case PCAP_ERROR_PERM_DENIED:
        return MakeError(ErrorCode::kPermission, "no permission to capture on " + ifname + where +
                                                     ": needs CAP_NET_RAW or root (" + detail +
                                                     ")");
      case PCAP_ERROR_NO_SUCH_DEVICE:
        return MakeError(ErrorCode::kNotFound,
                         "no such interface " + ifname + where + " (" + detail + ")");
      case PCAP_ERROR_IFACE_NOT_UP:
        // libpcap 1.10 refuses a down interface on Linux.
        return MakeError(ErrorCode::kFailed, "interface " + ifname + where +
                                                 " is down; bring it up before capturing (" +
                                                 detail + ")");
      default:
        return MakeError(ErrorCode::kFailed,
                         "cannot capture on " + ifname + where + " (" + detail + ")");
    }
  }
  // rc > 0 is a warning (e.g. a timestamp type not supported): the handle is
  // active all the same.
  h.linktype = pcap_datalink(p);
  h.precision = pcap_get_tstamp_precision(p);
  if (!o.filter.empty()) {
    h.filter.reset(new bpf_program{});
    if (pcap_compile(p, h.filter.get(), o.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      delete h.filter.release();  // nothing compiled: nothing to free
      return MakeError(ErrorCode::kInvalidInput,
                       "bad capture filter \"" + o.filter + "\": " + pcap_geterr(p));
    }
    if (pcap_setfilter(p, h.filter.get()) != 0)
      return MakeError(ErrorCode::kFailed, "cannot install capture filter \"" + o.filter +
                                               "\": " + pcap_geterr(p));
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0)
    return MakeError(ErrorCode::kFailed, std::string("pcap_setnonblock: ") + errbuf);
  return h;
}

}  // namespace lingerlab::pcap_live
