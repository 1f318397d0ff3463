#include "suite/report/markdown_report.h"

#include <sstream>

#include "suite/report/report_model.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// Markdown table cells cannot hold a raw "|".
std::string Cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string Row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& c : cells) out += " " + Cell(c) + " |";
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
  header.insert(header.end(), t.headings.begin(), t.headings.end());
  out << Row(header) << Separator(header.size());
  for (const SummaryRow& row : t.rows) {
    std::vector<std::string> cells = {row.measured ? "**" + row.label + "**" : row.label};
    for (size_t i = 0; i < row.cells.size(); ++i)
      cells.push_back(row.cells[i] + (row.measured ? Marks(row.marks[i]) : ""));
    out << Row(cells);
  }
}

std::string Joined(const std::vector<std::string>& lines, const std::string& empty) {
  if (lines.empty()) return empty;
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "<br>") + l;
  return out;
}

std::string MeasuredText(const ReportModel& m, size_t r, const std::string& id) {
  const MeasuredCell cell = MeasuredCellOf(m, r, id);
  if (cell.status.empty()) return cell.headline;
  if (cell.status == "error") return "error: " + cell.lines.front().text;
  std::string out = "**" + cell.status + "**";
  for (const CellLine& l : cell.lines)
    out += "<br>" + l.text + (l.deviation ? Marks({l.deviation}) : "");
  return out;
}

void Grid(std::ostringstream& out, const ReportModel& m) {
  std::vector<std::string> header = {"#", "Case"};
  for (const ExpectedTable* t : m.tables) header.push_back(t->title);
  for (size_t r = 0; r < m.runs.size(); ++r) header.push_back(RunName(r) + ": " + m.runs[r].label);
  out << Row(header) << Separator(header.size());
  for (const MatrixCase& mc : m.matrix->cases) {
    std::vector<std::string> cells = {mc.id, mc.name};
    for (const ExpectedTable* t : m.tables)
      cells.push_back(Joined(ExpectedLines(t->Find(mc.id)), "—"));
    for (size_t r = 0; r < m.runs.size(); ++r) cells.push_back(MeasuredText(m, r, mc.id));
    out << Row(cells);
  }
}

}  // namespace

std::string RenderMarkdownReport(const Matrix& matrix, const std::vector<ExpectedTable>& all_tables,
                                 const std::vector<json>& results_docs) {
  const ReportModel m = BuildReportModel(matrix, all_tables, results_docs);
  std::ostringstream out;
  out << "# " << (matrix.title.empty() ? matrix.name : matrix.title)
      << ": expected and measured\n\n";
  out << "Expected rows come from the matrix's expected tables";
  if (!m.sources.empty()) out << " (" << m.sources << ")";
  out << "; see doc/expected-format.md.\n";
  if (m.runs.empty()) {
    out << "\nNo results documents were given.\n";
  } else {
    out << "\nMeasured runs:\n\n";
    for (size_t r = 0; r < m.runs.size(); ++r) {
      out << "- **" << RunName(r) << "**: " << m.runs[r].label << "; compared with family `"
          << (m.runs[r].family.empty() ? "unknown" : m.runs[r].family) << "`"
          << (m.runs[r].table ? "" : " (no expected table: nothing marked)") << "\n";
    }
  }

  if (const auto& cases = matrix.summary_tables; cases && m.summary.size() == 2) {
    out << "\n## " << m.summary[0].title << "\n\n";
    SummaryTable(out, m.summary[0]);
    out << "\nCells are `abort_on_close` of cases Listening "
        << CaseIdList(cases->on_zero_listening) << "; Connected "
        << CaseIdList(cases->on_zero_connected) << "; after shutdown() Listening "
        << CaseIdList(cases->on_zero_listening_after_shutdown) << "; Connected "
        << CaseIdList(cases->on_zero_connected_after_shutdown) << ".\n";

    out << "\n## " << m.summary[1].title << "\n\n";
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
         "against the run's family, then each check: ✓ pass, ⚠N deviation.\n\n";
  Grid(out, m);

  out << "\n## Deviations\n\n";
  if (m.deviations.empty()) out << "None.\n";
  for (const ReportDeviation& d : m.deviations) {
    const MatrixCase* mc = matrix.Find(d.case_id);
    out << "- ⚠" << d.number << " " << RunName(d.run) << ", case " << d.case_id << " ("
        << (mc ? mc->name : std::string("?")) << "), `" << d.claim << "`: expected "
        << ClaimValueText(d.expected) << ", observed " << ClaimValueText(d.observed)
        << (d.note.empty() ? "" : " (" + d.note + ")") << ". Source: " << d.source << ".\n";
  }
  return out.str();
}

}  // namespace lingerlab
