// The pure pieces of the qemu target (qemu_target.cc), kept apart so they
// are unit-tested without booting anything: the guest's /init script, the
// initramfs archive (cpio "newc", written here rather than by piping a file
// list into cpio(1): no shell, no stdin plumbing), the qemu command line,
// the kernel release of a bzImage, and the names the target gives its temp
// directories (for the sweep of dead runs).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agents/base/result.h"

namespace lingerlab {

// The virtio-net stack of Debian's 6.1 kernels, in load order (each needs
// the ones before it). Modules the kernel has built in are simply absent.
inline const std::vector<std::string>& QemuGuestModules() {
  static const std::vector<std::string> m = {
      "virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
      "failover",    "net_failover", "virtio_net"};
  return m;
}

// The guest's network, a /22 inside 198.18.0.0/15 away from the netns
// target's per-case /30s of low slots: 198.19.200.1 is the guest,
// .2 the host side of the bridge (where the coordinator's control
// connections come from), and case slot i's client is .10 + i.
struct QemuNet {
  std::string guest = "198.19.200.1";
  std::string bridge = "198.19.200.2";
  int prefix_len = 22;
  int control_port = 19999;  // the guest agent's --listen port (below the case ports)
};
// The client address of case slot `index` (0 .. 1000).
Result<std::string> QemuClientAddress(int index);

struct InitScriptOptions {
  std::vector<std::string> modules;  // file names under /lib/modules/ in the image, in load order
  QemuNet net;
};
// The guest's /init (busybox sh): mounts, insmod of each module in order,
// eth0 up with the guest address, then `lingerlab-agent --listen
// GUEST:PORT --key /key` with its stderr on the console; when the agent
// ends, the guest powers off.
std::string InitScript(const InitScriptOptions& options);

// The line the agent prints once it listens (agent_main.cc); the target
// waits for it on the serial console.
constexpr std::string_view kAgentReadyLine = "lingerlab-agent: listening on";

struct QemuArgvOptions {
  std::string binary = "qemu-system-x86_64";
  std::string kernel, initramfs;
  std::string console_log;  // the serial console goes to this file
  std::string pid_file;
  std::string tap;          // the tap interface in qemu's network namespace
  std::string mac = "52:54:00:19:c8:01";
  int memory_mb = 256;
};
// TCG (nested KVM hangs on this kind of host after "Probing EDD"; `-cpu host`
// needs KVM), no display, no default devices, one virtio-net NIC on the tap
// with every offload off so the guest's stack sends wire-sized segments.
std::vector<std::string> QemuArgv(const QemuArgvOptions& options);

// The release of a Linux bzImage ("6.1.0-47-amd64"), read from its setup
// header (the kernel_version pointer at 0x20e, as file(1) does). Empty if
// the bytes are not a bzImage with a version string.
std::string KernelReleaseFromImage(std::string_view image);
// "vmlinuz-6.1.0-47-amd64" -> "6.1.0-47-amd64"; "" for other names.
std::string KernelReleaseFromFileName(std::string_view file_name);
// The header's release, else the file name's; an error if neither.
Result<std::string> KernelRelease(const std::string& kernel_path);
// Orders release strings as versions (digits numerically): "6.10.0" > "6.9.3".
bool ReleaseLess(const std::string& a, const std::string& b);

// A cpio archive in the "newc" format the kernel unpacks as initramfs.
class CpioWriter {
 public:
  void AddDirectory(const std::string& name, uint32_t mode = 0755);
  void AddFile(const std::string& name, std::string_view data, uint32_t mode);
  void AddSymlink(const std::string& name, const std::string& target);
  // Appends the trailer and returns the archive (4-byte aligned).
  std::string Finish();

 private:
  void Add(const std::string& name, uint32_t mode, std::string_view data);
  std::string out_;
  uint32_t ino_ = 1;
};

// Per-run temp directories: /tmp/lingerlab-qemu-<run>-XXXXXX.
constexpr const char* kQemuTempPrefix = "lingerlab-qemu-";
// The run id of such a directory's name (1-12 of [a-z0-9]), or "".
std::string RunOfQemuTempDir(const std::string& name);

}  // namespace lingerlab
