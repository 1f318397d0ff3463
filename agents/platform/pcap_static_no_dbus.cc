// libpcap's D-Bus capture source, left out of lingerlab-agent-static.
//
// Debian's libpcap.a is built with D-Bus monitoring (pcap-dbus.o), which needs
// libdbus-1 and, through it, libsystemd, which Debian ships only as a shared
// library. pcap.o reaches pcap-dbus.o through exactly two symbols, its table
// entries dbus_findalldevs and dbus_create. Defining them here resolves those
// references before the archive is searched, so pcap-dbus.o (and D-Bus) is
// never linked; the agent captures on network interfaces only, never on a
// "dbus-system"/"dbus-session" pseudo-device. Linked into the static agent
// only (agents/agent/CMakeLists.txt); the dynamic builds use libpcap.so whole.
//
// The signatures are libpcap's internal ones (pcap-dbus.h, 1.x); the list and
// handle types are opaque here and never touched.
extern "C" {

struct pcap;

// No D-Bus devices to add to pcap_findalldevs()'s list: success, none added.
int dbus_findalldevs(void* /*devlistp*/, char* /*errbuf*/) { return 0; }

// Not a D-Bus device: pcap_create() goes on to the next capture source.
struct pcap* dbus_create(const char* /*device*/, char* /*errbuf*/, int* is_ours) {
  *is_ours = 0;
  return nullptr;
}

}  // extern "C"
