// CaptureApi with libpcap: one capture handle, one recording thread, one
// unlinked temporary pcap file. Built where libpcap is found (CMake defines
// LINGERLAB_HAVE_PCAP=1); elsewhere capture_null.cc stands in.
//
// Portable libpcap calls only (1.5 or later: immediate mode, timestamp
// precision); the wake-up pipe and poll() are POSIX. Only Linux is built and
// tested here; on BSD/macOS pcap_get_selectable_fd() may not wake poll() for
// every packet, which the poll timeout (options.timeout_ms) bounds.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>

#include "agents/base/clock.h"
#include "agents/platform/capture_api.h"
#include "agents/platform/pcap_live.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {
namespace {

// pcap file layout (the format libpcap writes): a 24-byte global header,
// then per frame a 16-byte record header and the captured bytes.
constexpr uint64_t kPcapFileHeaderBytes = 24;
constexpr uint64_t kPcapRecordHeaderBytes = 16;
// At capture_stop the thread drains what the kernel buffered for at most this
// long, so a flood of matching frames cannot hold the stop.
constexpr int64_t kMaxDrainNs = 100 * kNsPerMs;

using pcap_live::DumperPtr;

Status SetCloseOnExec(int fd) {
  const int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)
    return MakeError(ErrorCode::kFailed, "fcntl(FD_CLOEXEC): " + ErrnoText(errno));
  return Status::Ok();
}

// A new file in $TMPDIR (or /tmp), unlinked at once: it lives only as long
// as its descriptors, so no exit path leaves it behind.
Result<UniqueFd> UnlinkedTempFile() {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/lingerlab-capture-XXXXXX";
  UniqueFd fd(::mkstemp(path.data()));
  if (!fd.valid())
    return MakeError(ErrorCode::kFailed, "cannot create a temporary file in " +
                                             path.substr(0, path.rfind('/')) + ": " +
                                             ErrnoText(errno));
  if (::unlink(path.c_str()) != 0)
    return MakeError(ErrorCode::kFailed, "cannot unlink " + path + ": " + ErrnoText(errno));
  if (Status s = SetCloseOnExec(fd.get()); !s.ok()) return s.error();
  return fd;
}

class PcapCapture final : public Capture {
 public:
  explicit PcapCapture(const CaptureOptions& options) : options_(options) {}
  ~PcapCapture() override {
    StopThread();
    Close();
  }
  PcapCapture(const PcapCapture&) = delete;
  PcapCapture& operator=(const PcapCapture&) = delete;

  // Opens and activates the handle, installs the filter, creates the file
  // and starts the thread. On failure nothing is left open.
  Status Open();

  const CaptureInfo& info() const override { return info_; }
  Result<CaptureSummary> Stop() override;
  Result<size_t> Read(uint64_t offset, char* buf, size_t len) override;

 private:
  Status Activate();
  Status OpenFile();
  void Run();
  int DispatchOnce();  // pcap_dispatch's count, or -1 (error_ is set)
  void StopThread();
  void Close();
  void OnFrame(const pcap_pkthdr* header, const u_char* bytes);
  static void OnFrameThunk(u_char* self, const pcap_pkthdr* header, const u_char* bytes) {
    reinterpret_cast<PcapCapture*>(self)->OnFrame(header, bytes);
  }

  const CaptureOptions options_;
  CaptureInfo info_;
  pcap_live::LiveHandle live_;  // the handle and its filter
  UniqueFd file_fd_;            // the temporary file, for reading back (the dumper has a dup)
  DumperPtr dumper_;
  UniqueFd wake_read_, wake_write_;  // Stop() wakes the thread's poll()
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};

  // Written by the thread, read after join().
  uint64_t file_bytes_ = kPcapFileHeaderBytes;
  uint64_t packets_ = 0;
  bool truncated_ = false;
  int write_errno_ = 0;  // first error writing the file
  std::string error_;    // the thread's first capture error

  std::optional<Result<CaptureSummary>> summary_;  // set by the first Stop()
};

