#include "agents/agent/step_executor.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "agents/agent/payload.h"
#include "agents/base/base64.h"
#include "agents/base/clock.h"
#include "agents/platform/tcp_table.h"
#include "agents/protocol/message.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {
namespace {

using nlohmann::json;

json Stamp(const Timestamp& t) { return {{"mono_ns", t.mono_ns}, {"real_ns", t.real_ns}}; }

// The fields every event has (doc/protocol.md §3.1).
json MakeEvent(const std::string& op, const json& args, const Timestamp& start,
               const SysResult& r) {
  json e = {{"step", op},
            {"args", args},
            {"ret", r.ret},
            {"errno", r.err},
            {"errno_name", r.err ? json(ErrnoName(r.err)) : json(nullptr)},
            {"clock_start", Stamp(start)},
            {"clock_end", Stamp(Now())}};
  if (args.contains("handle") && args["handle"].is_string()) e["handle"] = args["handle"];
  // The platform lacks the call: the coordinator makes the case
  // not-comparable with this reason rather than compare a failure.
  if (r.unsupported) e["unsupported"] = true;
  return e;
}

Error BadRequest(const std::string& what) { return MakeError(ErrorCode::kInvalidInput, what); }

// Reads a required/optional argument of a given JSON type.
Result<std::string> Str(const json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || !it->is_string())
    return BadRequest(std::string("missing string '") + key + "'");
  return it->get<std::string>();
}
Result<bool> Bool(const json& args, const char* key, bool fallback) {
  auto it = args.find(key);
  if (it == args.end()) return fallback;
  if (!it->is_boolean()) return BadRequest(std::string("'") + key + "' must be true or false");
  return it->get<bool>();
}
// An integer argument within [lo, hi]. Out of range is refused, never cut
// to fit: a port of 70000 must not become 4464, nor a linger of 2^40 zero.
Result<int64_t> Int(const json& args, const char* key, int64_t lo, int64_t hi,
                    std::optional<int64_t> fallback = {}) {
  auto it = args.find(key);
  if (it == args.end()) {
    if (fallback) return *fallback;
    return BadRequest(std::string("missing integer '") + key + "'");
  }
  const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  if (!it->is_number_integer())
    return BadRequest(std::string("'") + key + "' must be an integer in " + range);
  // Unsigned values above INT64_MAX would wrap in get<int64_t>().
  const bool too_big =
      it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  if (too_big || it->get<int64_t>() < lo || it->get<int64_t>() > hi)
    return BadRequest(std::string("'") + key + "' must be in " + range);
  return it->get<int64_t>();
}

// Durations a step may wait or sleep (doc/protocol.md §3.3).
Result<int64_t> Ms(const json& args, const char* key, std::optional<int64_t> fallback = {}) {
  return Int(args, key, 0, protocol::kMaxStepMs, fallback);
}

// Handle names are short and plain, so a table of kMaxSockets entries stays
// small and a name is safe to quote in a message.
Status CheckHandleName(const std::string& name, const char* key) {
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
  if (name.empty() || name.size() > protocol::kMaxHandleBytes || !plain)
    return BadRequest(std::string("'") + key + "' must be 1.." +
                      std::to_string(protocol::kMaxHandleBytes) + " characters of [A-Za-z0-9_.-]");
  return Status::Ok();
}

// The payload is built in memory; 64 MiB is far beyond any matrix's needs.
constexpr int64_t kMaxWriteBytes = int64_t{64} << 20;
constexpr int64_t kMaxReadChunk = int64_t{1} << 20;
// wait_outq samples the send queue this often unless told (doc/protocol.md §3.2).
constexpr int64_t kDefaultOutqPollMs = 5;
// Per-read timestamps kept in a read event: ~30 bytes each, well inside a frame.
constexpr size_t kMaxReadsRecorded = 10000;
constexpr int64_t kMaxPort = 65535;

// poll's `events`: names of at most this many entries (repeats allowed).
constexpr size_t kMaxPollEventNames = 8;

// poll's reported bits, in the order the event lists them.
struct PollName {
  int bit;
  const char* name;
};
constexpr PollName kRevents[] = {
    {kPollIn, "IN"},         {kPollPri, "PRI"},     {kPollOut, "OUT"},
    {kPollErr, "ERR"},       {kPollHup, "HUP"},     {kPollRdNorm, "RDNORM"},
    {kPollWrNorm, "WRNORM"}, {kPollRdHup, "RDHUP"}, {kPollNval, "NVAL"}};

