#include "suite/capture/pcap_capture.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include "agents/base/clock.h"
#include "agents/platform/unique_fd.h"
#include "suite/capture/pcap_handle.h"

namespace lingerlab {
namespace {

using capture_internal::DumperPtr;
using capture_internal::PcapPtr;
using capture_internal::TimestampNs;

// How long the capture thread sleeps in poll() at most: a fallback only.
// Stop() wakes the thread through an eventfd, and Dropped() is refreshed
// after every batch of packets, so nothing waits for this.
constexpr int kPollIntervalMs = 1000;
// Stop() drains the kernel buffer for at most this long, so a flood of
// matching packets cannot keep it from returning.
constexpr int64_t kMaxDrainNs = 100 * kNsPerMs;

std::string Errno(int err) { return std::strerror(err); }

class PcapCapture final : public CaptureSource {
 public:
  explicit PcapCapture(PcapCaptureOptions options) : options_(std::move(options)) {}
  ~PcapCapture() override { (void)Stop(); }
  PcapCapture(const PcapCapture&) = delete;
  PcapCapture& operator=(const PcapCapture&) = delete;

  // Starts the capture thread and waits until it has opened everything (or
  // failed to; then the thread has exited).
  Status Open();

  Status Start() override;
  Status Stop() override;
  std::vector<TcpPacket> Packets() const override;
  uint64_t Dropped() const override { return dropped_.load(); }

 private:
  // The capture thread's body and its steps.
  void Run();
  Status OpenOnThread();
  Status EnterNetns();
  Status OpenHandle();
  Status OpenFile();
  Status Loop();
  Status Dispatch();
  Status Drain();
  Status Finish(Status loop_status);
  void UpdateDropped();
  void OnFrame(const pcap_pkthdr* header, const u_char* bytes);
  static void OnFrameThunk(u_char* self, const pcap_pkthdr* header, const u_char* bytes) {
    reinterpret_cast<PcapCapture*>(self)->OnFrame(header, bytes);
  }

  const PcapCaptureOptions options_;
  UniqueFd wake_fd_;  // eventfd: Stop() wakes the capture thread's poll()
  std::thread thread_;

  // Used only by the capture thread once Open() has returned.
  pcap_live::LiveHandle live_;  // the handle and its filter
  PcapPtr dead_;  // the dumper's handle: fixes the file's precision to nanoseconds
  DumperPtr dumper_;
  int linktype_ = 0;
  int precision_ = PCAP_TSTAMP_PRECISION_MICRO;
  Status final_status_;  // read by Stop() after join()
  int write_errno_ = 0;  // first error writing the pcap file; 0 if none

  std::mutex control_mu_;  // serialises Start() and Stop()
  bool stopped_ = false;   // guarded by control_mu_
  Status stop_status_;     // guarded by control_mu_

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Status> open_status_;  // guarded by mu_
  bool start_requested_ = false;       // guarded by mu_
  bool stop_requested_ = false;        // guarded by mu_
  std::vector<TcpPacket> packets_;     // guarded by mu_
  std::atomic<uint64_t> dropped_{0};
};

Status PcapCapture::Open() {
  const int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) return MakeError(ErrorCode::kFailed, "eventfd: " + Errno(errno));
  wake_fd_.reset(efd);
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error& e) {
    return MakeError(ErrorCode::kFailed, std::string("cannot start capture thread: ") + e.what());
  }
  Status status;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_status_.has_value(); });
    status = *open_status_;
  }
  if (!status.ok()) {
    thread_.join();
    std::lock_guard lock(control_mu_);
    stopped_ = true;
    stop_status_ = status;
  }
  return status;
}

Status PcapCapture::Start() {
  std::lock_guard control(control_mu_);
  if (stopped_) return MakeError(ErrorCode::kFailed, "capture already stopped");
  std::lock_guard lock(mu_);
  start_requested_ = true;
  cv_.notify_all();
  // The handle has been active (and its filter installed) since Open(), so
  // every packet from here on is in the kernel buffer already.
  return Status::Ok();
}

Status PcapCapture::Stop() {
  std::lock_guard control(control_mu_);
  if (stopped_) return stop_status_;
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
    cv_.notify_all();
  }
  const uint64_t one = 1;
  // Cannot fail short of a bug: the counter is far from overflowing. Even
  // then the thread would notice stop_requested_ within kPollIntervalMs.
  (void)!write(wake_fd_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  stopped_ = true;
  stop_status_ = final_status_;
  return stop_status_;
}

