#include "suite/report/markdown_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "suite/expect/article_tables.h"
#include "suite/expect/run_view.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// A check that deviated, numbered in the order the report lists them.
struct Deviation {
  int number;
  size_t run;
  std::string case_id, claim;
  json expected, observed;
  std::string source, note;
};

std::string Value(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v.get<double>());
    return buf;
  }
  return v.dump();
}

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

// Tables in the article's family order, then any others by name.
std::vector<const ExpectedTable*> InArticleOrder(const std::vector<ExpectedTable>& tables) {
  std::vector<const ExpectedTable*> out;
  for (const std::string& family : ArticleFamilies()) {
    for (const ExpectedTable& t : tables) {
      if (t.family == family) out.push_back(&t);
    }
  }
  for (const ExpectedTable& t : tables) {
    if (std::find(out.begin(), out.end(), &t) == out.end()) out.push_back(&t);
  }
  return out;
}

std::string RunName(size_t index) { return "R" + std::to_string(index + 1); }

// All deviations of all runs, numbered in run, matrix-case, check order.
std::vector<Deviation> CollectDeviations(const Matrix& matrix, const std::vector<RunView>& runs) {
  std::vector<Deviation> out;
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

// " ⚠1 ⚠4" for the deviations of run `r` among `inputs`, or "".
std::string Marks(const std::vector<Deviation>& deviations, size_t r,
                  const std::vector<std::pair<std::string, std::string>>& inputs) {
  std::string out;
  for (const Deviation& d : deviations) {
    if (d.run != r) continue;
    for (const auto& [id, claim] : inputs) {
      if (d.case_id == id && d.claim == claim) {
        out += " ⚠" + std::to_string(d.number);
        break;
      }
    }
  }
  return out;
}

using RowFn = std::vector<ArticleCell> (*)(const CaseClaims&, const SummaryTableCases&);

void SummaryTable(std::ostringstream& out, const std::vector<const ExpectedTable*>& tables,
                  const std::vector<RunView>& runs, const std::vector<CaseClaims>& run_claims,
                  const std::vector<Deviation>& deviations,
                  const std::vector<std::string>& headings, const SummaryTableCases& cases,
                  RowFn row_of) {
  std::vector<std::string> header = {"Platform"};
  header.insert(header.end(), headings.begin(), headings.end());
  out << Row(header) << Separator(header.size());
  for (const ExpectedTable* t : tables) {
    std::vector<std::string> cells = {t->title};
    for (const ArticleCell& c : row_of(ClaimsOfTable(*t), cases)) cells.push_back(c.text);
    out << Row(cells);
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    std::vector<std::string> cells = {"**" + RunName(r) + ": " + runs[r].label + "**"};
    for (const ArticleCell& c : row_of(run_claims[r], cases)) {
      cells.push_back(c.text + Marks(deviations, r, c.inputs));
    }
    out << Row(cells);
  }
}

// One family's expectations for a case, one per line.
std::string ExpectedCell(const std::vector<Expectation>* expectations) {
  if (!expectations) return "—";
  std::string out;
  for (const Expectation& e : *expectations) {
    std::string line = e.claim + "=" + Value(e.value);
    if (!e.time_basis.empty()) line += " (" + e.time_basis + ")";
    if (e.depends_on_kernel_time) line += " (kernel-timed)";
    if (e.inferred) line += " (inferred)";
    if (!e.only.empty()) {
      std::string list;
      for (const std::string& os : e.only) list += (list.empty() ? "" : ", ") + os;
      line += " [" + list + "]";
    }
    out += (out.empty() ? "" : "<br>") + line;
  }
  return out;
}

// A run's outcome for a case: the verdict, then each check.
std::string MeasuredCell(const RunView& run, size_t r, const std::string& id,
                         const std::vector<Deviation>& deviations) {
  auto it = run.cases.find(id);
  if (it == run.cases.end()) return "—";
  const RunCase& rc = it->second;
  if (rc.status == "error") return "error: " + (rc.error.empty() ? "(no reason)" : rc.error);
  if (!rc.verdict.is_object()) return rc.claims.empty() ? "(no claims)" : "(no expected table)";
  std::string out = "**" + rc.verdict["status"].get<std::string>() + "**";
  for (const json& check : rc.verdict["checks"]) {
    const std::string claim = check["claim"].get<std::string>();
    const std::string result = check["result"].get<std::string>();
    std::string line;
    if (result == "not-observed") {
      line = claim + ": not observed";
    } else if (result == "skipped") {
      line = claim + ": skipped (other OS)";
    } else {
      line = claim + "=" + Value(check["observed"]);
      if (result == "pass") line += " ✓";
      if (result == "not-comparable") line += " (not comparable)";
      if (result == "deviation") line += Marks(deviations, r, {{id, claim}});
    }
    out += "<br>" + line;
  }
  return out;
}

void Grid(std::ostringstream& out, const Matrix& matrix,
          const std::vector<const ExpectedTable*>& tables, const std::vector<RunView>& runs,
          const std::vector<Deviation>& deviations) {
  std::vector<std::string> header = {"#", "Case"};
  for (const ExpectedTable* t : tables) header.push_back(t->title);
  for (size_t r = 0; r < runs.size(); ++r) header.push_back(RunName(r) + ": " + runs[r].label);
  out << Row(header) << Separator(header.size());
  for (const MatrixCase& mc : matrix.cases) {
    std::vector<std::string> cells = {mc.id, mc.name};
    for (const ExpectedTable* t : tables) cells.push_back(ExpectedCell(t->Find(mc.id)));
    for (size_t r = 0; r < runs.size(); ++r) {
      cells.push_back(MeasuredCell(runs[r], r, mc.id, deviations));
    }
    out << Row(cells);
  }
}

std::string Sources(const std::vector<const ExpectedTable*>& tables) {
  std::string document;
  for (const ExpectedTable* t : tables) {
    if (t->source.contains("document")) document = t->source["document"].get<std::string>();
  }
  return document;
}

// "#03, #33" (or "#03 and #33" with sep " and "): the ids of a cell's cases.
std::string Ids(const std::vector<std::string>& ids, const std::string& sep = ", ") {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "#" : sep + "#") + id;
  return out;
}

}  // namespace