// Every wait is bounded by kMaxStepMs, so it fits the int of poll().
int ClampMs(int64_t ms) {
  return static_cast<int>(std::clamp<int64_t>(ms, 0, protocol::kMaxStepMs));
}

// A reason the host cannot capture (doc/protocol.md §3.2): reply code
// capture_unavailable (see ReplyCode).
Error CaptureUnavailable(const std::string& why) {
  return MakeError(ErrorCode::kFailed, "capture unavailable: " + why);
}

// An interface name as a peer may give it: short, no NUL, '/' or white
// space (what the OSes refuse in names anyway), so it is safe to quote.
bool PlainInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > protocol::kMaxInterfaceBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '/';
  });
}

}  // namespace

StepExecutor::StepExecutor(std::unique_ptr<SocketApi> api, std::unique_ptr<CaptureApi> capture)
    : api_(std::move(api)), capture_api_(std::move(capture)) {}

StepExecutor::~StepExecutor() {
  capture_.reset();   // joins its thread, closes the handle and the unlinked file
  children_.clear();  // each holder kills and reaps its child
  for (auto& [name, s] : sockets_) api_->Close(s.handle);
}

const char* StepExecutor::ReplyCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnsupported:
      return "unknown_op";
    case ErrorCode::kNotFound:
      return "unknown_handle";
    case ErrorCode::kFailed:
      return "capture_unavailable";
    default:
      return "bad_request";
  }
}

Result<StepExecutor::Sock*> StepExecutor::Find(const json& args) {
  auto name = Str(args, "handle");
  if (!name.ok()) return name.error();
  if (Status valid = CheckHandleName(*name, "handle"); !valid.ok()) return valid.error();
  auto it = sockets_.find(*name);
  if (it == sockets_.end())
    return MakeError(ErrorCode::kNotFound, "no socket named '" + *name + "'");
  return &it->second;
}

Result<std::string> StepExecutor::NewHandle(const json& args, const char* key) const {
  auto name = Str(args, key);
  if (!name.ok()) return name.error();
  if (Status valid = CheckHandleName(*name, key); !valid.ok()) return valid.error();
  if (sockets_.count(*name)) return BadRequest("socket '" + *name + "' already exists");
  // Bounds what one session can hold (a peer could otherwise open sockets
  // until the process runs out of descriptors or memory).
  if (sockets_.size() >= protocol::kMaxSockets)
    return BadRequest("a session holds at most " + std::to_string(protocol::kMaxSockets) +
                      " sockets; close one first");
  return name;
}

