#include "suite/report/markdown_report.h"

#include <sstream>

#include "suite/report/report_model.h"
#include "suite/report/run_grid.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// The one escaping rule of this format (doc/security.md): text from
// results files, agents and input files goes through Md() -- or CodeText()
// inside a code span -- before it meets the report's own markup. Md()
// keeps a table row one row ('|', line breaks), keeps HTML out ('<', '>',
// '&': a renderer would run an injected <script> or onerror), and keeps
// links out ('[', ']', and the backslash and backtick that could undo an
// escape or open a code span).
std::string Md(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '[':
        out += "\\[";
        break;
      case ']':
        out += "\\]";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '`':
        out += "\\`";
        break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
  }
  return out;
}

// Text inside a `code span`: literal there, so only what would end the
// span or the line is replaced.
std::string CodeText(const std::string& text) {
  std::string out;
  for (char c : text)
    out += c == '`' ? '\'' : (static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  return out;
}

// Cells are already escaped (Md) or our own markup.
std::string Row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string Separator(size_t columns) {
  std::string out = "|";
  for (size_t i = 0; i < columns; ++i) out += " --- |";
  return out + "\n";
}

// " ⚠1 ⚠4", or "".
std::string Marks(const std::vector<int>& numbers) {
  std::string out;
  for (int n : numbers) out += " ⚠" + std::to_string(n);
  return out;
}

void SummaryTable(std::ostringstream& out, const SummaryTableModel& t) {
  std::vector<std::string> header = {"Platform"};
  for (const std::string& h : t.headings) header.push_back(Md(h));
  out << Row(header) << Separator(header.size());
  for (const SummaryRow& row : t.rows) {
    std::vector<std::string> cells = {row.measured ? "**" + Md(row.label) + "**" : Md(row.label)};
    for (size_t i = 0; i < row.cells.size(); ++i)
      cells.push_back(Md(row.cells[i]) + (row.measured ? Marks(row.marks[i]) : ""));
    out << Row(cells);
  }
}

std::string Joined(const std::vector<std::string>& lines, const std::string& empty) {
  if (lines.empty()) return empty;
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "<br>") + Md(l);
  return out;
}

// A run's cell: the verdict, then every measured claim; a claim that
// differs from the baseline run in bold with the baseline's value.
std::string MeasuredText(const GridCell& cell) {
  if (!cell.present) return cell.changes.empty() ? "—" : "**—** (in one run only)";
  std::string out = cell.status == "error"
                        ? "error: " + Md(cell.error.empty() ? "(no reason)" : cell.error)
                        : "**" + Md(cell.status) + "**";
  for (const ClaimChange& c : cell.changes)
    if (c.what == "verdict" || c.what == "status")
      out += " (≠ " + RunName(0) + ": " + Md(ClaimValueText(c.base)) + ")";
  for (const GridClaim& g : cell.claims) {
    std::string line = Md(g.text);
    if (g.check == "pass") line += " ✓";
    if (g.check == "not-comparable") line += " (not comparable)";
    if (g.check == "skipped") line += " (skipped: other OS)";
    if (g.deviation) line += Marks({g.deviation});
    if (g.changed) line = "**" + line + "** (≠ " + RunName(0) + ": " + Md(g.base) + ")";
    out += "<br>" + line;
  }
  return out;
}

void Grid(std::ostringstream& out, const ReportModel& m, const RunGrid& grid) {
  const bool several = m.runs.size() > 1;
  std::vector<std::string> header = {"#", "Case"};
  for (const ExpectedTable* t : m.tables) header.push_back(Md(t->title));
  for (size_t r = 0; r < m.runs.size(); ++r)
    header.push_back(RunName(r) + ": " + Md(m.runs[r].label));
  if (several) header.push_back("Runs differ");
  out << Row(header) << Separator(header.size());
  for (const GridRow& row : grid.rows) {
    std::vector<std::string> cells = {Md(row.case_id) + (row.Differs() ? " ≠" : ""), Md(row.name)};
    for (const ExpectedTable* t : m.tables)
      cells.push_back(Joined(ExpectedLines(t->Find(row.case_id)), "—"));
    for (const GridCell& cell : row.cells) cells.push_back(MeasuredText(cell));
    if (several) cells.push_back(Joined(PairSummaries(row), ""));
    out << Row(cells);
  }
}

void Stability(std::ostringstream& out, const ReportModel& m) {
  for (size_t r = 0; r < m.runs.size(); ++r) {
    const std::vector<StabilityRow> rows = StabilityRows(m, r);
    if (rows.empty()) continue;
    const int unstable = UnstableCases(rows);
    out << "\n## Stability over repetitions: " << RunName(r) << " (" << m.runs[r].repeat
        << " repetitions)\n\n"
        << Md(kStabilityNote) << "\n\n"
        << unstable << " of " << rows.size() << " case(s) with findings.\n\n";
    out << Row({"#", "Case", "Completed", "Verdict", "Same in every repetition", "Varies"})
        << Separator(6);
    for (const StabilityRow& row : rows)
      out << Row({Md(row.case_id) + (row.findings ? " ⚠" : ""), Md(row.name),
                  std::to_string(row.completed) + "/" + std::to_string(row.repetitions),
                  Md(row.verdicts.empty() ? "—" : row.verdicts), Joined(row.same, "—"),
                  Joined(row.varying, "—")});
  }
}

}  // namespace

