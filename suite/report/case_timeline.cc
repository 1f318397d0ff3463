#include "suite/report/case_timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "suite/classify/case_view.h"
#include "suite/classify/json_fields.h"

namespace lingerlab {
namespace {

using json = nlohmann::json;
using classify::FieldOrNull;

// An event within this much of a call's span belongs to it (the agents'
// clocks are mapped onto the capture's to within the clock uncertainty).
constexpr double kCallSlackS = 0.001;

std::string ArgText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number() || v.is_null()) return v.dump();
  if (v.is_object() && v.contains("onoff") && v.contains("linger"))
    return "{" + v["onoff"].dump() + "," + v["linger"].dump() + "}";
  return v.dump().size() <= 24 ? v.dump() : "...";
}

// "close(csock) = 0", "setsockopt(lsock, SO_LINGER, {1,20}) = 0",
// "read(sock, 512 B every 200 ms) = 11644 B, ECONNRESET".
std::string CallText(const classify::CaseEvent& e) {
  std::string args = e.handle;
  const json& a = FieldOrNull(e.raw, "args");
  if (e.step == "setsockopt" || e.step == "getsockopt") {
    args += ", " + ArgText(FieldOrNull(a, "option"));
    if (a.is_object() && a.contains("value")) args += ", " + ArgText(a["value"]);
    if (a.is_object() && a.contains("onoff"))
      args += ", {" + ArgText(a["onoff"]) + "," + ArgText(FieldOrNull(a, "seconds")) + "}";
  } else if (e.step == "read") {
    const json& chunk = FieldOrNull(a, "chunk");
    const json& every = FieldOrNull(a, "interval_ms");
    if (chunk.is_number() && every.is_number() && every.get<double>() > 0)
      args += ", " + chunk.dump() + " B every " + every.dump() + " ms";
  } else if (e.step == "write") {
    const json& bytes = FieldOrNull(a, "bytes");
    if (bytes.is_number()) args += ", " + bytes.dump() + " B";
  } else if (e.step == "shutdown") {
    args += ", " + ArgText(FieldOrNull(a, "how"));
  } else if (e.step == "pause" || e.step == "sleep") {
    const json& ms = FieldOrNull(a, "ms");
    if (ms.is_number()) args += ms.dump() + " ms";
  }
  if (e.step == "read") {
    const json& limit = FieldOrNull(a, "limit_ms");
    if (limit.is_number() && !FieldOrNull(a, "interval_ms").is_number())
      args += ", until EOF or " + limit.dump() + " ms";
  }
  if (e.step == "queues") {
    const json& outq = FieldOrNull(e.raw, "outq");
    const json& inq = FieldOrNull(e.raw, "inq");
    if (outq.is_number() && inq.is_number())
      return "queues(" + args + "): outq " + outq.dump() + " B, inq " + inq.dump() + " B";
  }
  std::string text = e.step + "(" + args + ")";
  if (e.ret) {
    const json& bytes = FieldOrNull(e.raw, "bytes");
    const json& end = FieldOrNull(e.raw, "end");
    const bool read = e.step == "read" && bytes.is_number_integer();
    text += " = " + (read ? bytes.dump() + " B" : std::to_string(*e.ret));
    if (e.errno_name && !e.errno_name->empty())
      text += (read ? ", " : " ") + *e.errno_name;
    else if (read && end.is_string())
      text += ", " + end.get<std::string>();
  }
  return text;
}

