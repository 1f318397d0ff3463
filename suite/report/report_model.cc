#include "suite/report/report_model.h"

#include <algorithm>
#include <cstdio>

namespace lingerlab {
namespace {

using nlohmann::json;

// Tables in the article's family order, then any others by name.
std::vector<const ExpectedTable*> InArticleOrder(const std::vector<ExpectedTable>& tables) {
  std::vector<const ExpectedTable*> out;
  for (const std::string& family : ArticleFamilies())
    for (const ExpectedTable& t : tables)
      if (t.family == family) out.push_back(&t);
  for (const ExpectedTable& t : tables)
    if (std::find(out.begin(), out.end(), &t) == out.end()) out.push_back(&t);
  return out;
}

// All deviations of all runs, numbered in run, matrix-case, check order.
std::vector<ReportDeviation> CollectDeviations(const Matrix& matrix,
                                               const std::vector<RunView>& runs) {
  std::vector<ReportDeviation> out;
  for (size_t r = 0; r < runs.size(); ++r) {
    for (const MatrixCase& mc : matrix.cases) {
      auto it = runs[r].cases.find(mc.id);
      if (it == runs[r].cases.end() || !it->second.verdict.is_object()) continue;
      for (const json& check : it->second.verdict["checks"]) {
        if (check["result"] != "deviation") continue;
        out.push_back({static_cast<int>(out.size() + 1), r, mc.id,
                       check["claim"].get<std::string>(), check["expected"], check["observed"],
                       check["source"].get<std::string>(), check.value("note", "")});
      }
    }
  }
  return out;
}

// The deviations of run `r` among a cell's inputs.
std::vector<int> Marks(const std::vector<ReportDeviation>& deviations, size_t r,
                       const std::vector<std::pair<std::string, std::string>>& inputs) {
  std::vector<int> out;
  for (const ReportDeviation& d : deviations) {
    if (d.run != r) continue;
    for (const auto& [id, claim] : inputs) {
      if (d.case_id == id && d.claim == claim) {
        out.push_back(d.number);
        break;
      }
    }
  }
  return out;
}

using RowFn = std::vector<ArticleCell> (*)(const CaseClaims&, const SummaryTableCases&);

SummaryTableModel SummaryTable(const ReportModel& m, const std::vector<CaseClaims>& run_claims,
                               std::string title, const std::vector<std::string>& headings,
                               const SummaryTableCases& cases, RowFn row_of) {
  SummaryTableModel t{std::move(title), headings, {}};
  for (const ExpectedTable* table : m.tables) {
    SummaryRow row{table->title, false, 0, {}, {}};
    for (const ArticleCell& c : row_of(ClaimsOfTable(*table), cases)) {
      row.cells.push_back(c.text);
      row.marks.emplace_back();
    }
    t.rows.push_back(std::move(row));
  }
  for (size_t r = 0; r < m.runs.size(); ++r) {
    SummaryRow row{RunName(r) + ": " + m.runs[r].label, true, r, {}, {}};
    for (const ArticleCell& c : row_of(run_claims[r], cases)) {
      row.cells.push_back(c.text);
      row.marks.push_back(Marks(m.deviations, r, c.inputs));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

std::string RunName(size_t index) { return "R" + std::to_string(index + 1); }

std::vector<std::string> ExpectedLines(const std::vector<Expectation>* expectations) {
  std::vector<std::string> out;
  if (!expectations) return out;
  for (const Expectation& e : *expectations) {
    std::string line = e.claim + "=" + ClaimValueText(e.value);
    if (!e.time_basis.empty()) line += " (" + e.time_basis + ")";
    if (e.depends_on_kernel_time) line += " (kernel-timed)";
    if (e.inferred) line += " (inferred)";
    if (!e.only.empty()) {
      std::string list;
      for (const std::string& os : e.only) list += (list.empty() ? "" : ", ") + os;
      line += " [" + list + "]";
    }
    out.push_back(line);
  }
  return out;
}

MeasuredCell MeasuredCellOf(const ReportModel& m, size_t r, const std::string& id) {
  MeasuredCell cell;
  auto it = m.runs[r].cases.find(id);
  if (it == m.runs[r].cases.end()) {
    cell.headline = "—";
    return cell;
  }
  const RunCase& rc = it->second;
  if (rc.status == "error") {
    cell.status = "error";
    cell.lines.push_back({rc.error.empty() ? "(no reason)" : rc.error, 0});
    return cell;
  }
  if (!rc.verdict.is_object()) {
    cell.headline = rc.claims.empty() ? "(no claims)" : "(no expected table)";
    return cell;
  }
  cell.status = rc.verdict["status"].get<std::string>();
  for (const json& check : rc.verdict["checks"]) {
    const std::string claim = check["claim"].get<std::string>();
    const std::string result = check["result"].get<std::string>();
    CellLine line;
    if (result == "not-observed") {
      line.text = claim + ": not observed";
    } else if (result == "skipped") {
      line.text = claim + ": skipped (other OS)";
    } else {
      line.text = claim + "=" + ClaimValueText(check["observed"]);
      if (result == "pass") line.text += " ✓";
      if (result == "not-comparable") line.text += " (not comparable)";
      if (result == "deviation") {
        const std::vector<int> marks = Marks(m.deviations, r, {{id, claim}});
        if (!marks.empty()) line.deviation = marks.front();
      }
    }
    cell.lines.push_back(std::move(line));
  }
  // A stack fault (compare.h): the reason the case's claims stop.
  if (const json& reason = rc.verdict.value("reason", json()); reason.is_string())
    cell.lines.push_back({reason.get<std::string>(), 0});
  return cell;
}

const char* const kStabilityNote =
    "Every case ran once per repetition in the one run. Claims that gave the same value in every "
    "completed repetition are listed with it; a varying claim shows each value and how many "
    "repetitions gave it (numbers as a min–max range). (race): a documented race, the same by "
    "class as `lingerlab diff` compares (bytes before a RST as none/some/all of the payload; a "
    "close() that returned at once, immediate or peer_acked); (within …): a duration within the "
    "comparison's tolerance. FINDING: a claim the published behaviour decides, or the verdict, "
    "differed between repetitions; `lingerlab check` counts the case as unstable and exits 1.";

int UnstableCases(const std::vector<StabilityRow>& rows) {
  int n = 0;
  for (const StabilityRow& row : rows) n += row.findings > 0 ? 1 : 0;
  return n;
}

std::vector<StabilityRow> StabilityRows(const ReportModel& m, size_t r) {
  std::vector<StabilityRow> rows;
  const RunView& run = m.runs[r];
  if (run.repeat <= 1) return rows;
  for (const MatrixCase& mc : m.matrix->cases) {
    auto it = run.stability.find(mc.id);
    if (it == run.stability.end()) continue;
    const CaseStability& s = it->second;
    StabilityRow row;
    row.case_id = mc.id;
    row.name = mc.name;
    row.repetitions = s.repetitions;
    row.completed = s.completed;
    for (const ValueCount& v : s.verdicts)
      row.verdicts +=
          (row.verdicts.empty() ? "" : ", ") +
          (v.value.is_string() && !v.value.get<std::string>().empty() ? v.value.get<std::string>()
                                                                      : std::string("no verdict")) +
          " " + std::to_string(v.count) + "/" + std::to_string(s.completed);
    for (const ClaimStability& c : s.claims)
      if (!c.varies) row.same.push_back(c.claim + "=" + ClaimValueText(c.values.front().value));
    row.varying = VariationLines(s);
    row.findings = s.Findings();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string CaseIdList(const std::vector<std::string>& ids, const std::string& sep) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "#" : sep + "#") + id;
  return out;
}

ReportModel BuildReportModel(const Matrix& matrix, const std::vector<ExpectedTable>& all_tables,
                             const std::vector<json>& results_docs) {
  ReportModel m;
  m.matrix = &matrix;
  m.tables = InArticleOrder(all_tables);
  std::vector<CaseClaims> run_claims;
  for (const json& doc : results_docs) {
    m.runs.push_back(MakeRunView(doc, all_tables));
    run_claims.push_back(ClaimsOfResults(doc));
  }
  m.deviations = CollectDeviations(matrix, m.runs);
  // Each distinct document once, in table order (the article's families
  // share one; lwip's is lwIP's source).
  for (const ExpectedTable* t : m.tables) {
    if (!t->source.contains("document") || !t->source["document"].is_string()) continue;
    const std::string doc = t->source["document"].get<std::string>();
    if (m.sources == doc || m.sources.find(doc + "; ") == 0 ||
        m.sources.find("; " + doc) != std::string::npos)
      continue;
    m.sources += (m.sources.empty() ? "" : "; ") + doc;
  }
  if (const auto& cases = matrix.summary_tables) {
    m.summary.push_back(SummaryTable(m, run_claims, "Effect of SO_LINGER set to {on, 0}",
                                     OnZeroHeadings(), *cases, &OnZeroRow));
    m.summary.push_back(SummaryTable(m, run_claims, "Effect of SO_LINGER set to {on, 20}",
                                     OnTwentyHeadings(), *cases, &OnTwentyRow));
  }
  return m;
}

}  // namespace lingerlab