std::vector<TcpPacket> PcapCapture::Packets() const {
  std::lock_guard lock(mu_);
  return packets_;
}

void PcapCapture::Run() {
  const std::string name = ("llcap-" + options_.interface).substr(0, 15);
  pthread_setname_np(pthread_self(), name.c_str());

  Status opened = OpenOnThread();
  {
    std::lock_guard lock(mu_);
    open_status_ = opened;
    cv_.notify_all();
  }
  if (!opened.ok()) {
    (void)Finish(Status::Ok());
    return;
  }
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return start_requested_ || stop_requested_; });
  }
  // Even when stopped without being started, whatever the kernel buffered is
  // written out: Stop() always drains.
  final_status_ = Finish(Loop());
}

Status PcapCapture::OpenOnThread() {
  if (options_.interface.empty()) {
    return MakeError(ErrorCode::kInvalidInput, "no capture interface given");
  }
  if (Status s = EnterNetns(); !s.ok()) return s;
  if (Status s = OpenHandle(); !s.ok()) return s;
  return OpenFile();
}

Status PcapCapture::EnterNetns() {
  if (options_.netns_path.empty()) return Status::Ok();
  UniqueFd ns(open(options_.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) {
    const int err = errno;
    return MakeError(err == ENOENT   ? ErrorCode::kNotFound
                     : err == EACCES ? ErrorCode::kPermission
                                     : ErrorCode::kFailed,
                     "cannot open network namespace " + options_.netns_path + ": " + Errno(err));
  }
  // setns() moves only this thread, which is why the capture has a thread
  // of its own; the caller's threads stay where they are.
  if (setns(ns.get(), CLONE_NEWNET) != 0) {
    const int err = errno;
    if (err == EPERM) {
      return MakeError(ErrorCode::kPermission,
                       "entering network namespace " + options_.netns_path +
                           " needs CAP_SYS_ADMIN (run as root): " + Errno(err));
    }
    return MakeError(err == EINVAL ? ErrorCode::kInvalidInput : ErrorCode::kFailed,
                     "cannot enter network namespace " + options_.netns_path + ": " + Errno(err));
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

Status PcapCapture::Loop() {
  pollfd fds[2] = {{pcap_get_selectable_fd(live_.pcap.get()), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_requested_) break;
    }
    const int n = poll(fds, 2, kPollIntervalMs);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kFailed, "capture poll: " + Errno(errno));
    }
    if (fds[1].revents != 0) break;  // Stop()
    if (fds[0].revents & POLLIN) {
      if (Status s = Dispatch(); !s.ok()) return s;
    } else if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
      // Typically the interface went away (namespace or veth deleted before
      // Stop()); libpcap usually reports why when asked to read.
      if (Status s = Dispatch(); !s.ok()) return s;
      return MakeError(ErrorCode::kFailed,
                       "capture on " + options_.interface + " failed: socket error");
    }
    UpdateDropped();
  }
  return Drain();
}

Status PcapCapture::Dispatch() {
  // Nonblocking: processes what the ring holds, returns 0 when it is empty.
  const int rc =
      pcap_dispatch(live_.pcap.get(), -1, &PcapCapture::OnFrameThunk, reinterpret_cast<u_char*>(this));
  if (rc < 0) {
    return MakeError(ErrorCode::kFailed,
                     "capture on " + options_.interface + " failed: " + pcap_geterr(live_.pcap.get()));
  }
  return Status::Ok();
}

Status PcapCapture::Drain() {
  const int64_t deadline = MonotonicNs() + kMaxDrainNs;
  while (MonotonicNs() < deadline) {
    const int rc =
        pcap_dispatch(live_.pcap.get(), -1, &PcapCapture::OnFrameThunk, reinterpret_cast<u_char*>(this));
    if (rc < 0) {
      return MakeError(ErrorCode::kFailed,
                       "capture on " + options_.interface + " failed: " + pcap_geterr(live_.pcap.get()));
    }
    if (rc == 0) break;
  }
  return Status::Ok();
}

Status PcapCapture::Finish(Status loop_status) {
  if (live_.pcap) UpdateDropped();
  Status status = std::move(loop_status);
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
      status = MakeError(ErrorCode::kFailed,
                         "writing pcap file " + options_.pcap_path + ": " + Errno(write_errno_));
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
  auto capture = std::make_unique<PcapCapture>(options);
  if (Status s = capture->Open(); !s.ok()) return s.error();
  return std::unique_ptr<CaptureSource>(std::move(capture));
}

}  // namespace lingerlab