Status PcapCapture::Open() {
  if (Status s = Activate(); !s.ok()) {
    Close();
    return s;
  }
  if (Status s = OpenFile(); !s.ok()) {
    Close();
    return s;
  }
  int p[2];
  if (::pipe(p) != 0) {
    Close();
    return MakeError(ErrorCode::kFailed, "pipe: " + ErrnoText(errno));
  }
  wake_read_.reset(p[0]);
  wake_write_.reset(p[1]);
  for (int fd : p) {
    if (Status s = SetCloseOnExec(fd); !s.ok()) {
      Close();
      return s;
    }
  }
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error& e) {
    Close();
    return MakeError(ErrorCode::kFailed,
                     std::string("cannot start the capture thread: ") + e.what());
  }
  return Status::Ok();
}

Status PcapCapture::Activate() {
  pcap_live::LiveOptions lo;
  lo.interface = options_.interface;
  lo.snaplen = options_.snaplen;
  lo.buffer_bytes = options_.buffer_bytes;
  lo.timeout_ms = options_.timeout_ms;
  lo.filter = options_.filter;
  auto live = pcap_live::OpenLive(lo);
  if (!live.ok()) return live.error();
  live_ = std::move(*live);
  const char* lt = pcap_datalink_val_to_name(live_.linktype);
  info_.interface = options_.interface;
  info_.link_type = lt ? lt : "DLT_" + std::to_string(live_.linktype);
  info_.snaplen = pcap_snapshot(live_.pcap.get());
  info_.precision = live_.precision == PCAP_TSTAMP_PRECISION_NANO ? "ns" : "us";
  return Status::Ok();
}

Status PcapCapture::OpenFile() {
  auto fd = UnlinkedTempFile();
  if (!fd.ok()) return fd.error();
  file_fd_ = std::move(*fd);
  // The dumper's stdio stream gets a duplicate, so the file stays readable
  // after pcap_dump_close() has closed the stream.
  UniqueFd dup(::fcntl(file_fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!dup.valid())
    return MakeError(ErrorCode::kFailed, "fcntl(F_DUPFD_CLOEXEC): " + ErrnoText(errno));
  FILE* f = ::fdopen(dup.get(), "wb");
  if (!f) return MakeError(ErrorCode::kFailed, "fdopen: " + ErrnoText(errno));
  dup.release();  // the stream owns it now
  // The live handle fixes the file's link type, snaplen and timestamp
  // precision (the magic: a1b23c4d for ns, a1b2c3d4 for us).
  dumper_.reset(pcap_dump_fopen(live_.pcap.get(), f));
  if (!dumper_) {
    std::fclose(f);
    return MakeError(ErrorCode::kFailed,
                     "cannot start the pcap file: " + std::string(pcap_geterr(live_.pcap.get())));
  }
  return Status::Ok();
}

int PcapCapture::DispatchOnce() {
  // Nonblocking: processes what the kernel holds, returns 0 when it is empty.
  const int rc = pcap_dispatch(live_.pcap.get(), -1, &PcapCapture::OnFrameThunk,
                               reinterpret_cast<u_char*>(this));
  if (rc < 0 && error_.empty())
    error_ = "capture on " + options_.interface + " failed: " + pcap_geterr(live_.pcap.get());
  return rc;
}

void PcapCapture::Run() {
  const int pcap_fd = pcap_get_selectable_fd(live_.pcap.get());
  pollfd fds[2] = {{wake_read_.get(), POLLIN, 0}, {pcap_fd, POLLIN, 0}};
  // Without a selectable descriptor the loop polls the handle every timeout_ms.
  const nfds_t nfds = pcap_fd >= 0 ? 2 : 1;
  while (!stop_requested_.load()) {
    const int n = ::poll(fds, nfds, options_.timeout_ms);
    if (n < 0 && errno != EINTR) {
      error_ = "capture poll: " + ErrnoText(errno);
      break;
    }
    if (n > 0 && fds[0].revents != 0) break;  // Stop()
    const int got = DispatchOnce();
    if (got < 0) break;
    if (got == 0 && nfds == 2 && (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL))) {
      // The interface went away and libpcap said nothing: stop rather than spin.
      error_ = "capture on " + options_.interface + " failed: the capture socket reported an error";
      break;
    }
  }
  // Whatever the kernel has buffered up to the stop is written too.
  const int64_t deadline = MonotonicNs() + kMaxDrainNs;
  while (error_.empty() && MonotonicNs() < deadline && DispatchOnce() > 0) {
  }
}