// What each packet is, in order: needs the highest sequence number and the
// last ACK and window each side has sent so far.
void ClassifySegments(std::vector<TimelinePacket>& packets) {
  struct Side {
    int64_t next_seq = 0;  // highest seq + len sent
    int64_t last_ack = -1, last_win = -1;
  };
  Side side[2];  // [0] client, [1] server
  for (TimelinePacket& p : packets) {
    Side& me = side[p.s2c ? 1 : 0];
    const Side& peer = side[p.s2c ? 0 : 1];
    if (p.flags.find('R') != std::string::npos)
      p.kind = SegmentKind::kRst;
    else if (p.flags.find('S') != std::string::npos)
      p.kind = SegmentKind::kSyn;
    else if (p.flags.find('F') != std::string::npos)
      p.kind = SegmentKind::kFin;
    else if (p.len <= 1 && peer.last_win == 0 && p.seq < me.next_seq)
      p.kind = SegmentKind::kZeroWindowProbe;  // old sequence space into a closed window
    else if (p.len > 0)
      p.kind = SegmentKind::kData;
    else if (p.ack == me.last_ack && p.win != me.last_win)
      p.kind = SegmentKind::kWindowUpdate;
    else
      p.kind = SegmentKind::kAck;
    me.next_seq = std::max(me.next_seq, p.seq + p.len);
    if (p.flags.find('.') != std::string::npos) {
      me.last_ack = p.ack;
      me.last_win = p.win;
    }
  }
}

std::string Seconds(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%10.6f", t);
  return buf;
}

std::string Duration(double s) {
  char buf[32];
  if (s < 0.001)
    std::snprintf(buf, sizeof buf, "%.0f us", s * 1e6);
  else if (s < 1)
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

// A document packet in tcpdump's shape, as far as the document knows it:
// no client port, relative numbers throughout, the window in bytes.
std::string DocumentPacketText(const CaseTimeline& tl, const TimelinePacket& p) {
  const std::string server = (tl.server_addr.empty() ? "server" : tl.server_addr) +
                             (tl.server_port > 0 ? "." + std::to_string(tl.server_port) : "");
  const std::string client = tl.client_addr.empty() ? "client" : tl.client_addr;
  const bool v6 = tl.server_addr.find(':') != std::string::npos;
  std::string text = std::string(v6 ? "IP6 " : "IP ") + (p.s2c ? server : client) + " > " +
                     (p.s2c ? client : server) + ": Flags [" +
                     (p.flags.empty() ? "none" : p.flags) + "]";
  if (p.len > 0 || p.flags.find_first_of("SFR") != std::string::npos) {
    text += ", seq " + std::to_string(p.seq);
    if (p.len > 0) text += ":" + std::to_string(p.seq + p.len);
  }
  if (p.flags.find('.') != std::string::npos) text += ", ack " + std::to_string(p.ack);
  return text + ", win " + std::to_string(p.win) + ", length " + std::to_string(p.len);
}

// The call in which the stack exited or hung (an event with "fault", which
// the classifier's view leaves out), from its start to its end as far as
// known (a hang: when the case gave up on it), and the header's line.
void AddStackFault(const json& case_doc, const classify::CaseView& view, CaseTimeline& tl) {
  if (!view.stack_fault || !view.stack_fault->is_object()) return;
  const json& f = *view.stack_fault;
  const json& kind = FieldOrNull(f, "kind");
  const json& op = FieldOrNull(f, "op");
  const json& detail = FieldOrNull(f, "detail");
  tl.stack_fault = "stack fault: " + std::string(kind == "hung" ? "hung" : "exited") + " in " +
                   (op.is_string() ? op.get<std::string>() : "?") + "()" +
                   (detail.is_string() ? ": " + detail.get<std::string>() : "");
  const json& events = FieldOrNull(case_doc, "events");
  for (bool server : {true, false}) {
    const json& list = FieldOrNull(events, server ? "server" : "client");
    if (!list.is_array()) continue;
    for (const json& e : list) {
      const json& fault = FieldOrNull(e, "fault");
      const json& start = FieldOrNull(e, "t_start");
      if (!fault.is_string() || !start.is_number()) continue;
      const json& end = FieldOrNull(e, "t_end");
      const json& gave_up = FieldOrNull(f, "t");
      const json& step = FieldOrNull(e, "step");
      const json& handle = FieldOrNull(FieldOrNull(e, "args"), "handle");
      TimelineCall c;
      c.server = server;
      c.step = step.is_string() ? step.get<std::string>() : "?";
      c.text = c.step + "(" + (handle.is_string() ? handle.get<std::string>() : "") + ")" +
               (fault == "stack_hung" ? ": never returned, the stack hung"
                                      : ": never returned, the stack exited");
      c.t_start = start.get<double>();
      c.t_end = end.is_number()       ? end.get<double>()
                : gave_up.is_number() ? std::max(c.t_start, gave_up.get<double>())
                                      : c.t_start;
      c.failed = c.fault = true;
      tl.calls.push_back(std::move(c));
    }
  }
}

}  // namespace

