#include "suite/run/saved_results.h"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "agents/base/text_rules.h"
#include "suite/capture/pcap_file.h"
#include "suite/capture/tcpdump_line.h"
#include "suite/coordinator/run.h"
#include "suite/expect/expected_table.h"
#include "suite/expect/results_doc.h"
#include "suite/expect/stability.h"
#include "suite/report/case_timeline.h"
#include "suite/report/html_report.h"
#include "suite/report/markdown_report.h"
#include "suite/run/analyzer.h"
#include "suite/run/defaults.h"

namespace lingerlab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A completed case whose analysis failed (verdict "error": the Analyzer
// caught an exception) has content CheckResultsDoc did not foresee: a bad
// input file (exit 2), not a verdict that would leave `check` at exit 0.
Status CheckAnalysed(const json& doc, const std::string& path) {
  for (size_t i = 0; i < doc["cases"].size(); ++i) {
    const json& c = doc["cases"][i];
    if (c["status"] == "completed" && c.contains("verdict") && c["verdict"].is_object() &&
        c["verdict"].value("status", json()) == json("error"))
      return MakeError(ErrorCode::kInvalidInput,
                       path + ": cases[" + std::to_string(i) + "] (case " +
                           c["id"].get<std::string>() +
                           "): " + c["verdict"].value("reason", json("cannot be analysed")).dump());
  }
  return Status::Ok();
}

// Longest pcap path `show` follows (the results writer's own names are far shorter).
constexpr size_t kMaxPcapPathBytes = 512;

// One case's `show` text: its packets from its pcap beside the results file
// when that is there (tcpdump's lines and frame numbers), else from the
// document, saying which in a "packets:" header line.
std::string ShowCase(const json& c, const std::string& results) {
  CaseTimeline tl = BuildCaseTimeline(c);
  const json& t0 = c.contains("t0_real_ns") ? c["t0_real_ns"] : json();
  std::string why;
  if (tl.pcap.empty()) {
    why = "the case names no pcap";
  } else if (!IsSafeRelativePath(tl.pcap, kMaxPcapPathBytes)) {
    why =
        "pcap path not followed: not a relative path under the results directory (doc/security.md)";
  } else if (!t0.is_number_integer()) {
    why = "the case has no t0_real_ns to place the pcap's frames on its time axis";
  } else {
    const std::string path = (fs::path(results).parent_path() / tl.pcap).string();
    auto frames = ReadPcapFile(path);
    if (!frames.ok()) {
      why = frames.error().message;
    } else {
      TcpdumpRelative relative;
      std::vector<WirePacket> wire;
      for (const TcpPacket& f : *frames) {
        const bool s2c =
            f.src_port == tl.server_port && (tl.server_addr.empty() || f.src == tl.server_addr);
        wire.push_back({f.frame, static_cast<double>(f.t_ns - t0.get<int64_t>()) / 1e9, s2c,
                        FlagsText(f.flags), f.payload_len,
                        "#" + std::to_string(f.frame) + " " + TcpdumpTime(f.t_ns) + " " +
                            TcpdumpLine(f, relative)});
      }
      UseWirePackets(tl, wire);
      tl.packets_from = path + " (#frame as tshark numbers it, time as tcpdump -r prints it)";
    }
  }
  if (!why.empty())
    tl.packets_from = "from the results document (" + why +
                      "): no frame numbers or client port, case times, windows scaled to bytes";
  return RenderTimelineText(tl);
}

}  // namespace

Result<CheckedResults> CheckResults(const CheckRequest& request) {
  auto matrix = LoadMatrix(RepoPath(request.matrix));
  if (!matrix.ok()) return matrix.error();
  auto doc = LoadResultsFile(request.results, *matrix);
  if (!doc.ok()) return doc.error();
  auto analyzer = MakeAnalyzer(request.expected_dir, request.expect_family, *matrix);
  if (!analyzer.ok()) return analyzer.error();
  const double scale = RunTimeScale(*doc);
  for (json& c : (*doc)["cases"]) analyzer->Analyze(c, scale);
  if (Status s = CheckAnalysed(*doc, request.results); !s.ok()) return s.error();
  SummarizeResults(*doc);
  AddStabilitySummary(*doc);  // summary.unstable of a --repeat run
  return CheckedResults{std::move(*matrix), std::move(*doc)};
}