void PcapCapture::OnFrame(const pcap_pkthdr* header, const u_char* bytes) {
  // Frames that reached the socket between activation and pcap_setfilter()
  // were not filtered by the kernel: filter them here too.
  if (!pcap_live::PassesFilter(live_, header, bytes)) return;
  const uint64_t record = kPcapRecordHeaderBytes + header->caplen;
  if (truncated_ || file_bytes_ + record > options_.max_file_bytes) {
    truncated_ = true;  // and no later frame either: the file is a prefix of the capture
    return;
  }
  pcap_dump(reinterpret_cast<u_char*>(dumper_.get()), header, bytes);
  // pcap_dump() reports nothing; the stream keeps an error flag.
  if (write_errno_ == 0 && std::ferror(pcap_dump_file(dumper_.get())))
    write_errno_ = errno ? errno : EIO;
  file_bytes_ += record;
  ++packets_;
}

void PcapCapture::StopThread() {
  if (!thread_.joinable()) return;
  stop_requested_.store(true);
  const char one = 1;
  // The pipe is empty (one byte is ever written), so this cannot block; if
  // it failed, the thread still sees stop_requested_ within timeout_ms.
  (void)!::write(wake_write_.get(), &one, 1);
  thread_.join();
}

Result<CaptureSummary> PcapCapture::Stop() {
  if (summary_) return *summary_;
  StopThread();
  CaptureSummary sum;
  pcap_stat stats{};
  // ps_drop: frames the kernel buffer had no room for (not ps_ifdrop, the
  // interface's own counter on Linux).
  if (live_.pcap && pcap_stats(live_.pcap.get(), &stats) == 0) sum.dropped = stats.ps_drop;
  if (dumper_) {
    if (pcap_dump_flush(dumper_.get()) != 0 && write_errno_ == 0)
      write_errno_ = errno ? errno : EIO;
    if (std::ferror(pcap_dump_file(dumper_.get())) && write_errno_ == 0) write_errno_ = EIO;
    dumper_.reset();  // fclose of the duplicate: nothing left to write
  }
  Close();  // the handle and filter; the file stays open for Read()
  struct stat st {};
  if (::fstat(file_fd_.get(), &st) != 0 && write_errno_ == 0) write_errno_ = errno;
  sum.bytes = static_cast<uint64_t>(st.st_size);
  sum.packets = packets_;
  sum.truncated = truncated_;
  if (write_errno_ != 0)
    summary_ = Result<CaptureSummary>(MakeError(
        ErrorCode::kFailed, "writing the capture file failed: " + ErrnoText(write_errno_)));
  else if (!error_.empty())
    summary_ = Result<CaptureSummary>(MakeError(ErrorCode::kFailed, error_));
  else
    summary_ = Result<CaptureSummary>(sum);
  return *summary_;
}

Result<size_t> PcapCapture::Read(uint64_t offset, char* buf, size_t len) {
  if (!summary_) return MakeError(ErrorCode::kInvalidInput, "the capture is still running");
  for (;;) {
    const ssize_t n = ::pread(file_fd_.get(), buf, len, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR)
      return MakeError(ErrorCode::kFailed, "reading the capture file: " + ErrnoText(errno));
  }
}

void PcapCapture::Close() {
  dumper_.reset();
  live_ = pcap_live::LiveHandle{};
}

class PcapCaptureApi final : public CaptureApi {
 public:
  Result<std::unique_ptr<Capture>> Start(const CaptureOptions& options) override {
    auto c = std::make_unique<PcapCapture>(options);
    if (Status s = c->Open(); !s.ok()) return s.error();
    return std::unique_ptr<Capture>(std::move(c));
  }
};

}  // namespace

std::unique_ptr<CaptureApi> MakeNativeCaptureApi() { return std::make_unique<PcapCaptureApi>(); }

}  // namespace lingerlab