Result<json> StepExecutor::Perform(const std::string& op, const json& args) {
  if (!args.is_object()) return BadRequest("'args' must be an object");
  if (op == "socket") return DoSocket(args);
  if (op == "setsockopt") return DoSetSockOpt(args);
  if (op == "accept") return DoAccept(args);
  if (op == "write") return DoWrite(args);
  if (op == "read") return DoRead(args);
  if (op == "close") return DoClose(args);
  if (op == "wait_outq") return DoWaitOutq(args);
  if (op == "capture_start") return DoCaptureStart(args);
  if (op == "capture_stop") return DoCaptureStop(args);
  if (op == "capture_read") return DoCaptureRead(args);
  if (op == "tcp_state") return DoTcpState(args);
  if (op == "socket_table") return DoSocketTable(args);
  if (op == "dup") return DoDup(args);
  if (op == "fork_close") return DoForkClose(args);
  if (op == "hand_to_child") return DoHandToChild(args);
  if (op == "end_child") return DoEndChild(args);
  if (op == "poll") return DoPoll(args);
  if (op == "getsockopt") return DoGetSockOpt(args);
  if (op == "pause") {
    auto ms = Ms(args, "ms");
    if (!ms.ok()) return ms.error();
    Timestamp start = Now();
    SleepNs(*ms * kNsPerMs);
    return MakeEvent(op, args, start, SysResult{});
  }
  if (op == "time") return MakeEvent(op, args, Now(), SysResult{});

  // The rest act on one existing socket with a single call.
  if (op != "bind" && op != "listen" && op != "connect" && op != "shutdown" && op != "queues" &&
      op != "nonblock")
    return MakeError(ErrorCode::kUnsupported, "unknown op '" + Truncated(op) + "'");
  auto s = Find(args);
  if (!s.ok()) return s.error();
  const SocketHandle h = (*s)->handle;
  Timestamp start = Now();
  if (op == "bind" || op == "connect") {
    auto addr = Str(args, "address");
    auto port = Int(args, "port", 0, kMaxPort);
    if (!addr.ok()) return addr.error();
    if (!port.ok()) return port.error();
    SysResult r = op == "bind" ? api_->Bind(h, *addr, static_cast<int>(*port))
                               : api_->Connect(h, *addr, static_cast<int>(*port));
    json e = MakeEvent(op, args, start, r);
    if (r.ok()) e["local"] = api_->LocalAddress(h);
    return e;
  }
  if (op == "listen") {
    auto backlog = Int(args, "backlog", 0, INT_MAX, 16);
    if (!backlog.ok()) return backlog.error();
    return MakeEvent(op, args, start, api_->Listen(h, static_cast<int>(*backlog)));
  }
  if (op == "shutdown") {
    auto how = Str(args, "how");
    if (!how.ok()) return how.error();
    ShutdownHow w;
    if (*how == "wr")
      w = ShutdownHow::kWrite;
    else if (*how == "rd")
      w = ShutdownHow::kRead;
    else if (*how == "rdwr")
      w = ShutdownHow::kBoth;
    else
      return BadRequest("'how' must be wr, rd or rdwr");
    return MakeEvent(op, args, start, api_->Shutdown(h, w));
  }
  if (op == "nonblock") {
    auto on = Bool(args, "on", true);
    if (!on.ok()) return on.error();
    return MakeEvent(op, args, start, api_->SetNonBlocking(h, *on));
  }
  // queues
  SocketQueues q = api_->Queues(h);
  json e = MakeEvent(op, args, start, SysResult{});
  e["outq"] = q.outq ? json(*q.outq) : json(nullptr);
  e["inq"] = q.inq ? json(*q.inq) : json(nullptr);
  return e;
}

Result<json> StepExecutor::DoSocket(const json& args) {
  auto name = NewHandle(args, "handle");
  if (!name.ok()) return name.error();
  const std::string fam = args.contains("family") ? MessageString(args, "family") : "inet";
  if (fam != "inet" && fam != "inet6") return BadRequest("'family' must be inet or inet6");
  Timestamp start = Now();
  SysResult r = api_->Socket(fam == "inet6" ? Family::kInet6 : Family::kInet);
  if (r.ok()) sockets_[*name] = Sock{r.ret};
  return MakeEvent("socket", args, start, r);
}

Result<json> StepExecutor::DoSetSockOpt(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  auto opt = Str(args, "option");
  if (!opt.ok()) return opt.error();
  const SocketHandle h = (*s)->handle;
  if (*opt == "SO_LINGER") {
    auto onoff = Int(args, "onoff", 0, 1);
    auto secs = Int(args, "seconds", 0, INT_MAX, 0);  // l_linger is an int
    if (!onoff.ok()) return onoff.error();
    if (!secs.ok()) return secs.error();
    Timestamp start = Now();
    SysResult r = api_->SetLinger(h, *onoff != 0, static_cast<int>(*secs));
    json e = MakeEvent("setsockopt", args, start, r);
    SysResult back = api_->GetLinger(h);
    e["effective"] = !back.ok()       ? json(nullptr)
                     : back.ret == -2 ? json{{"onoff", 0}, {"seconds", 0}}
                                      : json{{"onoff", 1}, {"seconds", back.ret}};
    return e;
  }
  if (*opt == "TCP_USER_TIMEOUT" || *opt == "TCP_LINGER2") {
    // TCP_USER_TIMEOUT is milliseconds (0: the system's default); TCP_LINGER2
    // seconds in FIN_WAIT2, -1 for none (Linux: straight to CLOSE), 0 for the
    // system's tcp_fin_timeout.
    const bool user_timeout = *opt == "TCP_USER_TIMEOUT";
    const TcpIntOption to = user_timeout ? TcpIntOption::kUserTimeout : TcpIntOption::kLinger2;
    auto value = Int(args, "value", user_timeout ? 0 : -1, INT_MAX);
    if (!value.ok()) return value.error();
    Timestamp start = Now();
    SysResult r = api_->SetTcpInt(h, to, static_cast<int>(*value));
    json e = MakeEvent("setsockopt", args, start, r);
    SysResult back = api_->GetTcpInt(h, to);
    // TCP_LINGER2 reads back -1 for "none": err, not ret, tells failure.
    e["effective"] = back.err == 0 ? json(back.ret) : json(nullptr);
    return e;
  }
  IntOption io;
  if (*opt == "SO_REUSEADDR")
    io = IntOption::kReuseAddr;
  else if (*opt == "SO_SNDBUF")
    io = IntOption::kSndBuf;
  else if (*opt == "SO_RCVBUF")
    io = IntOption::kRcvBuf;
  else
    return BadRequest("unsupported option '" + Truncated(*opt) + "'");
  auto value = Int(args, "value", 0, INT_MAX);
  if (!value.ok()) return value.error();
  Timestamp start = Now();
  SysResult r = api_->SetInt(h, io, static_cast<int>(*value));
  json e = MakeEvent("setsockopt", args, start, r);
  // Linux doubles buffer sizes; the effective value is what shapes the window.
  SysResult back = api_->GetInt(h, io);
  e["effective"] = back.ok() ? json(back.ret) : json(nullptr);
  return e;
}