std::string RenderMarkdownReport(const Matrix& matrix, const std::vector<ExpectedTable>& all_tables,
                                 const std::vector<json>& results_docs) {
  const ReportModel m = BuildReportModel(matrix, all_tables, results_docs);
  const RunGrid grid = BuildRunGrid(m, results_docs);
  std::ostringstream out;
  out << "# " << Md(matrix.title.empty() ? matrix.name : matrix.title)
      << ": expected and measured\n\n";
  out << "Expected rows come from the matrix's expected tables";
  if (!m.sources.empty()) out << " (" << Md(m.sources) << ")";
  out << "; see doc/expected-format.md.\n";
  if (m.runs.empty()) {
    out << "\nNo results documents were given.\n";
  } else {
    out << "\nMeasured runs:\n\n";
    for (size_t r = 0; r < m.runs.size(); ++r) {
      out << "- **" << RunName(r) << "**: " << Md(m.runs[r].label) << "; compared with family `"
          << CodeText(m.runs[r].family.empty() ? "unknown" : m.runs[r].family) << "`"
          << (m.runs[r].table ? "" : " (no expected table: nothing marked)") << "\n";
    }
  }

  if (const auto& cases = matrix.summary_tables; cases && m.summary.size() == 2) {
    out << "\n## " << Md(m.summary[0].title) << "\n\n";
    SummaryTable(out, m.summary[0]);
    out << "\nCells are `abort_on_close` of cases Listening "
        << CaseIdList(cases->on_zero_listening) << "; Connected "
        << CaseIdList(cases->on_zero_connected) << "; after shutdown() Listening "
        << CaseIdList(cases->on_zero_listening_after_shutdown) << "; Connected "
        << CaseIdList(cases->on_zero_connected_after_shutdown) << ".\n";

    out << "\n## " << Md(m.summary[1].title) << "\n\n";
    SummaryTable(out, m.summary[1]);
    out << "\n\\* " << kWindowsShutdownFootnote << "\n\n"
        << "Cells come from cases " << CaseIdList(cases->on_twenty, " and ")
        << " (`close_blocks`, `close_blocked_s` or `close_ended_by`, "
           "`abort_on_linger_timeout`, `ewouldblock_on_linger_timeout`); the \"*\" from "
           "`close_blocks` of "
        << CaseIdList(cases->on_twenty_after_shutdown, " and ")
        << ". Measured times are at the run's time scale: a linger "
           "time shrinks with it, a kernel constant does not.\n";
  }

  out << "\n## Case by case\n\n"
      << "Family columns list the stated claims: (linger) a time equal to the applied linger, "
         "(kernel) a kernel-constant time, (kernel-timed) true only at time scale 1, (inferred) "
         "read from the article's framing, [OS] only on that OS. Run columns give the verdict "
         "against the run's family, then every measured claim: ✓ pass, ⚠N deviation.";
  if (m.runs.size() > 1) {
    out << " A claim in bold differs from " << RunName(0) << " (its value in brackets) exactly "
        << "where `lingerlab diff` reports a change, with or without an expected table; ≠ "
           "marks a case where any two runs differ, named in the last column.";
  }
  out << "\n\n";
  if (m.runs.size() > 1) {
    for (size_t r = 1; r < grid.changed_vs_base.size(); ++r)
      out << "- " << RunName(r) << " vs " << RunName(0) << ": " << grid.changed_vs_base[r].size()
          << " of " << grid.rows.size() << " case(s) differ"
          << (grid.changed_vs_base[r].empty() ? "" : ": " + CaseIdList(grid.changed_vs_base[r]))
          << "\n";
  }
  out << "\n";
  Grid(out, m, grid);
  Stability(out, m);

  out << "\n## Deviations\n\n";
  if (m.deviations.empty()) out << "None.\n";
  for (const ReportDeviation& d : m.deviations) {
    const MatrixCase* mc = matrix.Find(d.case_id);
    out << "- ⚠" << d.number << " " << RunName(d.run) << ", case " << Md(d.case_id) << " ("
        << Md(mc ? mc->name : std::string("?")) << "), `" << CodeText(d.claim) << "`: expected "
        << Md(ClaimValueText(d.expected)) << ", observed " << Md(ClaimValueText(d.observed))
        << (d.note.empty() ? "" : " (" + Md(d.note) + ")") << ". Source: " << Md(d.source) << ".\n";
  }
  return out.str();
}

}  // namespace lingerlab
