#include "suite/report/timeline_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "suite/report/junit_report.h"  // XmlEscape

namespace lingerlab {
namespace {

constexpr double kWidth = 960, kLeft = 64, kRight = 16;
constexpr double kServerY = 46, kClientY = 176, kLaneH = 14;  // lane bars' top
constexpr double kHeight = 252;
constexpr double kCharW = 5.6;    // label text width per character (10 px sans)
constexpr double kGapWidth = 44;  // a compressed silence

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::isfinite(v) ? v : 0.0);
  return buf;
}

std::string Secs(double s) {
  char buf[32];
  if (std::fabs(s) < 1)
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

// The piecewise-linear axis: active stretches and the breaks between them.
class Axis {
 public:
  // The moments of every call and packet of `timelines`: one axis for them all.
  explicit Axis(const std::vector<const CaseTimeline*>& timelines) {
    std::vector<double> times;
    for (const CaseTimeline* tl : timelines) {
      for (const TimelineCall& c : tl->calls) {
        times.push_back(c.t_start);
        times.push_back(c.t_end);
      }
      for (const TimelinePacket& p : tl->packets) times.push_back(p.t);
    }
    times.erase(
        std::remove_if(times.begin(), times.end(), [](double t) { return !std::isfinite(t); }),
        times.end());
    std::sort(times.begin(), times.end());
    if (times.empty()) times.push_back(0);
    const double total = times.back() - times.front();
    const double gap = std::max(kMinCompressedGapS, kCompressedGapFraction * total);
    spans_.push_back({times.front(), times.front(), 0, 0, 0});
    for (double t : times) {
      Span& s = spans_.back();
      if (t - s.t1 > gap)
        spans_.push_back({t, t, 1, 0, 0});
      else {
        s.t1 = t;
        ++s.items;
      }
    }
    const double avail =
        (kWidth - kLeft - kRight) - kGapWidth * static_cast<double>(spans_.size() - 1);
    double dur = 0, items = 0;
    for (const Span& s : spans_) {
      dur += s.t1 - s.t0;
      items += s.items;
    }
    double x = kLeft;
    const double n = static_cast<double>(spans_.size());
    for (Span& s : spans_) {
      const double share = 0.5 * (dur > 0 ? (s.t1 - s.t0) / dur : 1.0 / n) +
                           0.5 * (items > 0 ? s.items / items : 1.0 / n);
      s.x0 = x;
      s.w = std::max(8.0, avail * share);
      x += s.w + kGapWidth;
    }
  }

  double X(double t) const {
    if (!std::isfinite(t)) return kLeft;
    for (size_t i = 0; i < spans_.size(); ++i) {
      const Span& s = spans_[i];
      if (t <= s.t1 || i + 1 == spans_.size()) {
        if (t < s.t0) return i == 0 ? s.x0 : s.x0 - kGapWidth / 2;  // inside the break before
        const double f = s.t1 > s.t0 ? (t - s.t0) / (s.t1 - s.t0) : 0.5;
        return s.x0 + std::min(1.0, f) * s.w;
      }
      if (t < spans_[i + 1].t0) return s.x0 + s.w + kGapWidth / 2;  // inside the break after
    }
    return kLeft;
  }

  // Tick labels at each stretch's ends, and the breaks with their length.
  std::string Draw() const {
    std::string out;
    const double y = kHeight - 14;
    out += "<line class=\"axis\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" +
           Num(kWidth - kRight) + "\" y2=\"" + Num(y) + "\"/>";
    double last_tick = -1e9;
    auto tick = [&](double x, double t, const char* anchor) {
      if (x - last_tick < 56) return;  // no overlapping labels
      last_tick = x;
      out += Tick(x, t, anchor);
    };
    for (size_t i = 0; i < spans_.size(); ++i) {
      const Span& s = spans_[i];
      tick(s.x0, s.t0, i == 0 ? "start" : "middle");
      if (i + 1 == spans_.size()) tick(s.x0 + s.w, s.t1, "end");
      if (i + 1 < spans_.size()) {
        const double gx = s.x0 + s.w + kGapWidth / 2;
        const double len = spans_[i + 1].t0 - s.t1;
        out += "<g class=\"break\"><title>" + Secs(len) +
               " with no call starting or ending and no packet: compressed</title>"
               "<rect x=\"" +
               Num(gx - kGapWidth / 2 + 3) + "\" y=\"30\" width=\"" + Num(kGapWidth - 6) +
               "\" height=\"" + Num(kHeight - 50) +
               "\"/>"
               "<path d=\"M" +
               Num(gx - 6) + " " + Num(y - 5) +
               " l4 10 l4 -10 l4 10\"/>"
               "<text x=\"" +
               Num(gx) + "\" y=\"" + Num(kClientY - 12) + "\">+" + Secs(len) + "</text></g>";
      }
    }
    return out;
  }

 private:
  struct Span {
    double t0, t1;
    double items;
    double x0, w;
  };
  static std::string Tick(double x, double t, const char* anchor) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f s", std::fabs(t) < 0.0005 ? 0.0 : t);
    return "<text class=\"tick\" x=\"" + Num(x) + "\" y=\"" + Num(kHeight - 2) +
           "\" text-anchor=\"" + anchor + "\">" + buf + "</text>";
  }
  std::vector<Span> spans_;
};

