#include "suite/capture/pcap_capture.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include "agents/base/clock.h"
#include "agents/platform/unique_fd.h"
#include "suite/capture/capture_poller.h"
#include "suite/capture/pcap_handle.h"

namespace lingerlab {
namespace {

using capture_internal::DumperPtr;
using capture_internal::PcapPtr;
using capture_internal::TimestampNs;

// Frames handled per call from the poller: every other capture waits while
// one is dispatched, and Stop() waits for at most one batch. Level-triggered
// polling brings a capture with more frames back in the next round.
constexpr int kFramesPerBatch = 64;
// Stop() drains the kernel buffer for at most this long, so a flood of
// matching packets cannot keep it from returning.
constexpr int64_t kMaxDrainNs = 100 * kNsPerMs;

class PcapCapture final : public CaptureSource {
 public:
  PcapCapture(PcapCaptureOptions options, CapturePoller& poller)
      : options_(std::move(options)), poller_(poller) {}
  ~PcapCapture() override { (void)Stop(); }
  PcapCapture(const PcapCapture&) = delete;
  PcapCapture& operator=(const PcapCapture&) = delete;

  // Opens the handle (inside the namespace) and the file.
  Status Open();

  Status Start() override;
  Status Stop() override;
  std::vector<TcpPacket> Packets() const override;
  uint64_t Dropped() const override { return dropped_.load(); }

 private:
  Status OpenHandleWhereAsked();
  Status EnterNetns();
  Status OpenHandle();
  Status OpenFile();
  // The poller's handler: a batch of frames, or the handle's error.
  bool OnReady(uint32_t events);
  // Frames handled (0: the ring is empty), or libpcap's error.
  Result<int> Dispatch(int max_frames);
  Status Drain();
  Status Finish(Status status);
  void UpdateDropped();
  void OnFrame(const pcap_pkthdr* header, const u_char* bytes);
  static void OnFrameThunk(u_char* self, const pcap_pkthdr* header, const u_char* bytes) {
    reinterpret_cast<PcapCapture*>(self)->OnFrame(header, bytes);
  }

  const PcapCaptureOptions options_;
  CapturePoller& poller_;

  // Used by the poller's handler while registered, and by Stop() once it
  // has unregistered (Unregister() orders the two).
  pcap_live::LiveHandle live_;  // the handle and its filter
  PcapPtr dead_;                // the dumper's handle: fixes the file's precision to nanoseconds
  DumperPtr dumper_;
  int linktype_ = 0;
  int precision_ = PCAP_TSTAMP_PRECISION_MICRO;
  int write_errno_ = 0;  // first error writing the pcap file; 0 if none
  Status poll_status_;   // the handle's error, which ended polling

  std::mutex control_mu_;                                      // serialises Start() and Stop()
  std::unique_ptr<CapturePoller::Registration> registration_;  // guarded by control_mu_
  bool stopped_ = false;                                       // guarded by control_mu_
  Status stop_status_;                                         // guarded by control_mu_