const char* SegmentKindName(SegmentKind kind) {
  switch (kind) {
    case SegmentKind::kSyn:
      return "syn";
    case SegmentKind::kData:
      return "data";
    case SegmentKind::kFin:
      return "fin";
    case SegmentKind::kRst:
      return "rst";
    case SegmentKind::kAck:
      return "ack";
    case SegmentKind::kWindowUpdate:
      return "window-update";
    case SegmentKind::kZeroWindowProbe:
      return "zero-window-probe";
  }
  return "ack";
}

namespace {

// "lab impair to_client fin drop for 500 ms at 0.012 s (until 0.519 s)", or
// "... failed: <why>"; what the event lacks is left out.
std::string LabNote(const json& e) {
  auto text = [](const json& j) { return j.is_string() ? " " + j.get<std::string>() : ""; };
  auto at = [](const char* what, const json& t) -> std::string {
    if (!t.is_number()) return "";
    char buf[48];
    std::snprintf(buf, sizeof buf, " %s %.3f s", what, t.get<double>());
    return buf;
  };
  std::string out = "lab" + text(FieldOrNull(e, "step"));
  const json& imp = FieldOrNull(e, "impairment");
  for (const char* key : {"direction", "match", "action"}) out += text(FieldOrNull(imp, key));
  if (const json& d = FieldOrNull(imp, "delay_ms"); d.is_number_integer())
    out += " by " + std::to_string(d.get<int64_t>()) + " ms";
  if (const json& f = FieldOrNull(imp, "for_ms"); f.is_number_integer() && f.get<int64_t>() > 0)
    out += " for " + std::to_string(f.get<int64_t>()) + " ms";
  out += at("at", FieldOrNull(e, "t_start"));
  if (const json& u = FieldOrNull(e, "until"); u.is_number())
    out += " (" + at("until", u).substr(1) + ")";
  if (FieldOrNull(e, "ok") == false) out += " failed:" + text(FieldOrNull(e, "error"));
  return out;
}

}  // namespace

