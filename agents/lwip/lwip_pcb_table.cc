#include "agents/lwip/lwip_pcb_table.h"

extern "C" {
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
}

namespace lingerlab {
namespace {

constexpr int kLinuxClose = 7;

// Holds the tcpip core lock for a walk of the pcb lists: the tcpip thread
// changes them otherwise.
class CoreLock {
 public:
  CoreLock() { LOCK_TCPIP_CORE(); }
  ~CoreLock() { UNLOCK_TCPIP_CORE(); }
  CoreLock(const CoreLock&) = delete;
  CoreLock& operator=(const CoreLock&) = delete;
};

}  // namespace

int LinuxStateOfLwip(int lwip_state) {
  // lwIP: CLOSED LISTEN SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2
  //       CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT (include/lwip/tcpbase.h)
  static constexpr int kLinux[] = {7, 10, 2, 3, 1, 4, 5, 8, 11, 9, 6};
  if (lwip_state < 0 || lwip_state >= static_cast<int>(sizeof kLinux / sizeof kLinux[0])) return 0;
  return kLinux[lwip_state];
}

std::vector<TcpTableEntry> LwipConnectionsOnPort(int port, size_t max) {
  std::vector<TcpTableEntry> out;
  CoreLock lock;
  for (tcp_pcb* list : {tcp_active_pcbs, tcp_tw_pcbs}) {
    for (tcp_pcb* p = list; p != nullptr && out.size() < max; p = p->next) {
      if (p->local_port != port) continue;
      out.push_back({LinuxStateOfLwip(p->state), p->local_port, p->remote_port});
    }
  }
  return out;
}

TcpInfoSample LwipTcpInfoOf(int local_port, int remote_port) {
  TcpInfoSample out;
  out.state = kLinuxClose;
  CoreLock lock;
  for (tcp_pcb* list : {tcp_active_pcbs, tcp_tw_pcbs}) {
    for (tcp_pcb* p = list; p != nullptr; p = p->next) {
      if (p->local_port != local_port || (remote_port != 0 && p->remote_port != remote_port))
        continue;
      out.state = LinuxStateOfLwip(p->state);
      for (tcp_seg* seg = p->unacked; seg != nullptr; seg = seg->next) ++out.unacked;
      out.retransmits = p->nrtx;
      return out;
    }
  }
  if (remote_port == 0) {
    for (tcp_pcb_listen* p = tcp_listen_pcbs.listen_pcbs; p != nullptr; p = p->next)
      if (p->local_port == local_port) {
        out.state = LinuxStateOfLwip(p->state);
        return out;
      }
  }
  return out;
}

}  // namespace lingerlab