  mutable std::mutex mu_;
  std::vector<TcpPacket> packets_;  // guarded by mu_
  std::atomic<uint64_t> dropped_{0};
};

Status PcapCapture::Open() {
  Status status;
  if (options_.interface.empty()) {
    status = MakeError(ErrorCode::kInvalidInput, "no capture interface given");
  } else {
    status = OpenHandleWhereAsked();
    if (status.ok()) status = OpenFile();
  }
  if (!status.ok()) {
    std::lock_guard lock(control_mu_);
    stopped_ = true;  // nothing to drain or flush
    stop_status_ = status;
  }
  return status;
}

Status PcapCapture::Start() {
  std::lock_guard control(control_mu_);
  if (stopped_) return MakeError(ErrorCode::kFailed, "capture already stopped");
  if (registration_) return Status::Ok();
  // The handle has been active (and its filter installed) since Open(), so
  // every packet from then on is in the kernel buffer already.
  const int fd = pcap_get_selectable_fd(live_.pcap.get());
  if (fd < 0)
    return MakeError(ErrorCode::kUnsupported,
                     "capture on " + options_.interface + " has no descriptor to poll");
  auto reg = poller_.Register(fd, [this](uint32_t events) { return OnReady(events); });
  if (!reg.ok()) return reg.status();
  registration_ = std::move(*reg);
  return Status::Ok();
}

Status PcapCapture::Stop() {
  std::lock_guard control(control_mu_);
  if (stopped_) return stop_status_;
  stopped_ = true;
  // After this the poller never touches the handle again, so what is left
  // is done here, on the caller's thread: the drain, and the flush and
  // fsync, which must not hold up every other capture.
  if (registration_) registration_->Unregister();
  registration_.reset();
  Status status = poll_status_;
  // Even when stopped without being started, whatever the kernel buffered is
  // written out: Stop() always drains.
  if (status.ok()) status = Drain();
  stop_status_ = Finish(std::move(status));
  return stop_status_;
}

std::vector<TcpPacket> PcapCapture::Packets() const {
  std::lock_guard lock(mu_);
  return packets_;
}

// setns() moves only the calling thread, so the handle is opened on a thread
// of its own that ends once it is open: a packet socket stays bound to the
// namespace it was created in, whichever thread reads it later.
Status PcapCapture::OpenHandleWhereAsked() {
  if (options_.netns_path.empty()) return OpenHandle();
  Status status;
  try {
    std::thread opener([this, &status] {
      pthread_setname_np(pthread_self(), "llcap-open");
      status = EnterNetns();
      if (status.ok()) status = OpenHandle();
    });
    opener.join();
  } catch (const std::system_error& e) {
    return MakeError(ErrorCode::kFailed, std::string("cannot start a thread to enter ") +
                                             options_.netns_path + ": " + e.what());
  }
  return status;
}

Status PcapCapture::EnterNetns() {
  if (options_.netns_path.empty()) return Status::Ok();
  UniqueFd ns(open(options_.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) {
    const int err = errno;
    return MakeError(
        err == ENOENT   ? ErrorCode::kNotFound
        : err == EACCES ? ErrorCode::kPermission
                        : ErrorCode::kFailed,
        "cannot open network namespace " + options_.netns_path + ": " + ErrnoText(err));
  }
  // setns() moves only this thread, which is why the capture has a thread
  // of its own; the caller's threads stay where they are.
  if (setns(ns.get(), CLONE_NEWNET) != 0) {
    const int err = errno;
    if (err == EPERM) {
      return MakeError(ErrorCode::kPermission,
                       "entering network namespace " + options_.netns_path +
                           " needs CAP_SYS_ADMIN (run as root): " + ErrnoText(err));
    }
    return MakeError(
        err == EINVAL ? ErrorCode::kInvalidInput : ErrorCode::kFailed,
        "cannot enter network namespace " + options_.netns_path + ": " + ErrnoText(err));
  }
  return Status::Ok();
}

Status PcapCapture::OpenHandle() {
  pcap_live::LiveOptions lo;
  lo.interface = options_.interface;
  lo.where = options_.netns_path.empty() ? "in this process's network namespace"
                                         : "in network namespace " + options_.netns_path;
  lo.snaplen = options_.snaplen;
  lo.buffer_bytes = options_.buffer_bytes;
  lo.filter = options_.bpf_filter;
  auto live = pcap_live::OpenLive(lo);
  if (!live.ok()) return live.error();
  live_ = std::move(*live);
  linktype_ = live_.linktype;
  if (!LinktypeSupported(linktype_)) {
    const char* lt = pcap_datalink_val_to_name(linktype_);
    return MakeError(ErrorCode::kUnsupported, "interface " + options_.interface +
                                                  " has link type " +
                                                  (lt ? lt : std::to_string(linktype_)) +
                                                  ", which the capture cannot parse");
  }
  precision_ = live_.precision;
  return Status::Ok();
}

Status PcapCapture::OpenFile() {
  if (options_.pcap_path.empty()) return Status::Ok();
  // A dead handle with nanosecond precision, rather than the live one, so
  // the file has nanosecond timestamps even where the kernel gives micro.
  dead_.reset(pcap_open_dead_with_tstamp_precision(linktype_, options_.snaplen,
                                                   PCAP_TSTAMP_PRECISION_NANO));
  if (!dead_) return MakeError(ErrorCode::kFailed, "pcap_open_dead failed");
  dumper_.reset(pcap_dump_open(dead_.get(), options_.pcap_path.c_str()));
  if (!dumper_) {
    return MakeError(ErrorCode::kFailed, "cannot open pcap file " + options_.pcap_path +
                                             " for writing: " + pcap_geterr(dead_.get()));
  }
  return Status::Ok();
}

bool PcapCapture::OnReady(uint32_t events) {
  Status status;
  if (events & EPOLLIN) {
    status = Dispatch(kFramesPerBatch).status();
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    // Typically the interface went away (namespace or veth deleted before
    // Stop()); libpcap usually reports why when asked to read.
    status = Dispatch(kFramesPerBatch).status();
    if (status.ok())
      status = MakeError(ErrorCode::kFailed,
                         "capture on " + options_.interface + " failed: socket error");
  }
  UpdateDropped();
  if (status.ok()) return true;
  poll_status_ = std::move(status);
  return false;  // the poller drops this handle; Stop() reports why
}

Result<int> PcapCapture::Dispatch(int max_frames) {
  // Nonblocking: processes what the ring holds, returns 0 when it is empty.
  const int rc = pcap_dispatch(live_.pcap.get(), max_frames, &PcapCapture::OnFrameThunk,
                               reinterpret_cast<u_char*>(this));
  if (rc < 0) {
    return MakeError(ErrorCode::kFailed, "capture on " + options_.interface +
                                             " failed: " + pcap_geterr(live_.pcap.get()));
  }
  return rc;
}

Status PcapCapture::Drain() {
  const int64_t deadline = MonotonicNs() + kMaxDrainNs;
  while (MonotonicNs() < deadline) {
    auto frames = Dispatch(kFramesPerBatch);  // in batches, so the deadline holds
    if (!frames.ok()) return frames.status();
    if (*frames == 0) break;
  }
  return Status::Ok();
}

Status PcapCapture::Finish(Status status) {
  if (live_.pcap) UpdateDropped();
  if (dumper_) {
    // pcap_dump() cannot report a failed write and pcap_dump_close() cannot
    // report a failed close; a write that failed while the stdio buffer
    // spilled leaves only the stream's error flag (a later fflush() of the
    // now empty buffer succeeds). So: flush, check the flag, fsync, and close
    // the file ourselves once the data is known to be on disk.
    FILE* f = pcap_dump_file(dumper_.get());
    if (pcap_dump_flush(dumper_.get()) != 0 && write_errno_ == 0)
      write_errno_ = errno ? errno : EIO;
    if (std::ferror(f) && write_errno_ == 0) write_errno_ = EIO;
    if (write_errno_ == 0 && ::fsync(::fileno(f)) != 0) write_errno_ = errno;
    dumper_.reset();  // fclose: nothing left to write, so nothing left to fail
    if (write_errno_ != 0 && status.ok()) {
      status = MakeError(ErrorCode::kFailed, "writing pcap file " + options_.pcap_path + ": " +
                                                 ErrnoText(write_errno_));
    }
  }
  dead_.reset();
  live_ = pcap_live::LiveHandle{};
  return status;
}

void PcapCapture::UpdateDropped() {
  pcap_stat stats{};
  // ps_drop counts packets lost because the ring was full. ps_ifdrop (the
  // interface's own drop counter on Linux) is not about this capture.
  if (pcap_stats(live_.pcap.get(), &stats) == 0) dropped_.store(stats.ps_drop);
}

void PcapCapture::OnFrame(const pcap_pkthdr* header, const u_char* bytes) {
  // Check the filter again in userland: packets that reached the socket
  // between pcap_activate() and pcap_setfilter() were not filtered.
  if (!pcap_live::PassesFilter(live_, header, bytes)) return;
  const int64_t t_ns = TimestampNs(header->ts, precision_);
  if (dumper_) {
    pcap_pkthdr out = *header;
    out.ts.tv_sec = static_cast<time_t>(t_ns / kNsPerSec);
    out.ts.tv_usec = static_cast<suseconds_t>(t_ns % kNsPerSec);
    pcap_dump(reinterpret_cast<u_char*>(dumper_.get()), &out, bytes);
    // The first failed write's errno (ENOSPC, EIO): the stream only keeps a flag.
    if (write_errno_ == 0 && std::ferror(pcap_dump_file(dumper_.get())))
      write_errno_ = errno ? errno : EIO;
  }
  auto packet = ParseFrame(linktype_, bytes, header->caplen, t_ns, header->len);
  if (!packet) return;
  std::lock_guard lock(mu_);
  packets_.push_back(std::move(*packet));
}

}  // namespace

Result<std::unique_ptr<CaptureSource>> OpenPcapCapture(const PcapCaptureOptions& options) {
  auto capture = std::make_unique<PcapCapture>(options, CapturePoller::Shared());
  if (Status s = capture->Open(); !s.ok()) return s.error();
  return std::unique_ptr<CaptureSource>(std::move(capture));
}

}  // namespace lingerlab