CaseTimeline BuildCaseTimeline(const json& case_doc) {
  const classify::CaseView view = classify::ParseCase(case_doc);
  CaseTimeline tl;
  tl.id = view.id;
  tl.status = view.status;
  tl.error = view.error.value_or("");
  const json& name = FieldOrNull(case_doc, "name");
  if (name.is_string()) tl.name = name.get<std::string>();
  const json& verdict = FieldOrNull(FieldOrNull(case_doc, "verdict"), "status");
  if (verdict.is_string()) tl.verdict = verdict.get<std::string>();
  const json& pcap = FieldOrNull(FieldOrNull(case_doc, "capture"), "pcap");
  if (pcap.is_string()) tl.pcap = pcap.get<std::string>();
  const json& hosts = FieldOrNull(case_doc, "hosts");
  const json& server_addr = FieldOrNull(FieldOrNull(hosts, "server"), "address");
  const json& client_addr = FieldOrNull(FieldOrNull(hosts, "client"), "address");
  const json& port = FieldOrNull(FieldOrNull(hosts, "server"), "port");
  if (server_addr.is_string()) tl.server_addr = server_addr.get<std::string>();
  if (client_addr.is_string()) tl.client_addr = client_addr.get<std::string>();
  if (port.is_number_integer()) tl.server_port = port.get<int>();

  for (bool server : {true, false}) {
    for (const classify::CaseEvent& e : server ? view.server : view.client) {
      if (!e.t_start) continue;
      TimelineCall c;
      c.server = server;
      c.step = e.step;
      c.text = CallText(e);
      c.t_start = *e.t_start;
      c.t_end = e.t_end.value_or(*e.t_start);
      c.failed = e.ret && *e.ret == -1;
      tl.calls.push_back(std::move(c));
    }
  }
  AddStackFault(case_doc, view, tl);
  std::stable_sort(
      tl.calls.begin(), tl.calls.end(),
      [](const TimelineCall& a, const TimelineCall& b) { return a.t_start < b.t_start; });
  for (const classify::CasePacket& p : view.packets)
    tl.packets.push_back(
        {p.index, p.t, p.s2c, p.flags, p.seq, p.ack, p.len, p.win, SegmentKind::kAck, {}, 0, {}});
  ClassifySegments(tl.packets);  // in capture order: the state follows the wire
  std::stable_sort(tl.packets.begin(), tl.packets.end(),
                   [](const TimelinePacket& a, const TimelinePacket& b) { return a.t < b.t; });

  // The classifier's evidence, each item once, where it lies.
  std::set<std::string> seen;
  auto place = [&](const json& e) {
    const json& what = FieldOrNull(e, "what");
    if (!what.is_string()) return;
    const json& claim = FieldOrNull(e, "for");
    const std::string text =
        (claim.is_string() ? claim.get<std::string>() + ": " : "") + what.get<std::string>();
    const json& packet = FieldOrNull(e, "packet");
    if (!seen.insert(packet.dump() + text).second) return;
    if (packet.is_number_integer()) {
      for (TimelinePacket& p : tl.packets)
        if (static_cast<int64_t>(p.index) == packet.get<int64_t>()) {
          p.evidence.push_back(text);
          return;
        }
    }
    const json& t = FieldOrNull(e, "t_case");
    if (t.is_number()) {
      const double at = t.get<double>();
      // The server call nearest the moment (inside it if any, within the
      // slack otherwise), the shortest on a tie: the close() or the queue
      // reading the evidence is about, not the pause around them.
      TimelineCall* best = nullptr;
      double best_gap = 0, best_span = 0;
      for (TimelineCall& c : tl.calls) {
        if (!c.server || c.step == "pause" || c.step == "sleep") continue;
        const double gap = std::max({0.0, c.t_start - at, at - c.t_end});
        const double span = c.t_end - c.t_start;
        if (gap > kCallSlackS) continue;
        if (!best || gap < best_gap || (gap == best_gap && span < best_span)) {
          best = &c;
          best_gap = gap;
          best_span = span;
        }
      }
      if (best) {
        best->evidence.push_back(text);
        return;
      }
    }
    tl.notes.push_back(text);
  };
  const json& outcome = FieldOrNull(case_doc, "outcome");
  if (outcome.is_object()) {
    for (auto& [key, value] : outcome.items()) {
      const json& list = key == "evidence" ? value : FieldOrNull(value, "evidence");
      if (list.is_array())
        for (const json& e : list) place(e);
    }
  }

  // Lab steps (an impairment of the link): a note each, what and when.
  const json& lab = FieldOrNull(FieldOrNull(case_doc, "events"), "lab");
  for (size_t i = 0; lab.is_array() && i < lab.size(); ++i) tl.notes.push_back(LabNote(lab[i]));

  bool any = false;
  auto extend = [&](double a, double b) {
    if (!std::isfinite(a) || !std::isfinite(b)) return;
    tl.t_first = any ? std::min(tl.t_first, a) : a;
    tl.t_last = any ? std::max(tl.t_last, b) : b;
    any = true;
  };
  for (const TimelineCall& c : tl.calls) extend(c.t_start, c.t_end);
  for (const TimelinePacket& p : tl.packets) extend(p.t, p.t);
  return tl;
}

