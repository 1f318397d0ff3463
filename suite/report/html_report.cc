#include "suite/report/html_report.h"

#include <map>
#include <sstream>

#include "agents/base/text_rules.h"
#include "suite/report/case_timeline.h"
#include "suite/report/junit_report.h"  // XmlEscape
#include "suite/report/report_model.h"
#include "suite/report/run_grid.h"
#include "suite/report/timeline_svg.h"

namespace lingerlab {
namespace {

using nlohmann::json;

std::string H(const std::string& text) { return XmlEscape(text); }

// Links go only to relative paths under a run's directory (doc/security.md):
// capture.pcap comes from a results file, and "javascript:..." there would
// run script when clicked.
constexpr size_t kMaxLinkedPathBytes = 512;

// A relative URL for `path`: "./" in front when its first segment holds a
// ':', which a browser would read as a scheme.
std::string RelativeHref(const std::string& path) {
  const size_t colon = path.find(':');
  return colon != std::string::npos && colon < path.find('/') ? "./" + path : path;
}

// The page's only styling: system fonts, nothing fetched.
constexpr const char* kStyle = R"css(
:root { --ink:#1d2327; --muted:#5f6b73; --line:#d5dbe0; --bg:#fff; --pass:#1a7f37; --dev:#b42318;
        --nc:#8a6d00; --none:#5f6b73; --err:#7a1fa2; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--bg); margin: 0 auto; max-width: 1280px; padding: 16px 24px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px;
  border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 14px; margin: 0 0 4px; }
p.note, .muted { color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0; width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
tr.measured td { background: #f7fbff; font-weight: 600; }
td.dev, span.dev { color: var(--dev); }
a.mark { color: var(--dev); font-weight: 700; text-decoration: none; margin-left: 3px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; font-weight: 600;
         color: #fff; background: var(--none); }
.badge.pass { background: var(--pass); } .badge.deviation { background: var(--dev); }
.badge.not-comparable { background: var(--nc); } .badge.error { background: var(--err); }
.grid { table-layout: fixed; } .grid td { overflow-wrap: anywhere; } .grid th.id { width: 40px; }
.grid th.name { width: 150px; } .grid th.pairs { width: 170px; } .grid .lines { font-size: 12px; margin-top: 2px; }
.grid details { font-size: 12px; color: var(--muted); margin-top: 2px; }
section.case { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 10px 0; }
section.case .meta { font-size: 12px; color: var(--muted); margin: 2px 0 0; }
section.case ul { margin: 4px 0 0 18px; padding: 0; font-size: 12px; }
svg.timeline { width: 100%; height: auto; display: block; font: 10px system-ui, sans-serif; }
svg.timeline text { fill: var(--ink); } svg.timeline text.tick, svg.timeline text.lane { fill: var(--muted); }
svg.timeline .lane-line, svg.timeline .axis { stroke: #9aa5ad; stroke-width: 1; }
svg.timeline .break rect { fill: #f1f3f5; } svg.timeline .break path { stroke: #9aa5ad; fill: none; }
svg.timeline .break text { fill: var(--muted); text-anchor: middle; }
svg.timeline .call rect { fill: #6b7c8a; } svg.timeline .call.close rect { fill: #0b5cad; }
svg.timeline .call.failed rect { fill: var(--dev); }
svg.timeline .pkt line { stroke-width: 1.2; } svg.timeline .pkt path { stroke: none; }
svg.timeline .pkt.data line { stroke: #2f6fdb; } svg.timeline .pkt.data path { fill: #2f6fdb; }
svg.timeline .pkt.ack line { stroke: #b8c2ca; } svg.timeline .pkt.ack path { fill: #b8c2ca; }
svg.timeline .pkt.syn line { stroke: #6b7c8a; } svg.timeline .pkt.syn path { fill: #6b7c8a; }
svg.timeline .pkt.fin line { stroke: var(--pass); stroke-width: 2; } svg.timeline .pkt.fin path { fill: var(--pass); }
svg.timeline .pkt.rst line { stroke: var(--dev); stroke-width: 2.5; } svg.timeline .pkt.rst path { fill: var(--dev); }
svg.timeline .pkt.window-update line { stroke: #8e44ad; } svg.timeline .pkt.window-update path { fill: #8e44ad; }
svg.timeline .pkt.zero-window-probe line { stroke: #d97706; stroke-dasharray: 3 2; } svg.timeline .pkt.zero-window-probe path { fill: #d97706; }
svg.timeline .halo { fill: #ffd33d; fill-opacity: .55; stroke: #e3a008; }
svg.timeline .call.cited rect { stroke: #e3a008; stroke-width: 2; }
.legend span { margin-right: 12px; font-size: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 4px; }
.grid td.run.changed { background: #fff4e5; outline: 2px solid #e3a008; outline-offset: -2px; }
.grid td.run.base { background: #f3f5f7; }
.grid div.chg { text-decoration: underline #e3a008 2px; font-weight: 600; }
.grid td.pairs { font-size: 12px; } .grid tr.differs td:first-child { font-weight: 700; }
.neq { color: #b45309; font-weight: 700; } .was { color: #b45309; font-size: 11px; font-weight: 400; }
p.diffsum { margin: 2px 0; } .small { font-size: 12px; }
section.case.differs { border-color: #e3a008; }
figure.run-tl { margin: 6px 0 10px; break-inside: avoid; }
figure.run-tl figcaption { font-size: 12px; margin-bottom: 2px; }
figure.run-tl.changed figcaption b { color: #b45309; }
/* Printed, nothing is left to hover or to click open: <details> are shown
   open, their summaries as headings, links as text. */
@media print { body { max-width: none; padding: 0; font-size: 11px; } a { color: inherit; }
  a[href^="#"] { text-decoration: none; }
  details::details-content { content-visibility: visible; display: block; }
  details > summary { list-style: none; font-weight: 600; }
  .grid td, .grid th { padding: 2px 3px; } .grid .lines, .grid details { font-size: 10px; }
  tr { break-inside: avoid; } thead { display: table-header-group; }
  h2 { break-after: avoid; } section.case h3 { break-after: avoid; }
  figure.run-tl { break-inside: avoid; } }
)css";

std::string Badge(const std::string& status) {
  const std::string s = status.empty() ? "none" : status;
  return "<span class=\"badge " + H(s) + "\">" + H(s) + "</span>";
}

std::string Mark(int n) {
  return "<a class=\"mark\" href=\"#dev-" + std::to_string(n) + "\">⚠" + std::to_string(n) + "</a>";
}

std::string TimelineId(size_t run, const std::string& id) {
  return "tl-" + RunName(run) + "-" + id;
}

void SummaryTable(std::ostringstream& out, const SummaryTableModel& t) {
  out << "<h2>" << H(t.title) << "</h2>\n<table class=\"summary\"><thead><tr><th>Platform</th>";
  for (const std::string& h : t.headings) out << "<th>" << H(h) << "</th>";
  out << "</tr></thead><tbody>\n";
  for (const SummaryRow& row : t.rows) {
    out << "<tr" << (row.measured ? " class=\"measured\"" : "") << "><td>" << H(row.label)
        << "</td>";
    for (size_t i = 0; i < row.cells.size(); ++i) {
      const bool dev = row.measured && !row.marks[i].empty();
      out << "<td" << (dev ? " class=\"dev\"" : "") << ">" << H(row.cells[i]);
      if (row.measured)
        for (int n : row.marks[i]) out << Mark(n);
      out << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

// One claim line of a grid cell: ✓ pass, ⚠N deviation, and where it
// differs from the baseline run, the baseline's value.
void GridClaimLine(std::ostringstream& out, const GridClaim& g) {
  std::string cls = g.changed ? "chg" : "";
  if (g.deviation) cls += cls.empty() ? "dev" : " dev";
  out << "<div" << (cls.empty() ? "" : " class=\"" + cls + "\"") << ">" << H(g.text);
  if (g.check == "pass") out << " ✓";
  if (g.check == "not-comparable") out << " (not comparable)";
  if (g.check == "skipped") out << " (skipped: other OS)";
  if (g.deviation) out << Mark(g.deviation);
  if (g.changed) out << " <span class=\"was\">" << RunName(0) << ": " << H(g.base) << "</span>";
  out << "</div>";
}

void Grid(std::ostringstream& out, const ReportModel& m, const RunGrid& grid) {
  out << "<h2 id=\"grid\">Case by case</h2>\n<p class=\"note\">Each cell: the verdict against "
         "the run's family, then every measured claim (✓ pass, ⚠N deviation, linked below). "
      << (m.runs.size() > 1
              ? "A cell outlined and shaded differs from " + RunName(0) +
                    " exactly where <code>lingerlab diff</code> reports a change, whether or "
                    "not an expected table covers the case; its changed claims are underlined "
                    "with " +
                    RunName(0) + "'s value. The last column names every pair of runs that differ. "
              : std::string())
      << "The run's expected claims open under the cell; the case's timelines are further "
         "down.</p>\n";
  for (size_t r = 1; r < grid.changed_vs_base.size(); ++r) {
    const std::vector<std::string>& ids = grid.changed_vs_base[r];
    out << "<p class=\"diffsum\" id=\"diffsum-" << RunName(r) << "\"><b>" << RunName(r) << " vs "
        << RunName(0) << "</b>: " << ids.size() << " of " << grid.rows.size() << " case(s) differ"
        << (ids.empty() ? "" : ": " + H(CaseIdList(ids))) << "</p>\n";
  }
  out << "<table class=\"grid\"><thead><tr><th class=\"id\">#</th><th class=\"name\">Case</th>";
  for (size_t r = 0; r < m.runs.size(); ++r)
    out << "<th>" << H(RunName(r) + ": " + m.runs[r].label) << "</th>";
  if (m.runs.size() > 1) out << "<th class=\"pairs\">Runs differ</th>";
  out << "</tr></thead><tbody>\n";
  for (const GridRow& row : grid.rows) {
    out << "<tr id=\"row-" << H(row.case_id) << "\"" << (row.Differs() ? " class=\"differs\"" : "")
        << "><td>" << H(row.case_id) << (row.Differs() ? " <span class=\"neq\">≠</span>" : "")
        << "</td><td class=\"case\">" << H(row.name) << "</td>";
    for (size_t r = 0; r < row.cells.size(); ++r) {
      const GridCell& cell = row.cells[r];
      const bool changed = !cell.changes.empty();
      out << "<td id=\"cell-" << RunName(r) << "-" << H(row.case_id) << "\" class=\"run"
          << (changed ? " changed" : (r == 0 && row.Differs() ? " base" : "")) << "\">";
      if (!cell.present) {
        out << "—";
      } else {
        out << Badge(cell.status);
        for (const ClaimChange& c : cell.changes)
          if (c.what == "verdict" || c.what == "status")
            out << " <span class=\"was\">" << RunName(0) << ": " << H(ClaimValueText(c.base))
                << "</span>";
        out << " <a href=\"#" << TimelineId(r, row.case_id) << "\">timeline</a>";
        if (!cell.error.empty()) out << "<div class=\"lines\">" << H(cell.error) << "</div>";
        out << "<div class=\"lines\">";
        if (cell.claims.empty() && cell.error.empty()) out << "(no claims)";
        for (const GridClaim& g : cell.claims) GridClaimLine(out, g);
        out << "</div>";
      }
      if (changed)
        for (const ClaimChange& c : cell.changes)
          if (c.what == "case") out << "<div class=\"chg\">in one run only</div>";
      if (const ExpectedTable* t = m.runs[r].table) {
        const std::vector<std::string> lines = ExpectedLines(t->Find(row.case_id));
        out << "<details class=\"expected\"><summary>expected (" << H(t->title) << ")</summary>";
        if (lines.empty()) out << "nothing stated";
        for (const std::string& l : lines) out << "<div>" << H(l) << "</div>";
        out << "</details>";
      } else {
        out << "<div class=\"muted small\">no expected table</div>";
      }
      out << "</td>";
    }
    if (m.runs.size() > 1) {
      out << "<td class=\"pairs\">";
      for (const std::string& line : PairSummaries(row)) out << "<div>" << H(line) << "</div>";
      out << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

std::map<std::string, const json*> CasesById(const json& doc) {
  std::map<std::string, const json*> out;
  if (doc.is_object() && doc.contains("cases") && doc["cases"].is_array())
    for (const json& c : doc["cases"])
      if (c.is_object() && c.contains("id") && c["id"].is_string())
        out.emplace(c["id"].get<std::string>(), &c);  // a --repeat run: its first repetition
  return out;
}

// The evidence behind a timeline's marks, as a list (printed: the marks'
// hover text is not).
void Evidence(std::ostringstream& out, const CaseTimeline& tl) {
  std::vector<std::string> evidence;
  for (const TimelineCall& c : tl.calls)
    evidence.insert(evidence.end(), c.evidence.begin(), c.evidence.end());
  for (const TimelinePacket& p : tl.packets)
    evidence.insert(evidence.end(), p.evidence.begin(), p.evidence.end());
  evidence.insert(evidence.end(), tl.notes.begin(), tl.notes.end());
  if (evidence.empty()) return;
  out << "<details class=\"evidence\"><summary>evidence (" << evidence.size() << ")</summary><ul>";
  for (const std::string& e : evidence) out << "<li>" << H(e) << "</li>";
  out << "</ul></details>";
}

// Per case, its timeline in every run, stacked on one shared time axis and
// each labelled with its run's environment.
void Timelines(std::ostringstream& out, const ReportModel& m, const RunGrid& grid,
               const std::vector<json>& docs, const std::vector<std::string>& pcap_dirs) {
  out << "<h2 id=\"timelines\">Timelines</h2>\n<p class=\"note legend\">One block per case, "
         "its runs stacked on one time axis (the same time is at the same place in each). "
         "Server above, client "
         "below; socket calls as bars (close() in blue, a failed call in red), packets as "
         "arrows: <span><i style=\"background:#2f6fdb\"></i>data</span><span><i "
         "style=\"background:#1a7f37\"></i>FIN</span><span><i "
         "style=\"background:#b42318\"></i>RST</span><span><i "
         "style=\"background:#8e44ad\"></i>window update</span><span><i "
         "style=\"background:#d97706\"></i>zero-window probe</span><span><i "
         "style=\"background:#b8c2ca\"></i>ACK (thinned)</span><span><i "
         "style=\"background:#ffd33d\"></i>evidence behind a verdict</span>. Grey bands are "
         "silences compressed to a fixed width, with their length. The evidence is listed "
         "under each figure; a mark's packet details (hover) are in the pcap and "
         "<code>lingerlab show</code>.</p>\n";
  std::vector<std::map<std::string, const json*>> cases;
  for (const json& doc : docs) cases.push_back(CasesById(doc));
  for (const GridRow& row : grid.rows) {
    std::vector<CaseTimeline> tls(m.runs.size());
    std::vector<const CaseTimeline*> axis;
    for (size_t r = 0; r < m.runs.size(); ++r) {
      auto it = cases[r].find(row.case_id);
      if (it == cases[r].end()) continue;
      tls[r] = BuildCaseTimeline(*it->second);
      axis.push_back(&tls[r]);
    }
    if (axis.empty()) continue;
    out << "<section class=\"case" << (row.Differs() ? " differs" : "") << "\" id=\"case-"
        << H(row.case_id) << "\"><h3>" << H(row.case_id) << " " << H(row.name)
        << (row.Differs() ? " <span class=\"neq\">≠ runs differ</span>" : "") << "</h3>\n";
    for (size_t r = 0; r < m.runs.size(); ++r) {
      if (!cases[r].count(row.case_id)) continue;
      const CaseTimeline& tl = tls[r];
      const GridCell& cell = row.cells[r];
      out << "<figure class=\"run-tl" << (cell.changes.empty() ? "" : " changed") << "\" id=\""
          << TimelineId(r, row.case_id) << "\"><figcaption><b>" << RunName(r) << "</b> · "
          << H(RunEnvironmentLabel(docs[r])) << " "
          << Badge(cell.status.empty() ? tl.status : cell.status);
      if (!cell.changes.empty())
        out << " <span class=\"was\">differs from " << RunName(0) << "</span>";
      out << "</figcaption>\n" << RenderTimelineSvg(tl, axis) << "\n<p class=\"meta\">";
      if (IsSafeRelativePath(tl.pcap, kMaxLinkedPathBytes))
        out << "<a href=\"" << H(RelativeHref(pcap_dirs[r] + tl.pcap)) << "\">" << H(tl.pcap)
            << "</a>";
      else if (!tl.pcap.empty())
        out << "pcap (not linked: not a relative path under the run) " << H(tl.pcap);
      else
        out << "no pcap";
      if (!tl.error.empty()) out << " · error: " << H(tl.error);
      if (!tl.stack_fault.empty()) out << " · " << H(tl.stack_fault);
      out << "</p>";
      Evidence(out, tl);
      out << "</figure>\n";
    }
    out << "</section>\n";
  }
}

void Stability(std::ostringstream& out, const ReportModel& m) {
  for (size_t r = 0; r < m.runs.size(); ++r) {
    const std::vector<StabilityRow> rows = StabilityRows(m, r);
    if (rows.empty()) continue;
    const int unstable = UnstableCases(rows);
    out << "<h2 id=\"stability-" << r + 1 << "\">Stability over repetitions: " << RunName(r) << " ("
        << m.runs[r].repeat << " repetitions)</h2>\n<p class=\"note\">" << H(kStabilityNote)
        << "</p>\n<p>" << unstable << " of " << rows.size()
        << " case(s) with findings.</p>\n<table class=\"grid\"><thead><tr><th>#</th><th>Case</th>"
           "<th>Completed</th><th>Verdict</th><th>Same in every repetition</th><th>Varies</th>"
           "</tr></thead><tbody>\n";
    for (const StabilityRow& row : rows) {
      out << "<tr><td" << (row.findings ? " class=\"dev\"" : "") << ">" << H(row.case_id)
          << (row.findings ? " ⚠" : "") << "</td><td class=\"case\">" << H(row.name) << "</td><td>"
          << row.completed << "/" << row.repetitions << "</td><td>"
          << H(row.verdicts.empty() ? "—" : row.verdicts) << "</td><td>";
      for (const std::string& l : row.same) out << "<div>" << H(l) << "</div>";
      out << "</td><td>";
      if (row.varying.empty()) out << "—";
      for (const std::string& l : row.varying) {
        const bool finding = l.size() >= 7 && l.compare(l.size() - 7, 7, "FINDING") == 0;
        out << "<div" << (finding ? " class=\"dev\"" : "") << ">" << H(l) << "</div>";
      }
      out << "</td></tr>\n";
    }
    out << "</tbody></table>\n";
  }
}

}  // namespace

std::string RenderHtmlReport(const Matrix& matrix, const std::vector<ExpectedTable>& tables,
                             const std::vector<json>& docs,
                             const std::vector<std::string>& pcap_dirs_in) {
  const ReportModel m = BuildReportModel(matrix, tables, docs);
  const RunGrid grid = BuildRunGrid(m, docs);
  std::vector<std::string> pcap_dirs = pcap_dirs_in;
  pcap_dirs.resize(docs.size());
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>"
      << H(matrix.title.empty() ? matrix.name : matrix.title)
      << ": expected and measured</title><style>" << kStyle << "</style></head><body>\n"
      << "<h1>" << H(matrix.title.empty() ? matrix.name : matrix.title)
      << ": expected and measured</h1>\n<p class=\"note\">Expected rows come from "
         "<code>matrix/expected/*.json</code>"
      << (m.sources.empty() ? "" : " (" + H(m.sources) + ")")
      << "; each value names its source. Measured rows and columns are the results files "
         "below.</p>\n";
  if (m.runs.empty()) {
    out << "<p>No results files were given.</p>\n";
  } else {
    out << "<ul class=\"runs\">";
    for (size_t r = 0; r < m.runs.size(); ++r) {
      std::map<std::string, int> counts;
      for (const auto& [id, rc] : m.runs[r].cases)
        ++counts[rc.status == "error"     ? "error"
                 : rc.verdict.is_object() ? rc.verdict.value("status", "none")
                                          : "none"];
      out << "<li><b>" << RunName(r) << "</b>: " << H(m.runs[r].label)
          << "; compared with family <code>"
          << H(m.runs[r].family.empty() ? "unknown" : m.runs[r].family) << "</code>"
          << (m.runs[r].table ? "" : " (no expected table: nothing marked)") << " —";
      for (const auto& [status, n] : counts) out << " " << Badge(status) << " " << n;
      out << "</li>";
    }
    out << "</ul>\n";
  }
  for (const SummaryTableModel& t : m.summary) SummaryTable(out, t);
  if (!m.summary.empty())
    out << "<p class=\"note\">* " << H(kWindowsShutdownFootnote)
        << " Measured times are at the run's time scale: a linger time shrinks with it, a "
           "kernel constant does not.</p>\n";
  Grid(out, m, grid);
  Stability(out, m);
  Timelines(out, m, grid, docs, pcap_dirs);
  out << "<h2 id=\"deviations\">Deviations</h2>\n";
  if (m.deviations.empty())
    out << "<p>None.</p>\n";
  else
    out << "<ol class=\"deviations\">";
  for (const ReportDeviation& d : m.deviations) {
    const MatrixCase* mc = matrix.Find(d.case_id);
    out << "<li id=\"dev-" << d.number << "\" value=\"" << d.number << "\">" << RunName(d.run)
        << ", case <a href=\"#" << TimelineId(d.run, d.case_id) << "\">" << H(d.case_id) << " "
        << H(mc ? mc->name : std::string("?")) << "</a>, <code>" << H(d.claim)
        << "</code>: expected " << H(ClaimValueText(d.expected)) << ", observed "
        << H(ClaimValueText(d.observed)) << (d.note.empty() ? "" : " (" + H(d.note) + ")")
        << ". Source: " << H(d.source) << ".</li>\n";
  }
  if (!m.deviations.empty()) out << "</ol>\n";
  out << "</body></html>\n";
  return out.str();
}

}  // namespace lingerlab