Result<json> StepExecutor::DoAccept(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  auto as = NewHandle(args, "as");
  if (!as.ok()) return as.error();
  // No accept waits forever: without a timeout it waits the longest a step may.
  auto timeout = Ms(args, "timeout_ms", protocol::kMaxStepMs);
  if (!timeout.ok()) return timeout.error();
  std::string peer;
  Timestamp start = Now();
  SysResult r = api_->Accept((*s)->handle, ClampMs(*timeout), &peer);
  json e = MakeEvent("accept", args, start, r);
  if (r.ok()) {
    sockets_[*as] = Sock{r.ret};
    e["peer"] = peer;
  }
  return e;
}

Result<json> StepExecutor::DoWrite(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  auto total = Int(args, "bytes", 0, kMaxWriteBytes);
  if (!total.ok()) return total.error();
  Sock* sock = *s;
  std::vector<char> buf(static_cast<size_t>(*total));
  FillPayload(sock->written, buf.data(), buf.size());
  Timestamp start = Now();
  size_t done = 0;
  int calls = 0;
  SysResult last;
  // A blocking send may write less than asked; loop until all of it is
  // accepted or a call fails, as the published linger-server does.
  while (done < buf.size()) {
    last = api_->Send(sock->handle, buf.data() + done, buf.size() - done);
    ++calls;
    if (last.err == EINTR) continue;
    if (!last.ok()) break;
    done += static_cast<size_t>(last.ret);
  }
  sock->written += done;
  json e = MakeEvent("write", args, start, last);
  e["bytes"] = done;
  e["calls"] = calls;
  return e;
}