void UseWirePackets(CaseTimeline& tl, const std::vector<WirePacket>& wire) {
  std::vector<TimelinePacket> doc = std::move(tl.packets);
  std::stable_sort(doc.begin(), doc.end(), [](const TimelinePacket& a, const TimelinePacket& b) {
    return a.index < b.index;
  });
  tl.packets.clear();
  auto same = [](const TimelinePacket& d, const WirePacket& w) {
    return d.s2c == w.s2c && d.flags == w.flags && d.len == w.len;
  };
  // A capture on another host (a remote server agent) stamps with that
  // host's clock; the document's times are shifted by its offset. The first
  // document packet's frame gives that shift, applied to every frame.
  double shift = 0;
  for (const WirePacket& w : wire)
    if (!doc.empty() && same(doc.front(), w)) {
      shift = doc.front().t - w.t;
      break;
    }
  size_t next = 0;
  for (const WirePacket& w : wire) {
    TimelinePacket p;
    if (next < doc.size() && same(doc[next], w) && std::fabs(doc[next].t - (w.t + shift)) < 1e-6) {
      p = std::move(doc[next++]);
    } else {
      p.index = std::numeric_limits<size_t>::max();  // no document packet
      p.s2c = w.s2c;
      p.flags = w.flags;
      p.len = w.len;
      p.kind = p.flags.find('R') != std::string::npos   ? SegmentKind::kRst
               : p.flags.find('S') != std::string::npos ? SegmentKind::kSyn
               : p.flags.find('F') != std::string::npos ? SegmentKind::kFin
               : w.len > 0                              ? SegmentKind::kData
                                                        : SegmentKind::kAck;
    }
    p.t = w.t + shift;
    p.frame = w.frame;
    p.wire = w.text;
    tl.packets.push_back(std::move(p));
  }
  for (; next < doc.size(); ++next)
    for (const std::string& e : doc[next].evidence)
      tl.notes.push_back("(document packet " + std::to_string(doc[next].index) +
                         ", not found in the pcap) " + e);
  std::stable_sort(tl.packets.begin(), tl.packets.end(),
                   [](const TimelinePacket& a, const TimelinePacket& b) { return a.t < b.t; });
}

std::string RenderTimelineText(const CaseTimeline& tl) {
  struct Line {
    double t;
    int order;  // at equal times: a call's start, then packets, then its return
    std::string text;
  };
  std::vector<Line> lines;
  for (const TimelineCall& c : tl.calls) {
    const std::string who = c.server ? "server " : "client ";
    const double d = c.t_end - c.t_start;
    bool spans = false;  // a packet went by while the call was in progress
    for (const TimelinePacket& p : tl.packets)
      if (p.t > c.t_start && p.t < c.t_end) spans = true;
    std::string marks;
    for (const std::string& e : c.evidence) marks += "\n" + std::string(30, ' ') + "<== " + e;
    if (!spans) {
      lines.push_back({c.t_start, 0, who + c.text + "  [" + Duration(d) + "]" + marks});
    } else {
      std::string head = c.text.substr(0, c.text.find(" = "));
      lines.push_back({c.t_start, 0, who + head + " ..."});
      lines.push_back(
          {c.t_end, 2, who + "... " + c.text + "  [blocked " + Duration(d) + "]" + marks});
    }
  }
  for (const TimelinePacket& p : tl.packets) {
    std::string text = p.wire.empty() ? DocumentPacketText(tl, p) : p.wire;
    if (p.kind == SegmentKind::kZeroWindowProbe || p.kind == SegmentKind::kWindowUpdate)
      text += "  (" + std::string(SegmentKindName(p.kind)) + ")";
    for (const std::string& e : p.evidence) text += "\n" + std::string(30, ' ') + "<== " + e;
    lines.push_back({p.t, 1, text});
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.t != b.t ? a.t < b.t : a.order < b.order;
  });
  std::string out = "case " + tl.id + " " + tl.name + ": " + (tl.status.empty() ? "?" : tl.status);
  if (!tl.verdict.empty()) out += ", " + tl.verdict;
  if (!tl.error.empty()) out += " (" + tl.error + ")";
  out += "\n";
  if (!tl.stack_fault.empty()) out += tl.stack_fault + "\n";
  if (!tl.pcap.empty()) out += "pcap: " + tl.pcap + "\n";
  if (!tl.packets_from.empty()) out += "packets: " + tl.packets_from + "\n";
  for (const Line& l : lines) out += Seconds(l.t) + "  " + l.text + "\n";
  for (const std::string& n : tl.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace lingerlab
