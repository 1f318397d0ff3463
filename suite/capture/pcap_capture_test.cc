#include "suite/capture/pcap_capture.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "agents/base/clock.h"
#include "agents/platform/unique_fd.h"
#include "suite/capture/connection_view.h"
#include "suite/capture/pcap_file.h"
#include "suite/capture/test_netns.h"
#include "suite/capture/test_temp_dir.h"

namespace lingerlab {
namespace {

constexpr int kPort = 5001;
constexpr size_t kPayload = 3000;
// Stop() must return within this (the brief: < 200 ms).
constexpr int64_t kStopBudgetNs = 200 * kNsPerMs;

std::string NetnsOfThisThread() {
  char buf[64] = {};
  const ssize_t n = readlink("/proc/thread-self/ns/net", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
}

// Index of the first packet matching `pred`, or -1.
template <typename Pred>
int FindFirst(const std::vector<TcpPacket>& pkts, Pred pred) {
  for (size_t i = 0; i < pkts.size(); ++i) {
    if (pred(pkts[i])) return static_cast<int>(i);
  }
  return -1;
}

TEST(PcapCaptureTest, CapturesAConnectionInsideANamespace) {
  SKIP_UNLESS_ROOT();
  NetnsGuard ns;
  ASSERT_TRUE(ns.ok()) << "could not create namespace " << ns.name();
  TestTempDir dir;
  PcapCaptureOptions options;
  options.interface = "lo";
  options.netns_path = ns.path();
  options.bpf_filter = "tcp and port " + std::to_string(kPort);
  options.pcap_path = dir.File("live.pcap");

  const std::string caller_netns = NetnsOfThisThread();
  auto capture = OpenPcapCapture(options);
  ASSERT_TRUE(capture.ok()) << capture.error().message;
  EXPECT_EQ(NetnsOfThisThread(), caller_netns) << "the caller's namespace must not change";
  ASSERT_TRUE((*capture)->Start().ok());

  const int64_t before_ns = RealtimeNs();
  // Traffic on another port in the same namespace must be filtered out.
  const std::string err = RunInNetns(ns.path(), [] {
    std::string e = Exchange(kPort + 1, 10);
    return e.empty() ? Exchange(kPort, kPayload) : e;
  });
  ASSERT_EQ(err, "");
  const int64_t after_ns = RealtimeNs();
  const Status stopped = (*capture)->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.message();

  const std::vector<TcpPacket> pkts = (*capture)->Packets();
  ASSERT_FALSE(pkts.empty());
  EXPECT_EQ((*capture)->Dropped(), 0u);
  uint64_t c2s_bytes = 0;
  int64_t last_t = 0;
  for (const auto& p : pkts) {
    EXPECT_TRUE(p.src_port == kPort || p.dst_port == kPort) << p.src_port << ">" << p.dst_port;
    EXPECT_EQ(p.src, "127.0.0.1");
    // Realtime nanoseconds: a micro/nano mix-up would be off by 1000x.
    EXPECT_GE(p.t_ns, before_ns);
    EXPECT_LE(p.t_ns, after_ns);
    EXPECT_GE(p.t_ns, last_t) << "capture order is time order";
    last_t = p.t_ns;
    if (p.dst_port == kPort) c2s_bytes += p.payload_len;
  }
  EXPECT_EQ(c2s_bytes, kPayload);

  const int syn = FindFirst(pkts, [](const TcpPacket& p) {
    return p.flags == kTcpSyn && p.dst_port == kPort && p.mss.has_value() && p.wscale.has_value();
  });
  const int synack = FindFirst(pkts, [](const TcpPacket& p) {
    return p.flags == (kTcpSyn | kTcpAck) && p.src_port == kPort;
  });
  const int data =
      FindFirst(pkts, [](const TcpPacket& p) { return p.dst_port == kPort && p.payload_len > 0; });
  const int client_fin = FindFirst(
      pkts, [](const TcpPacket& p) { return (p.flags & kTcpFin) && p.dst_port == kPort; });
  const int server_fin = FindFirst(
      pkts, [](const TcpPacket& p) { return (p.flags & kTcpFin) && p.src_port == kPort; });
  ASSERT_GE(syn, 0);
  EXPECT_GT(synack, syn);
  EXPECT_GT(data, synack);
  EXPECT_GE(client_fin, data);  // the FIN may ride on the last data segment
  EXPECT_GT(server_fin, client_fin);
  EXPECT_EQ(FindFirst(pkts, [](const TcpPacket& p) { return (p.flags & kTcpRst) != 0; }), -1);

  const auto view = SummarizeConnection(pkts, "127.0.0.1", kPort, before_ns);
  ASSERT_EQ(view.packets.size(), pkts.size());
  EXPECT_EQ(view.packets[static_cast<size_t>(syn)]["flags"], "S");
  EXPECT_EQ(view.packets[static_cast<size_t>(data)]["seq"], 1);
  EXPECT_EQ(view.packets[static_cast<size_t>(server_fin)]["ack"],
            kPayload + 2);  // data + client FIN

  auto from_file = ReadPcapFile(options.pcap_path);
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  ASSERT_EQ(from_file->size(), pkts.size());
  for (size_t i = 0; i < pkts.size(); ++i) {
    EXPECT_EQ((*from_file)[i].t_ns, pkts[i].t_ns);
    EXPECT_EQ((*from_file)[i].flags, pkts[i].flags);
    EXPECT_EQ((*from_file)[i].seq, pkts[i].seq);
    EXPECT_EQ((*from_file)[i].payload_len, pkts[i].payload_len);
  }
}

TEST(PcapCaptureTest, StopIsPromptAndIdempotent) {
  SKIP_UNLESS_ROOT();
  // Stop() ends with fsync of the pcap. On a disk that just took a build's
  // output, one fsync waited 2.5 s for the journal (CI): in memory it costs
  // nothing, so the time measured is the capture thread's wake-up.
  std::error_code ec;
  TestTempDir dir(std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : nullptr);
  PcapCaptureOptions options;
  options.interface = "lo";  // the caller's namespace; this test sends nothing
  options.bpf_filter = "tcp and port 1";
  options.pcap_path = dir.File("idle.pcap");
  auto capture = OpenPcapCapture(options);
  ASSERT_TRUE(capture.ok()) << capture.error().message;
  ASSERT_TRUE((*capture)->Start().ok());
  EXPECT_TRUE((*capture)->Start().ok()) << "a second Start() is harmless";
  SleepNs(50 * kNsPerMs);  // let the thread settle into poll()

  int64_t t = MonotonicNs();
  EXPECT_TRUE((*capture)->Stop().ok());
  EXPECT_LT(MonotonicNs() - t, kStopBudgetNs);
  t = MonotonicNs();
  EXPECT_TRUE((*capture)->Stop().ok());
  EXPECT_LT(MonotonicNs() - t, kStopBudgetNs);
  EXPECT_TRUE((*capture)->Packets().empty());
  EXPECT_FALSE((*capture)->Start().ok()) << "a stopped capture cannot restart";

  // The file is complete: a valid, empty capture.
  auto read = ReadPcapFile(options.pcap_path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_TRUE(read->empty());
}

// Packets that arrive after OpenPcapCapture() but before Start() are kept,
// and Stop() collects what the kernel still holds: here the capture thread
// never consumed anything before Stop(), so only the drain can find them.
TEST(PcapCaptureTest, StopDrainsWhatTheKernelBuffered) {
  SKIP_UNLESS_ROOT();
  NetnsGuard ns;
  ASSERT_TRUE(ns.ok()) << "could not create namespace " << ns.name();
  PcapCaptureOptions options;
  options.interface = "lo";
  options.netns_path = ns.path();
  options.bpf_filter = "tcp and port " + std::to_string(kPort);
  for (bool start : {true, false}) {
    SCOPED_TRACE(start ? "started after the traffic" : "never started");
    auto capture = OpenPcapCapture(options);
    ASSERT_TRUE(capture.ok()) << capture.error().message;
    ASSERT_EQ(RunInNetns(ns.path(), [] { return Exchange(kPort, 100); }), "");
    if (start) {
      ASSERT_TRUE((*capture)->Start().ok());
    }
    ASSERT_TRUE((*capture)->Stop().ok());
    const auto pkts = (*capture)->Packets();
    EXPECT_GE(pkts.size(), 6u);  // at least SYN, SYN-ACK, ACK, data, FIN, FIN
    uint64_t bytes = 0;
    for (const auto& p : pkts) bytes += p.payload_len;
    EXPECT_EQ(bytes, 100u);
  }
}

TEST(PcapCaptureTest, StopWithoutStartAndDestructorWithoutStop) {
  SKIP_UNLESS_ROOT();
  PcapCaptureOptions options;
  options.interface = "lo";
  options.bpf_filter = "tcp and port 1";
  {
    auto capture = OpenPcapCapture(options);
    ASSERT_TRUE(capture.ok()) << capture.error().message;
    const int64_t t = MonotonicNs();
    EXPECT_TRUE((*capture)->Stop().ok());
    EXPECT_LT(MonotonicNs() - t, kStopBudgetNs);
  }
  {
    auto capture = OpenPcapCapture(options);
    ASSERT_TRUE(capture.ok()) << capture.error().message;
    ASSERT_TRUE((*capture)->Start().ok());
    const int64_t t = MonotonicNs();
    capture->reset();  // destroys the capture
    EXPECT_LT(MonotonicNs() - t, kStopBudgetNs);
  }
}

// Opens a capture expected to fail; returns the error.
Error OpenError(const PcapCaptureOptions& options) {
  auto capture = OpenPcapCapture(options);
  if (capture.ok()) return Error{ErrorCode::kFailed, "<opened unexpectedly>"};
  return capture.error();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(PcapCaptureTest, ClearErrors) {
  SKIP_UNLESS_ROOT();
  PcapCaptureOptions bad_filter;
  bad_filter.interface = "lo";
  bad_filter.bpf_filter = "tcp and port";
  Error e = OpenError(bad_filter);
  EXPECT_EQ(e.code, ErrorCode::kInvalidInput) << e.message;
  EXPECT_TRUE(Contains(e.message, "bad capture filter \"tcp and port\"")) << e.message;
  EXPECT_TRUE(Contains(e.message, "syntax error")) << "libpcap's text: " << e.message;

  PcapCaptureOptions no_such_if;
  no_such_if.interface = "llcap-nosuch0";
  e = OpenError(no_such_if);
  EXPECT_EQ(e.code, ErrorCode::kNotFound) << e.message;
  EXPECT_TRUE(Contains(e.message, "no such interface llcap-nosuch0")) << e.message;

  PcapCaptureOptions no_such_ns;
  no_such_ns.interface = "lo";
  no_such_ns.netns_path = "/run/netns/llcap-no-such-namespace";
  e = OpenError(no_such_ns);
  EXPECT_EQ(e.code, ErrorCode::kNotFound) << e.message;
  EXPECT_TRUE(Contains(e.message, "/run/netns/llcap-no-such-namespace")) << e.message;

  PcapCaptureOptions not_a_ns;
  not_a_ns.interface = "lo";
  not_a_ns.netns_path = "/proc/self/ns/uts";
  e = OpenError(not_a_ns);
  EXPECT_EQ(e.code, ErrorCode::kInvalidInput) << e.message;

  PcapCaptureOptions bad_file;
  bad_file.interface = "lo";
  bad_file.pcap_path = "/nonexistent-llcap-dir/x.pcap";
  e = OpenError(bad_file);
  EXPECT_EQ(e.code, ErrorCode::kFailed) << e.message;
  EXPECT_TRUE(Contains(e.message, "cannot open pcap file /nonexistent-llcap-dir/x.pcap"))
      << e.message;

  e = OpenError(PcapCaptureOptions{});
  EXPECT_EQ(e.code, ErrorCode::kInvalidInput) << e.message;
}

// A size-limited tmpfs mounted on a fresh directory for one test, unmounted
// (lazily, should a file still be open) and removed when it ends.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::string& size) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/llcap-full-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return;
    dir_ = tmpl;
    mounted_ = mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                     ("size=" + size + ",mode=0700").c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_ && umount2(dir_.c_str(), MNT_DETACH) != 0)
      ADD_FAILURE() << "could not unmount " << dir_;
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  bool ok() const { return mounted_; }
  std::string File(const std::string& name) const { return dir_ + "/" + name; }
  // Fills the file system with a filler file until `leave` bytes are free
  // (rounded to whole blocks); returns the bytes left free.
  uint64_t FillLeaving(uint64_t leave) {
    UniqueFd fd(open(File("filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    const std::string block(4096, 'x');
    for (;;) {
      struct statvfs st {};
      if (fstatvfs(fd.get(), &st) != 0) return 0;
      const uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_bsize;
      if (free_bytes <= leave || write(fd.get(), block.data(), block.size()) <= 0)
        return free_bytes;
    }
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Captures a burst of short connections into a pcap file on a file system
// that has `free_bytes` left; returns Stop()'s status.
Status CaptureOntoSmallDisk(uint64_t leave, int connections) {
  NetnsGuard ns;
  if (!ns.ok()) return MakeError(ErrorCode::kFailed, "<no namespace>");
  SmallTmpfs disk("64k");
  if (!disk.ok()) return MakeError(ErrorCode::kFailed, "<no tmpfs>");
  disk.FillLeaving(leave);
  PcapCaptureOptions options;
  options.interface = "lo";
  options.netns_path = ns.path();
  options.bpf_filter = "tcp and port " + std::to_string(kPort);
  options.pcap_path = disk.File("full.pcap");
  auto capture = OpenPcapCapture(options);
  if (!capture.ok()) return MakeError(ErrorCode::kFailed, "<open: " + capture.error().message);
  if (!(*capture)->Start().ok()) return MakeError(ErrorCode::kFailed, "<start>");
  const std::string err = RunInNetns(ns.path(), [&] {
    for (int i = 0; i < connections; ++i)
      if (std::string e = Exchange(kPort, 100); !e.empty()) return e;
    return std::string();
  });
  if (!err.empty()) return MakeError(ErrorCode::kFailed, "<exchange: " + err);
  SleepNs(20 * kNsPerMs);
  return (*capture)->Stop();
}

// A pcap file that cannot be written (full disk) is a capture error that
// Stop() reports, whether the disk is full from the first byte or fills up
// while packets are being written; never a silently short file.
TEST(PcapCaptureTest, AFullDiskIsReportedByStop) {
  SKIP_UNLESS_ROOT();
  for (uint64_t leave : {uint64_t{0}, uint64_t{8192}}) {
    const Status s = CaptureOntoSmallDisk(leave, 40);
    ASSERT_FALSE(s.ok()) << "Stop() succeeded with " << leave << " bytes free";
    EXPECT_TRUE(Contains(s.message(), "full.pcap")) << s.message();
    EXPECT_TRUE(Contains(s.message(), "No space left on device")) << s.message();
  }
}

TEST(PcapCaptureTest, InterfaceIsLookedUpInTheGivenNamespace) {
  SKIP_UNLESS_ROOT();
  NetnsGuard ns;
  ASSERT_TRUE(ns.ok());
  ASSERT_TRUE(RunQuiet("ip -n " + ns.name() + " link add llcap-d0 type veth peer name llcap-d1"));
  PcapCaptureOptions options;
  options.interface = "llcap-d0";
  Error e = OpenError(options);  // the caller's namespace has no llcap-d0
  EXPECT_EQ(e.code, ErrorCode::kNotFound) << e.message;
  EXPECT_TRUE(Contains(e.message, "this process's network namespace")) << e.message;
  options.netns_path = ns.path();
  e = OpenError(options);  // there, but down: libpcap refuses it
  EXPECT_EQ(e.code, ErrorCode::kFailed) << e.message;
  EXPECT_TRUE(Contains(e.message, "llcap-d0 in network namespace " + ns.path() + " is down"))
      << e.message;
  ASSERT_TRUE(RunQuiet("ip -n " + ns.name() + " link set llcap-d0 up"));
  auto capture = OpenPcapCapture(options);
  EXPECT_TRUE(capture.ok()) << capture.error().message;
}

TEST(PcapCaptureTest, InterfaceDeletedWhileCapturingIsReportedByStop) {
  SKIP_UNLESS_ROOT();
  NetnsGuard ns;
  ASSERT_TRUE(ns.ok());
  ASSERT_TRUE(RunQuiet("ip -n " + ns.name() + " link add llcap-d0 type veth peer name llcap-d1"));
  ASSERT_TRUE(RunQuiet("ip -n " + ns.name() + " link set llcap-d0 up"));
  ASSERT_TRUE(RunQuiet("ip -n " + ns.name() + " link set llcap-d1 up"));
  PcapCaptureOptions options;
  options.interface = "llcap-d0";
  options.netns_path = ns.path();
  auto capture = OpenPcapCapture(options);
  ASSERT_TRUE(capture.ok()) << capture.error().message;
  ASSERT_TRUE((*capture)->Start().ok());
  ASSERT_TRUE(RunQuiet("ip -n " + ns.name() + " link del llcap-d0"));
  SleepNs(50 * kNsPerMs);
  const int64_t t = MonotonicNs();
  const Status s = (*capture)->Stop();
  EXPECT_LT(MonotonicNs() - t, kStopBudgetNs);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.message(), "llcap-d0")) << s.message();
  std::cerr << "[ note     ] Stop() after the interface vanished: " << s.message() << "\n";
}

// Without privileges the error must say what is missing. The child process
// drops root (setresuid to nobody clears every capability) and reports
// through its exit code; stderr shows why on failure.
TEST(PcapCaptureTest, NoPermissionSaysWhatIsNeeded) {
  SKIP_UNLESS_ROOT();
  NetnsGuard ns;
  ASSERT_TRUE(ns.ok());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(10);
    PcapCaptureOptions capture_here;
    capture_here.interface = "lo";
    Error e = OpenError(capture_here);
    if (e.code != ErrorCode::kPermission || !Contains(e.message, "CAP_NET_RAW")) {
      fprintf(stderr, "capture as nobody: %s\n", e.message.c_str());
      _exit(11);
    }
    PcapCaptureOptions enter_ns = capture_here;
    enter_ns.netns_path = ns.path();
    e = OpenError(enter_ns);
    if (e.code != ErrorCode::kPermission || !Contains(e.message, "CAP_SYS_ADMIN")) {
      fprintf(stderr, "setns as nobody: %s\n", e.message.c_str());
      _exit(12);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: could not drop root, 11: capture, 12: setns";
}

}  // namespace
}  // namespace lingerlab