Result<json> StepExecutor::DoRead(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  auto chunk = Int(args, "chunk", 1, kMaxReadChunk, 512);
  auto interval = Ms(args, "interval_ms", 0);
  auto idle = Ms(args, "idle_ms", 0);
  auto limit = Ms(args, "limit_ms", 0);
  auto verify = Bool(args, "verify", false);
  // 0: read until EOF, an error or the limit; else stop once this many bytes
  // arrived (a length-prefixed message), never reading past them.
  auto max_bytes = Int(args, "max_bytes", 0, kMaxWriteBytes, 0);
  for (auto* r : {&chunk, &interval, &idle, &limit, &max_bytes})
    if (!r->ok()) return r->error();
  if (!verify.ok()) return verify.error();
  Sock* sock = *s;

  Timestamp start = Now();
  // limit_ms 0 (no limit of its own) still ends at kMaxStepMs: no read
  // holds the agent forever.
  const int64_t limit_ms = *limit > 0 ? *limit : protocol::kMaxStepMs;
  const int64_t deadline = start.mono_ns + limit_ms * kNsPerMs;
  auto left_ms = [&]() -> int64_t {
    return std::max<int64_t>(0, (deadline - MonotonicNs()) / kNsPerMs);
  };
  auto sleep_bounded = [&](int64_t ms) { SleepNs(std::min(ms, left_ms()) * kNsPerMs); };

  std::vector<char> buf(static_cast<size_t>(*chunk));
  json reads = json::array();
  uint64_t read_calls = 0;
  uint64_t bytes = 0;
  std::optional<uint64_t> mismatch;
  SysResult last;
  std::string end;
  sleep_bounded(*idle);
  for (;;) {
    int64_t l = left_ms();
    if (l == 0) {
      end = "limit";
      break;
    }
    if (*max_bytes > 0 && bytes >= static_cast<uint64_t>(*max_bytes)) {
      end = "bytes";
      break;
    }
    SysResult ready = api_->WaitReadable(sock->handle, ClampMs(l));
    if (!ready.ok()) {
      last = ready;
      end = "error";
      break;
    }
    if (ready.ret == 0) continue;  // left_ms() now reports the limit
    size_t want = buf.size();
    if (*max_bytes > 0) want = std::min<uint64_t>(want, static_cast<uint64_t>(*max_bytes) - bytes);
    last = api_->Recv(sock->handle, buf.data(), want);
    if (last.err == EINTR) continue;
    if (!last.ok()) {
      end = "error";
      break;
    }
    if (last.ret == 0) {
      end = "eof";
      break;
    }
    const auto n = static_cast<size_t>(last.ret);
    // Bounded so the event always fits in one frame (doc/protocol.md §1).
    if (reads.size() < kMaxReadsRecorded) reads.push_back({RealtimeNs(), n});
    ++read_calls;
    if (*verify && !mismatch) mismatch = FirstMismatch(sock->read, buf.data(), n);
    sock->read += n;
    bytes += n;
    if (*interval > 0) sleep_bounded(*interval);
  }
  json e = MakeEvent("read", args, start, last);
  e["bytes"] = bytes;
  e["end"] = end;
  e["reads"] = std::move(reads);
  e["read_calls"] = read_calls;  // more than reads.size() when the list was capped
  if (*verify) {
    e["verified"] = !mismatch.has_value();
    e["first_mismatch"] = mismatch ? json(*mismatch) : json(nullptr);
  }
  return e;
}

// Samples the send queue every poll_ms until it is empty or limit_ms passes:
// "wait until SIOCOUTQ reaches 0 before close()". end: `empty`, `limit`, or
// `unsupported` when the OS cannot count the queue (the wait is then skipped:
// an outcome, not an error).
Result<json> StepExecutor::DoWaitOutq(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  auto limit = Ms(args, "limit_ms", 0);
  auto poll = Ms(args, "poll_ms", 0);
  if (!limit.ok()) return limit.error();
  if (!poll.ok()) return poll.error();
  const SocketHandle h = (*s)->handle;
  const int64_t poll_ms = std::max<int64_t>(1, *poll > 0 ? *poll : kDefaultOutqPollMs);
  Timestamp start = Now();
  const int64_t limit_ms = *limit > 0 ? *limit : protocol::kMaxStepMs;
  const int64_t deadline = start.mono_ns + limit_ms * kNsPerMs;
  SocketQueues q;
  uint64_t samples = 0;
  std::string end;
  for (;;) {
    q = api_->Queues(h);
    ++samples;
    if (!q.outq) {
      end = "unsupported";
      break;
    }
    if (*q.outq == 0) {
      end = "empty";
      break;
    }
    const int64_t left = deadline - MonotonicNs();
    if (left <= 0) {
      end = "limit";
      break;
    }
    SleepNs(std::min(left, poll_ms * kNsPerMs));
  }
  json e = MakeEvent("wait_outq", args, start, SysResult{});
  e["end"] = end;
  e["outq"] = q.outq ? json(*q.outq) : json(nullptr);
  e["inq"] = q.inq ? json(*q.inq) : json(nullptr);
  e["samples"] = samples;
  return e;
}

Result<json> StepExecutor::DoClose(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  const SocketHandle h = (*s)->handle;
  // Forget the handle whatever close() returns: POSIX leaves the descriptor
  // state unspecified after an error, and retrying could close a reused fd.
  sockets_.erase(args["handle"].get<std::string>());
  Timestamp start = Now();
  SysResult r = api_->Close(h);
  return MakeEvent("close", args, start, r);
}