Result<RunsDiff> DiffResults(const DiffRequest& request) {
  auto matrix = LoadMatrix(RepoPath(request.matrix));
  if (!matrix.ok()) return matrix.error();
  auto analyzer = MakeAnalyzer(request.expected_dir, request.expect_family, *matrix);
  if (!analyzer.ok()) return analyzer.error();
  std::vector<json> docs;
  for (const std::string& path : {request.base, request.now}) {
    auto doc = LoadResultsFile(path, *matrix);
    if (!doc.ok()) return doc.error();
    const double scale = RunTimeScale(*doc);
    for (json& c : (*doc)["cases"]) analyzer->Analyze(c, scale);
    docs.push_back(std::move(*doc));
  }
  if (RunTimeScale(docs[0]) != RunTimeScale(docs[1]))
    spdlog::warn("the runs have different time scales ({} and {}): times differ by design",
                 RunTimeScale(docs[0]), RunTimeScale(docs[1]));
  auto selected = SelectCases(*matrix, request.cases);
  if (!selected.ok()) return selected.error();  // says "--cases: ..." itself
  std::vector<std::string> order;
  for (const MatrixCase& c : *selected) order.push_back(c.id);
  if (!request.cases.empty()) {
    for (json& doc : docs) {
      json kept = json::array();
      for (json& c : doc["cases"])
        if (std::find(order.begin(), order.end(), c.value("id", "")) != order.end())
          kept.push_back(std::move(c));
      doc["cases"] = std::move(kept);
    }
  }
  RunsDiff diff;
  diff.changes = DiffRuns(docs[0], docs[1], order);
  diff.compared = std::max(docs[0]["cases"].size(), docs[1]["cases"].size());
  return diff;
}

Result<std::string> RenderReport(const ReportRequest& request) {
  auto matrix = LoadMatrix(RepoPath(request.matrix));
  if (!matrix.ok()) return matrix.error();
  auto tables = LoadExpectedDir(ExpectedDirFor(request.expected_dir, *matrix), *matrix);
  if (!tables.ok()) return tables.error();
  std::vector<json> docs;
  for (const std::string& p : request.results) {
    auto d = LoadResultsFile(p, *matrix);
    if (!d.ok()) return d.error();
    docs.push_back(std::move(*d));
  }
  if (request.format != "html") return RenderMarkdownReport(*matrix, *tables, docs);
  // Pcap links relative to the page: from the output's directory (or the
  // working directory for stdout) to each results file's.
  std::error_code ec;
  const fs::path page_dir =
      fs::absolute(request.out.empty() ? fs::path(".") : fs::path(request.out).parent_path(), ec);
  std::vector<std::string> pcap_dirs;
  for (const std::string& p : request.results) {
    fs::path rel = fs::absolute(fs::path(p), ec).parent_path().lexically_relative(page_dir);
    std::string dir = rel.empty() || rel == "." ? "" : rel.generic_string() + "/";
    pcap_dirs.push_back(dir);
  }
  return RenderHtmlReport(*matrix, *tables, docs, pcap_dirs);
}

Result<std::string> CaseTimelineText(const std::string& results, const std::string& case_id,
                                     const std::string& matrix_path, int repetition) {
  auto matrix = LoadMatrix(RepoPath(matrix_path));
  if (!matrix.ok()) return matrix.error();
  auto doc = LoadResultsFile(results, *matrix);
  if (!doc.ok()) return doc.error();
  // A --repeat run's documents carry "repetition": K; the stem of
  // repetition K ends in "__r<K>" (CaseStem).
  std::string ids;
  const json* first = nullptr;
  int of_case = 0;
  for (const json& c : (*doc)["cases"]) {
    const std::string id = c["id"].get<std::string>();
    const int k = c.value("repetition", 0);
    const std::string stem = id + "__" + c.value("name", "");
    const bool this_case = case_id == id || case_id == stem;
    const bool by_stem = k > 0 && case_id == stem + "__r" + std::to_string(k);
    if (by_stem || (this_case && (repetition == 0 || repetition == k))) {
      if (!first) first = &c;
      if (by_stem || repetition > 0 || k == 0) return ShowCase(c, results);
    }
    if (this_case) ++of_case;
    if (ids.empty() || ids.substr(ids.rfind(' ') + 1) != id) ids += (ids.empty() ? "" : " ") + id;
  }
  if (first) {  // a repeated case, no repetition asked for: its first
    spdlog::info("case {} has {} repetitions; showing repetition {} (--repetition K for another)",
                 case_id, of_case, first->value("repetition", 0));
    return ShowCase(*first, results);
  }
  if (of_case > 0)
    return MakeError(ErrorCode::kNotFound, results + ": case '" + case_id + "' has no repetition " +
                                               std::to_string(repetition) + " (it has " +
                                               std::to_string(of_case) + ")");
  return MakeError(ErrorCode::kNotFound,
                   results + " has no case '" + case_id + "' (it has: " + ids + ")");
}

}  // namespace lingerlab