std::string RenderMarkdownReport(const Matrix& matrix, const std::vector<ExpectedTable>& all_tables,
                                 const std::vector<json>& results_docs) {
  const std::vector<const ExpectedTable*> tables = InArticleOrder(all_tables);
  std::vector<RunView> runs;
  std::vector<CaseClaims> run_claims;
  for (const json& doc : results_docs) {
    runs.push_back(MakeRunView(doc, all_tables));
    run_claims.push_back(ClaimsOfResults(doc));
  }
  const std::vector<Deviation> deviations = CollectDeviations(matrix, runs);

  std::ostringstream out;
  out << "# SO_LINGER: expected and measured\n\n";
  out << "Expected rows come from `matrix/expected/*.json`";
  if (const std::string doc = Sources(tables); !doc.empty()) out << " (" << doc << ")";
  out << "; see doc/expected-format.md.\n";
  if (runs.empty()) {
    out << "\nNo results documents were given.\n";
  } else {
    out << "\nMeasured runs:\n\n";
    for (size_t r = 0; r < runs.size(); ++r) {
      out << "- **" << RunName(r) << "**: " << runs[r].label << "; compared with family `"
          << (runs[r].family.empty() ? "unknown" : runs[r].family) << "`"
          << (runs[r].table ? "" : " (no expected table: nothing marked)") << "\n";
    }
  }

  if (const auto& cases = matrix.summary_tables) {
    out << "\n## Effect of SO_LINGER set to {on, 0}\n\n";
    SummaryTable(out, tables, runs, run_claims, deviations, OnZeroHeadings(), *cases, &OnZeroRow);
    out << "\nCells are `abort_on_close` of cases Listening " << Ids(cases->on_zero_listening)
        << "; Connected " << Ids(cases->on_zero_connected) << "; after shutdown() Listening "
        << Ids(cases->on_zero_listening_after_shutdown) << "; Connected "
        << Ids(cases->on_zero_connected_after_shutdown) << ".\n";

    out << "\n## Effect of SO_LINGER set to {on, 20}\n\n";
    SummaryTable(out, tables, runs, run_claims, deviations, OnTwentyHeadings(), *cases,
                 &OnTwentyRow);
    out << "\n\\* " << kWindowsShutdownFootnote << "\n\n"
        << "Cells come from cases " << Ids(cases->on_twenty, " and ")
        << " (`close_blocks`, `close_blocked_s` or `close_ended_by`, "
           "`abort_on_linger_timeout`, `ewouldblock_on_linger_timeout`); the \"*\" from "
           "`close_blocks` of "
        << Ids(cases->on_twenty_after_shutdown, " and ")
        << ". Measured times are at the run's time scale: a linger "
           "time shrinks with it, a kernel constant does not.\n";
  }

  out << "\n## Case by case\n\n"
      << "Family columns list the stated claims: (linger) a time equal to the applied linger, "
         "(kernel) a kernel-constant time, (kernel-timed) true only at time scale 1, (inferred) "
         "read from the article's framing, [OS] only on that OS. Run columns give the verdict "
         "against the run's family, then each check: ✓ pass, ⚠N deviation.\n\n";
  Grid(out, matrix, tables, runs, deviations);

  out << "\n## Deviations\n\n";
  if (deviations.empty()) out << "None.\n";
  for (const Deviation& d : deviations) {
    const MatrixCase* mc = matrix.Find(d.case_id);
    out << "- ⚠" << d.number << " " << RunName(d.run) << ", case " << d.case_id << " ("
        << (mc ? mc->name : std::string("?")) << "), `" << d.claim << "`: expected "
        << Value(d.expected) << ", observed " << Value(d.observed)
        << (d.note.empty() ? "" : " (" + d.note + ")") << ". Source: " << d.source << ".\n";
  }
  return out.str();
}

}  // namespace lingerlab