Result<json> StepExecutor::DoTcpState(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  TcpInfoSample info;
  Timestamp start = Now();
  SysResult r = api_->TcpInfo((*s)->handle, &info);
  json e = MakeEvent("tcp_state", args, start, r);
  e["state"] = r.ok() ? TcpStateName(info.state) : "unknown";
  e["unacked"] = r.ok() ? json(info.unacked) : json(nullptr);
  e["retransmits"] = r.ok() ? json(info.retransmits) : json(nullptr);
  return e;
}

// The stack's table for one local port, listeners left out: what remains
// of a connection after close() (FIN_WAIT2, TIME_WAIT, LAST_ACK, ...) when
// no descriptor names it any more.
Result<json> StepExecutor::DoSocketTable(const json& args) {
  auto port = Int(args, "port", 1, kMaxPort);
  if (!port.ok()) return port.error();
  std::vector<TcpTableEntry> entries;
  Timestamp start = Now();
  SysResult r = api_->TcpTable(static_cast<int>(*port), protocol::kMaxTableEntries, &entries);
  json e = MakeEvent("socket_table", args, start, r);
  json list = json::array();
  for (const TcpTableEntry& t : entries)
    list.push_back({{"state", TcpStateName(t.state)},
                    {"local_port", t.local_port},
                    {"remote_port", t.remote_port}});
  e["state"] = !r.ok() ? json("unknown") : list.empty() ? json("gone") : list[0]["state"];
  e["entries"] = std::move(list);
  return e;
}

Result<json> StepExecutor::DoDup(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  auto as = NewHandle(args, "as");
  if (!as.ok()) return as.error();
  const Sock original = **s;
  Timestamp start = Now();
  SysResult r = api_->Dup(original.handle);
  // The copy continues the payload where the original is now; from here on
  // each handle counts its own writes and reads.
  if (r.ok()) sockets_[*as] = Sock{r.ret, original.written, original.read};
  return MakeEvent("dup", args, start, r);
}

Result<json> StepExecutor::DoForkClose(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  ChildEnd end;
  Timestamp start = Now();
  SysResult r = api_->ForkClose((*s)->handle, static_cast<int>(protocol::kForkCloseLimitMs), &end);
  // ret is the close's outcome, 0, as for `close`: a "close" claimed on
  // this step reads close_ret from it; the child's pid goes in `pid`.
  json e = MakeEvent("fork_close", args, start, r.ok() ? SysResult{} : r);
  if (r.ok()) e["pid"] = r.ret;
  e["status"] = end.status.empty() ? json(nullptr) : json(end.status);
  if (end.limit) e["end"] = "limit";
  return e;
}

Result<json> StepExecutor::DoHandToChild(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  auto as = Str(args, "as");
  if (!as.ok()) return as.error();
  if (Status valid = CheckHandleName(*as, "as"); !valid.ok()) return valid.error();
  if (children_.count(*as)) return BadRequest("child '" + *as + "' already exists");
  // Each child is a process on the host under test: few at a time.
  if (children_.size() >= protocol::kMaxChildren)
    return BadRequest("a session holds at most " + std::to_string(protocol::kMaxChildren) +
                      " children; end one first");
  const SocketHandle h = (*s)->handle;
  std::unique_ptr<SocketHolder> holder;
  Timestamp start = Now();
  SysResult r = api_->HandToChild(h, &holder);
  if (!r.ok() || !holder) return MakeEvent("hand_to_child", args, start, r);
  children_[*as] = std::move(holder);
  // The child now holds the last reference: ours is closed and forgotten
  // (whatever close() says, as the close op does).
  sockets_.erase(args["handle"].get<std::string>());
  SysResult closed = api_->Close(h);
  json e = MakeEvent("hand_to_child", args, start, r);
  e["pid"] = r.ret;
  e["close_ret"] = closed.ret;
  e["close_errno_name"] = closed.err ? json(ErrnoName(closed.err)) : json(nullptr);
  return e;
}