// Which calls get a label on the figure, most important first (0); the
// others (-1) keep their hover text only.
int LabelPriority(const TimelineCall& c) {
  if (c.step == "close" && c.t_end - c.t_start >= 0.001) return 0;  // a close() that blocked
  if (c.failed) return 1;
  if (c.step == "close" || c.step == "shutdown") return 2;
  if (!c.evidence.empty()) return 3;
  if (c.step == "read" || c.step == "write") return 4;
  return -1;
}

std::string Evidence(const std::vector<std::string>& evidence) {
  std::string out;
  for (const std::string& e : evidence) out += "\n" + e;
  return out;
}

}  // namespace

std::string RenderTimelineSvg(const CaseTimeline& tl) { return RenderTimelineSvg(tl, {&tl}); }

std::string RenderTimelineSvg(const CaseTimeline& tl,
                              const std::vector<const CaseTimeline*>& axis_of) {
  std::vector<const CaseTimeline*> all = axis_of;
  if (std::find(all.begin(), all.end(), &tl) == all.end()) all.push_back(&tl);
  const Axis axis(all);
  std::string out = "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    Num(kWidth) + " " + Num(kHeight) + "\" role=\"img\" aria-label=\"case " +
                    XmlEscape(tl.id) + " timeline\">";
  out += "<text class=\"lane\" x=\"4\" y=\"" + Num(kServerY + 11) + "\">server</text>";
  out += "<text class=\"lane\" x=\"4\" y=\"" + Num(kClientY + 11) + "\">client</text>";
  out += "<line class=\"lane-line\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kServerY + kLaneH) +
         "\" x2=\"" + Num(kWidth - kRight) + "\" y2=\"" + Num(kServerY + kLaneH) + "\"/>";
  out += "<line class=\"lane-line\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kClientY) + "\" x2=\"" +
         Num(kWidth - kRight) + "\" y2=\"" + Num(kClientY) + "\"/>";
  out += axis.Draw();

  // Packets first, so the call bars and their labels sit on top.
  double last_ack_x[2] = {-100, -100};
  double last_label_end = -100, last_label_y = 0;  // FIN/RST labels: the previous one
  for (const TimelinePacket& p : tl.packets) {
    const double x = axis.X(p.t);
    const bool cited = !p.evidence.empty();
    if (p.kind == SegmentKind::kAck && !cited) {
      double& last = last_ack_x[p.s2c ? 1 : 0];
      if (x - last < 3) continue;  // thinned: another ACK is drawn within 3 px
      last = x;
    }
    const double y_from = p.s2c ? kServerY + kLaneH + 2 : kClientY - 2;
    const double y_to = p.s2c ? kClientY - 6 : kServerY + kLaneH + 6;
    char title[160];
    std::snprintf(title, sizeof title, "%.6f s %s [%s] seq %lld ack %lld win %lld len %lld (%s)",
                  p.t, p.s2c ? "server > client" : "client > server", p.flags.c_str(),
                  static_cast<long long>(p.seq), static_cast<long long>(p.ack),
                  static_cast<long long>(p.win), static_cast<long long>(p.len),
                  SegmentKindName(p.kind));
    out += std::string("<g class=\"pkt ") + SegmentKindName(p.kind) + (cited ? " cited" : "") +
           "\"><title>" + XmlEscape(std::string(title) + Evidence(p.evidence)) + "</title>";
    if (cited)
      out += "<circle class=\"halo\" cx=\"" + Num(x) + "\" cy=\"" + Num((y_from + y_to) / 2) +
             "\" r=\"9\"/>";
    out += "<line x1=\"" + Num(x) + "\" y1=\"" + Num(y_from) + "\" x2=\"" + Num(x) + "\" y2=\"" +
           Num(y_to) + "\"/>";
    const double dir = p.s2c ? 1 : -1;
    out += "<path d=\"M" + Num(x - 3.5) + " " + Num(y_to - 5 * dir) + " L" + Num(x) + " " +
           Num(y_to + dir) + " L" + Num(x + 3.5) + " " + Num(y_to - 5 * dir) + "Z\"/>";
    if (p.kind == SegmentKind::kRst || p.kind == SegmentKind::kFin) {
      // Right of the arrow, or left of it where the text would pass the
      // figure's right edge (a FIN at the end of the axis was cut off).
      const bool left = x + 3 + 3 * kCharW > kWidth - 2;
      const double lx0 = left ? x - 3 - 3 * kCharW : x + 3;
      // A label that would overlap the previous one (FINs both ways within
      // a few pixels) goes a line lower.
      double y = (y_from + y_to) / 2 + 4;
      if (lx0 < last_label_end + 2 && std::fabs(y - last_label_y) < 12) y = last_label_y + 12;
      last_label_end = lx0 + 3 * kCharW;
      last_label_y = y;
      out += "<text x=\"" + Num(left ? x - 3 : x + 3) + "\" y=\"" + Num(y) + "\"" +
             (left ? " text-anchor=\"end\"" : "") + ">" +
             (p.kind == SegmentKind::kRst ? "RST" : "FIN") + "</text>";
    }
    out += "</g>";
  }

  for (const TimelineCall& c : tl.calls) {
    const double x0 = axis.X(c.t_start), x1 = std::max(axis.X(c.t_end), x0 + 2);
    const double y = c.server ? kServerY : kClientY + 6;
    const bool cited = !c.evidence.empty();
    char dur[48];
    std::snprintf(dur, sizeof dur, " [%.6f s, took %s]", c.t_start,
                  Secs(c.t_end - c.t_start).c_str());
    out += std::string("<g class=\"call ") + (c.step == "close" ? "close" : "other") +
           (c.failed ? " failed" : "") + (cited ? " cited" : "") + "\"><title>" +
           XmlEscape((c.server ? "server " : "client ") + c.text + dur + Evidence(c.evidence)) +
           "</title><rect x=\"" + Num(x0) + "\" y=\"" + Num(y) + "\" width=\"" + Num(x1 - x0) +
           "\" height=\"" + Num(kLaneH - 6) + "\"/></g>";
  }

  // Labels, most important first, each on the first row above (server) or
  // below (client) its lane where it overlaps no other label; without room
  // a call keeps its hover text only.
  std::vector<const TimelineCall*> labelled;
  for (const TimelineCall& c : tl.calls)
    if (LabelPriority(c) >= 0) labelled.push_back(&c);
  std::stable_sort(labelled.begin(), labelled.end(),
                   [](const TimelineCall* a, const TimelineCall* b) {
                     return LabelPriority(*a) < LabelPriority(*b);
                   });
  std::vector<std::vector<std::pair<double, double>>> rows[2] = {
      std::vector<std::vector<std::pair<double, double>>>(3),
      std::vector<std::vector<std::pair<double, double>>>(2)};
  for (const TimelineCall* c : labelled) {
    std::string label = c->text;
    if (c->t_end - c->t_start >= 0.001) label += " · " + Secs(c->t_end - c->t_start);
    const double w = kCharW * static_cast<double>(label.size());
    const double lx = std::max(2.0, std::min(axis.X(c->t_start), kWidth - kRight - w));
    auto& side = rows[c->server ? 0 : 1];
    for (size_t r = 0; r < side.size(); ++r) {
      bool free = true;
      for (const auto& [a, b] : side[r])
        if (lx < b + 6 && a < lx + w + 6) free = false;
      if (!free) continue;
      side[r].push_back({lx, lx + w});
      const double y = c->server ? kServerY - 4 - 12 * static_cast<double>(r)
                                 : kClientY + 6 + kLaneH + 4 + 12 * static_cast<double>(r);
      out += "<text class=\"label\" x=\"" + Num(lx) + "\" y=\"" + Num(y) + "\">" +
             XmlEscape(label) + "</text>";
      break;
    }
  }
  out += "</svg>";
  return out;
}

}  // namespace lingerlab
