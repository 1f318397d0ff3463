#include "suite/targets/qemu_image.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "suite/targets/process.h"

namespace lingerlab {
namespace {

TEST(QemuImage, InitScriptLoadsModulesInOrderThenStartsTheAgent) {
  InitScriptOptions o;
  o.modules = {"virtio_ring.ko", "virtio.ko", "virtio_net.ko"};
  const std::string s = InitScript(o);
  EXPECT_EQ(s.rfind("#!/bin/busybox sh\n", 0), 0u);
  const size_t ring = s.find("insmod /lib/modules/virtio_ring.ko");
  const size_t virtio = s.find("insmod /lib/modules/virtio.ko");
  const size_t net = s.find("insmod /lib/modules/virtio_net.ko");
  const size_t addr = s.find("ip addr add 198.19.200.1/22 dev eth0");
  const size_t agent = s.find("/lingerlab-agent --listen 198.19.200.1:19999 --key /key\n");
  ASSERT_NE(ring, std::string::npos);
  ASSERT_NE(agent, std::string::npos);
  EXPECT_LT(ring, virtio);
  EXPECT_LT(virtio, net);
  EXPECT_LT(net, addr);
  EXPECT_LT(addr, agent);
}

TEST(QemuImage, GuestModulesAreTheVirtioNetStackInLoadOrder) {
  const std::vector<std::string> want = {"virtio_ring", "virtio", "virtio_pci_modern_dev",
                                         "virtio_pci_legacy_dev", "virtio_pci", "failover",
                                         "net_failover", "virtio_net"};
  EXPECT_EQ(QemuGuestModules(), want);
}

TEST(QemuImage, ArgvIsTcgWithTheTapAndNoOffloads) {
  QemuArgvOptions o;
  o.kernel = "/boot/vmlinuz-x";
  o.initramfs = "/tmp/d/initramfs.cpio";
  o.console_log = "/tmp/d/console.log";
  o.pid_file = "/tmp/d/qemu.pid";
  o.tap = "tap0";
  const auto argv = QemuArgv(o);
  auto after = [&](const std::string& flag) {
    auto it = std::find(argv.begin(), argv.end(), flag);
    return it == argv.end() || it + 1 == argv.end() ? std::string() : *(it + 1);
  };
  EXPECT_EQ(argv[0], "qemu-system-x86_64");
  EXPECT_EQ(after("-accel"), "tcg");
  EXPECT_EQ(after("-cpu"), "max");
  EXPECT_EQ(after("-kernel"), "/boot/vmlinuz-x");
  EXPECT_EQ(after("-initrd"), "/tmp/d/initramfs.cpio");
  EXPECT_EQ(after("-serial"), "file:/tmp/d/console.log");
  EXPECT_EQ(after("-pidfile"), "/tmp/d/qemu.pid");
  EXPECT_EQ(after("-netdev"), "tap,id=n0,ifname=tap0,script=no,downscript=no");
  EXPECT_NE(after("-device").find("host_tso4=off"), std::string::npos);
  EXPECT_NE(after("-append").find("console=ttyS0"), std::string::npos);
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "-enable-kvm"), argv.end());
}

TEST(QemuImage, KernelReleaseFromTheSetupHeader) {
  std::string img(0x1000, '\0');
  img.replace(0x202, 4, "HdrS");
  const uint16_t ptr = 0x600;  // string at 0x800
  img[0x20e] = static_cast<char>(ptr & 0xff);
  img[0x20f] = static_cast<char>(ptr >> 8);
  img.replace(0x800, 40, std::string("6.1.0-47-amd64 (debian-kernel@lists)") + '\0' + "xxx");
  EXPECT_EQ(KernelReleaseFromImage(img), "6.1.0-47-amd64");
  EXPECT_EQ(KernelReleaseFromImage(std::string(0x1000, '\0')), "");
  EXPECT_EQ(KernelReleaseFromImage("short"), "");
}

TEST(QemuImage, KernelReleaseFromTheFileName) {
  EXPECT_EQ(KernelReleaseFromFileName("/boot/vmlinuz-6.1.0-47-amd64"), "6.1.0-47-amd64");
  EXPECT_EQ(KernelReleaseFromFileName("vmlinuz-6.12.9"), "6.12.9");
  EXPECT_EQ(KernelReleaseFromFileName("/boot/vmlinuz"), "");
  EXPECT_EQ(KernelReleaseFromFileName("/boot/initrd.img-6.1.0-47-amd64"), "");
}

// The release read from the image's header matches its file name, for each
// Debian kernel installed (install-deps.sh installs the archive's newest 6.1
// ABI; the number changes, so none is pinned).
TEST(QemuImage, KernelReleaseOfTheInstalledKernel) {
  std::vector<std::string> images;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/boot", ec))
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) images.push_back(e.path());
  if (images.empty()) GTEST_SKIP() << "no /boot/vmlinuz-* kernel";
  for (const std::string& image : images) {
    auto r = KernelRelease(image);
    ASSERT_TRUE(r.ok()) << image << ": " << r.error().message;
    EXPECT_EQ(*r, KernelReleaseFromFileName(image)) << image;
  }
}

TEST(QemuImage, ReleasesOrderAsVersions) {
  EXPECT_TRUE(ReleaseLess("6.9.3-amd64", "6.10.0-amd64"));
  EXPECT_FALSE(ReleaseLess("6.10.0-amd64", "6.9.3-amd64"));
  EXPECT_TRUE(ReleaseLess("6.1.0-9-amd64", "6.1.0-47-amd64"));
  EXPECT_FALSE(ReleaseLess("6.1.0-47-amd64", "6.1.0-47-amd64"));
}

TEST(QemuImage, ClientAddressesPerSlot) {
  EXPECT_EQ(*QemuClientAddress(0), "198.19.200.10");
  EXPECT_EQ(*QemuClientAddress(300), "198.19.201.54");
  EXPECT_FALSE(QemuClientAddress(-1).ok());
  EXPECT_FALSE(QemuClientAddress(1001).ok());
}

TEST(QemuImage, TempDirNamesGiveTheirRun) {
  EXPECT_EQ(RunOfQemuTempDir("lingerlab-qemu-ab12cd34-Xy9ZzQ"), "ab12cd34");
  EXPECT_EQ(RunOfQemuTempDir("lingerlab-qemu-ab12cd34"), "");
  EXPECT_EQ(RunOfQemuTempDir("lingerlab-qemu-AB-Xy9ZzQ"), "");
  EXPECT_EQ(RunOfQemuTempDir("other-ab12cd34-Xy9ZzQ"), "");
}

TEST(QemuImage, CpioArchiveIsNewcAndReadableByCpio) {
  CpioWriter w;
  w.AddDirectory("bin");
  w.AddFile("init", "#!/bin/sh\necho hi\n", 0755);
  w.AddFile("key", "secret", 0600);
  w.AddSymlink("bin/sh", "busybox");
  const std::string a = w.Finish();
  EXPECT_EQ(a.rfind("070701", 0), 0u);
  EXPECT_EQ(a.size() % 4, 0u);
  EXPECT_NE(a.find("TRAILER!!!"), std::string::npos);
  if (RunCommand({"cpio", "--version"}).exit_code != 0) GTEST_SKIP() << "no cpio to cross-check";
  char path[] = "/tmp/ll-cpio-test-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, a.data(), a.size()), static_cast<ssize_t>(a.size()));
  ::close(fd);
  CommandResult r = RunCommand({"cpio", "-itv", "-F", path});
  ::unlink(path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("-rwxr-xr-x"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" init"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-rw-------"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bin/sh -> busybox"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace lingerlab