Result<json> StepExecutor::DoEndChild(const json& args) {
  auto as = Str(args, "as");
  if (!as.ok()) return as.error();
  if (Status valid = CheckHandleName(*as, "as"); !valid.ok()) return valid.error();
  auto how = Str(args, "how");
  if (!how.ok()) return how.error();
  if (*how != "exit" && *how != "kill") return BadRequest("'how' must be exit or kill");
  // Required: how long the exit may block is what the step measures.
  auto limit = Int(args, "limit_ms", 1, protocol::kMaxStepMs);
  if (!limit.ok()) return limit.error();
  auto it = children_.find(*as);
  if (it == children_.end()) return MakeError(ErrorCode::kNotFound, "no child named '" + *as + "'");
  std::unique_ptr<SocketHolder> holder = std::move(it->second);
  children_.erase(it);
  ChildEnd end;
  Timestamp start = Now();
  SysResult r =
      holder->End(*how == "exit" ? ChildEndHow::kExit : ChildEndHow::kKill, ClampMs(*limit), &end);
  json e = MakeEvent("end_child", args, start, r);
  e["pid"] = holder->pid();
  e["status"] = end.status.empty() ? json(nullptr) : json(end.status);
  if (end.limit) e["end"] = "limit";
  return e;
}

Result<json> StepExecutor::DoPoll(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  int events = 0;
  if (auto it = args.find("events"); it != args.end()) {
    if (!it->is_array() || it->size() > kMaxPollEventNames)
      return BadRequest("'events' must be an array of at most " +
                        std::to_string(kMaxPollEventNames) + " of in, out, rdhup, pri");
    for (const json& name : *it) {
      const std::string n = name.is_string() ? name.get<std::string>() : "";
      if (n == "in")
        events |= kPollIn | kPollRdNorm;
      else if (n == "out")
        events |= kPollOut | kPollWrNorm;
      else if (n == "rdhup")
        events |= kPollRdHup;
      else if (n == "pri")
        events |= kPollPri;
      else
        return BadRequest("'events' entries must be one of in, out, rdhup, pri");
    }
  }
  auto timeout = Ms(args, "timeout_ms", 0);
  if (!timeout.ok()) return timeout.error();
  int revents = 0;
  Timestamp start = Now();
  SysResult r = api_->Poll((*s)->handle, events, ClampMs(*timeout), &revents);
  json e = MakeEvent("poll", args, start, r);
  json names = json::array();
  if (r.ok())
    for (const PollName& p : kRevents)
      if (revents & p.bit) names.push_back(p.name);
  e["revents"] = std::move(names);
  return e;
}

Result<json> StepExecutor::DoGetSockOpt(const json& args) {
  auto s = Find(args);
  if (!s.ok()) return s.error();
  auto opt = Str(args, "option");
  if (!opt.ok()) return opt.error();
  const SocketHandle h = (*s)->handle;
  SysResult got;
  Timestamp start = Now();
  if (*opt == "SO_ERROR")
    got = api_->GetSoError(h);
  else if (*opt == "TCP_USER_TIMEOUT")
    got = api_->GetTcpInt(h, TcpIntOption::kUserTimeout);
  else if (*opt == "TCP_LINGER2")
    got = api_->GetTcpInt(h, TcpIntOption::kLinger2);
  else if (*opt == "SO_LINGER")
    got = api_->GetLinger(h);  // seconds, or -2 when linger is off
  else
    return BadRequest("'option' must be SO_ERROR, TCP_USER_TIMEOUT, TCP_LINGER2 or SO_LINGER");
  // The value comes back in ret (it may be negative: -2, -1); the event's
  // ret is getsockopt's own, 0 or -1.
  const bool got_value = got.err == 0 && !got.unsupported;
  SysResult call = got_value ? SysResult{} : got;
  json e = MakeEvent("getsockopt", args, start, call);
  e["value"] = got_value ? json(got.ret) : json(nullptr);
  if (*opt == "SO_ERROR")
    e["value_name"] =
        got_value && got.ret != 0 ? json(ErrnoName(static_cast<int>(got.ret))) : json(nullptr);
  return e;
}

