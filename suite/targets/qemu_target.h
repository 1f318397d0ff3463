// QemuTarget (`--target qemu`, doc/qemu.md): the server runs on another
// Linux kernel, booted once per run under QEMU (TCG), with one statically
// linked agent (`lingerlab-agent-static --listen GUEST:PORT --key /key`)
// serving every case's server side; clients stay on this machine.
//
// Topology (all in namespaces, nothing in the root namespace):
//   ll-<run>-vm-s   bridge br0 (198.19.200.2/22), tap0 (qemu's NIC), and one
//                   veth port vc<slot> per case; qemu runs inside it.
//   ll-<run>-<case>-c  the case's client (eth0, 198.19.200.(10+slot)).
// A case's packets are captured locally on vc<slot>, which carries only
// that case's traffic; each case has its own server port (20000 + slot).
//
// The VM, its bridge and its per-run temp directory (/tmp/lingerlab-qemu-
// <run>-XXXXXX: initramfs, key, console log, qemu pid file) live from the
// first Provision() to the target's destruction. Dead runs' leftovers are
// swept by the run lock as the netns target does (its namespaces have the
// same names; qemu, inside one, is killed with it), temp dirs by name.
#pragma once

#include <memory>

#include "suite/targets/target.h"

namespace lingerlab {

std::unique_ptr<Target> MakeQemuTarget(const TargetConfig& config);

}  // namespace lingerlab