Result<json> StepExecutor::DoCaptureStart(const json& args) {
  auto address = Str(args, "address");
  if (!address.ok()) return address.error();
  auto filter = Str(args, "filter");
  if (!filter.ok()) return filter.error();
  // No NUL: libpcap would read the text only up to it.
  if (filter->empty() || filter->size() > protocol::kMaxCaptureFilterBytes ||
      filter->find('\0') != std::string::npos)
    return BadRequest("'filter' must be 1.." + std::to_string(protocol::kMaxCaptureFilterBytes) +
                      " bytes of BPF text");
  std::optional<std::string> interface;
  if (args.contains("interface")) {
    auto name = Str(args, "interface");
    if (!name.ok()) return name.error();
    if (!PlainInterfaceName(*name))
      return BadRequest("'interface' must be 1.." + std::to_string(protocol::kMaxInterfaceBytes) +
                        " printable characters without '/' or spaces");
    interface = *name;
  }
  if (capture_ && !capture_stopped_) return BadRequest("a capture is already running");
  if (capture_) return BadRequest("a session makes at most one capture");
  // The interface holding the test address, unless the coordinator names one.
  auto holder = InterfaceHoldingAddress(*address);
  if (!holder.ok()) {
    if (holder.error().code == ErrorCode::kInvalidInput)
      return BadRequest("'address' must be an IPv4 or IPv6 literal");
    if (!interface) return CaptureUnavailable(holder.error().message);
  }
  CaptureOptions options;
  options.interface = interface ? *interface : *holder;
  options.filter = *filter;
  options.snaplen = protocol::kCaptureSnaplen;
  options.buffer_bytes = protocol::kCaptureBufferBytes;
  options.timeout_ms = protocol::kCaptureTimeoutMs;
  options.max_file_bytes = protocol::kMaxCaptureBytes;
  Timestamp start = Now();
  auto started = capture_api_->Start(options);
  if (!started.ok()) {
    if (started.error().code == ErrorCode::kInvalidInput)
      return BadRequest(started.error().message);
    return CaptureUnavailable(started.error().message);
  }
  capture_ = std::move(*started);
  const CaptureInfo& info = capture_->info();
  json e = MakeEvent("capture_start", args, start, SysResult{});
  e["interface"] = info.interface;
  e["link_type"] = info.link_type;
  e["snaplen"] = info.snaplen;
  e["precision"] = info.precision;
  return e;
}

Result<json> StepExecutor::DoCaptureStop(const json& args) {
  if (!capture_) return BadRequest("no capture was started");
  if (capture_stopped_) return BadRequest("the capture is already stopped");
  Timestamp start = Now();
  auto sum = capture_->Stop();
  capture_stopped_ = true;  // whatever Stop() said: the thread and handle are gone
  if (!sum.ok()) return CaptureUnavailable(sum.error().message);
  capture_summary_ = *sum;
  json e = MakeEvent("capture_stop", args, start, SysResult{});
  e["bytes"] = sum->bytes;
  e["packets"] = sum->packets;
  e["dropped"] = sum->dropped ? json(*sum->dropped) : json(nullptr);
  e["truncated"] = sum->truncated;
  return e;
}

Result<json> StepExecutor::DoCaptureRead(const json& args) {
  if (!capture_) return BadRequest("no capture was started");
  if (!capture_stopped_) return BadRequest("capture_read needs capture_stop first");
  if (!capture_summary_) return BadRequest("the capture failed; there is nothing to read");
  const uint64_t size = capture_summary_->bytes;
  auto offset = Int(args, "offset", 0, static_cast<int64_t>(size));
  if (!offset.ok()) return offset.error();
  auto length = Int(args, "length", 1, static_cast<int64_t>(protocol::kMaxCaptureChunk));
  if (!length.ok()) return length.error();
  const auto want = static_cast<size_t>(
      std::min<uint64_t>(static_cast<uint64_t>(*length), size - static_cast<uint64_t>(*offset)));
  std::string buf(want, '\0');
  Timestamp start = Now();
  size_t got = 0;
  while (got < want) {
    auto n = capture_->Read(static_cast<uint64_t>(*offset) + got, buf.data() + got, want - got);
    if (!n.ok()) return CaptureUnavailable(n.error().message);
    if (*n == 0) break;  // cannot happen for a file of `size` bytes; do not spin
    got += *n;
  }
  buf.resize(got);
  json e = MakeEvent("capture_read", args, start, SysResult{});
  e["data"] = Base64Encode(buf);
  e["bytes"] = got;
  e["eof"] = static_cast<uint64_t>(*offset) + got == size;
  return e;
}

}  // namespace lingerlab
