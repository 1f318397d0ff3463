#include "suite/cli/commands.h"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "agents/base/text_rules.h"
#include "agents/base/version.h"
#include "agents/protocol/auth.h"
#include "suite/cli/color.h"
#include "suite/cli/exit_codes.h"
#include "suite/cli/progress.h"
#include "suite/coordinator/results_writer.h"
#include "suite/expect/run_diff.h"
#include "suite/expect/stability.h"
#include "suite/matrix/matrix.h"
#include "suite/report/json_output.h"
#include "suite/run/defaults.h"
#include "suite/run/junit_file.h"
#include "suite/run/pipeline.h"
#include "suite/run/saved_results.h"
#include "suite/run/tap_file.h"
#include "suite/targets/target.h"

namespace lingerlab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Where PrintLine writes: stdout, or stderr when `--tap -` gives stdout to
// the TAP stream (PrintLinesToStderr).
FILE* g_printed_lines = stdout;
// Whether verdict words are coloured (SetColorMode, color.h).
bool g_color = false;

// Every line a command prints on stdout goes through here. Names, errors
// and platform strings come from files and agents: a control character in
// them is shown as an escape (text_rules.h TerminalSafe), never obeyed, and
// a newline in them cannot start a line of its own.
[[gnu::format(printf, 1, 2)]] void PrintLine(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string line(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(line.data(), line.size() + 1, format, again);
  va_end(again);
  const std::string shown = TerminalSafe(line) + "\n";
  std::fwrite(shown.data(), 1, shown.size(), g_printed_lines);
}

// PrintLine for each line of a multi-line text (`show`).
void PrintLines(const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    PrintLine("%s", text.substr(start, end - start).c_str());
    start = end + 1;
  }
}

// `--json`: one document on stdout. Every non-ASCII character is a \u
// escape and every control character already is one in JSON, so nothing
// taken from a file reaches the terminal raw (as PrintLine promises).
void PrintJson(const json& doc) {
  const std::string text =
      doc.dump(2, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
}

std::string ClaimsLine(const json& c) {
  if (!c.contains("outcome")) return "";
  const json& cl = c["outcome"].value("claims", json::object());
  std::string s;
  auto b = [&](const char* k, const char* label) {
    if (cl.contains(k) && cl[k].is_boolean() && cl[k].get<bool>()) s += std::string(" ") + label;
  };
  b("abort_on_close", "RST@close");
  b("abort_on_linger_timeout", "RST@linger-timeout");
  b("rst_after_clean_close", "RST-after-clean-close");
  b("idle_abort", "idle-abort");
  if (cl.contains("close_blocked_s") && cl["close_blocked_s"].is_number())
    s += " close=" + std::to_string(cl["close_blocked_s"].get<double>()).substr(0, 5) + "s";
  if (cl.contains("client_bytes")) s += " client=" + cl["client_bytes"].dump() + "B";
  if (cl.contains("client_end")) s += "/" + cl["client_end"].get<std::string>();
  // The stack under test exited or hung in a call (doc/results-format.md).
  if (cl.contains("stack_fault") && cl["stack_fault"] != "none")
    s += " stack-fault=" + cl["stack_fault"].get<std::string>();
  return s;
}

// A warning's short form for the case's line: up to its first ';'.
std::string WarningsTag(const json& c) {
  const json w = c.value("warnings", json::array());
  if (!w.is_array() || w.empty()) return "";
  std::string first = w[0].is_string() ? w[0].get<std::string>() : w[0].dump();
  std::string tag = " WARNING: " + first.substr(0, first.find(';'));
  if (w.size() > 1) tag += " (+" + std::to_string(w.size() - 1) + " more)";
  return tag;
}

// One case's line: "04  slow-client__linger-csock-0  completed pass  close=...".
// As PrintLine, with the verdict word coloured when colour is on: the
// escapes go around the already escaped word, never into file text.
void PrintCaseLine(const std::string& id, const std::string& name, const std::string& status,
                   const std::string& verdict, const std::string& detail) {
  auto pad = [](const std::string& t, size_t width) {
    return t.size() >= width ? t : t + std::string(width - t.size(), ' ');
  };
  const std::string word = TerminalSafe(pad(verdict, 15));
  const std::string line =
      TerminalSafe(pad(id, 3) + " " + pad(name, 48) + " " + pad(status, 9) + " ") +
      (g_color ? PaintVerdict(verdict, word) : word) + TerminalSafe(detail) + "\n";
  std::fwrite(line.data(), 1, line.size(), g_printed_lines);
}

void PrintSummary(const json& results, const std::string& path) {
  for (const json& c : results["cases"]) {
    std::string verdict = c.contains("verdict") ? c["verdict"].value("status", "") : "";
    const std::string detail = c["status"] == "error" ? " " + c.value("error", json("")).dump()
                                                      : ClaimsLine(c) + WarningsTag(c);
    // A --repeat run's repetition K: "04 r3".
    const std::string id = c["id"].get<std::string>() +
                           (c.contains("repetition") ? " r" + c["repetition"].dump() : "");
    PrintCaseLine(id, c["name"].get<std::string>(), c["status"].get<std::string>(), verdict,
                  detail);
    if (verdict == "deviation")
      for (const json& ch : c["verdict"].value("checks", json::array()))
        if (ch.value("result", "") == "deviation")
          PrintLine("      deviation: %s expected %s, observed %s (%s)",
                    ch.value("claim", "").c_str(), ch.value("expected", json()).dump().c_str(),
                    ch.value("observed", json()).dump().c_str(), ch.value("source", "").c_str());
  }
  if (RunRepeat(results) > 1)
    for (const CaseStability& st : RunStability(results))
      for (const std::string& line : VariationLines(st, /*durations=*/false))
        PrintLine("%-3s varies over %d repetition(s): %s", st.id.c_str(), st.completed,
                  line.c_str());
  PrintLine("summary: %s", results["summary"].dump().c_str());
  PrintLine("results: %s", path.c_str());
}

int ExitCodeFor(const json& results) {
  if (results["environment"].value("interrupted", false)) return kExitInterrupted;
  const json& s = results["summary"];
  if (s.value("error", 0) > 0) return kExitCaseError;
  // A case whose repetitions disagree on a compared claim fails like a
  // deviation (doc/results-format.md "Repetitions").
  if (s.value("deviation", 0) > 0 || s.value("unstable", 0) > 0) return kExitDeviation;
  return kExitOk;
}

// An output path the write rule refuses (results_writer.h) is a bad
// command line; a write that fails is this machine's.
int ExitCodeForWrite(const Status& s) {
  return s.code() == ErrorCode::kInvalidInput ? kExitUsage : kExitEnvironment;
}

// `run`'s view of the pipeline: the progress display while cases run, the
// summary once the results are final.
class RunPrinter final : public RunObserver {
 public:
  explicit RunPrinter(std::shared_ptr<StatusLineSink> status_line)
      : status_line_(std::move(status_line)) {}
  void CasesStarting(const std::vector<MatrixCase>& cases, double time_scale,
                     size_t jobs) override {
    progress_.emplace(cases, time_scale, jobs, status_line_);
  }
  void CaseEvent(const CaseProgress& event) override { progress_->OnEvent(event); }
  void CasesEnded() override { progress_.reset(); }
  void ResultsReady(const json& results, const std::string& path) override {
    PrintSummary(results, path);
  }

 private:
  std::shared_ptr<StatusLineSink> status_line_;
  std::optional<RunProgress> progress_;
};

}  // namespace

void PrintLinesToStderr() { g_printed_lines = stderr; }

void SetColorMode(ColorMode mode) {
  g_color = ColorWanted(mode, ::isatty(::fileno(g_printed_lines)) != 0, std::getenv("NO_COLOR"),
                        std::getenv("TERM"));
}

std::string VersionString() {
  return std::string(LINGERLAB_VERSION) + " (" + LINGERLAB_GIT_COMMIT + ")";
}

int CmdList(const std::string& matrix_path, bool as_json) {
  auto m = LoadMatrix(RepoPath(matrix_path));
  if (!m.ok()) {
    spdlog::error("{}", m.error().message);
    return kExitUsage;
  }
  if (as_json) {
    PrintJson(ListJson(*m));
    return kExitOk;
  }
  PrintLine("%s — %s (%zu cases)", m->name.c_str(), m->title.c_str(), m->cases.size());
  for (const MatrixCase& c : m->cases) {
    PrintLine("%s %s", c.id.c_str(), c.name.c_str());
    if (!c.description.empty()) PrintLine("     %s", c.description.c_str());
  }
  return kExitOk;
}

int CmdClean(const std::string& target_name) {
  auto target = MakeTarget(target_name, TargetConfig::For(AgentBesideUs(), RandomRunId()));
  if (!target.ok()) {
    spdlog::error("{}", target.error().message);
    return kExitUsage;
  }
  if (target_name == "remote") {
    // A remote run creates nothing here; sessions a dead coordinator left on
    // an agent end by the agent's own deadlines (doc/protocol.md §6).
    PrintLine("a remote run leaves nothing on this machine; 0 leftover(s) removed");
    return kExitOk;
  }
  if (::geteuid() != 0) {
    spdlog::error(
        "lingerlab clean needs root (CAP_NET_ADMIN) to remove network namespaces: "
        "run it with sudo, or as root");
    return kExitEnvironment;
  }
  auto removed = (*target)->SweepStale();
  if (!removed.ok()) {
    spdlog::error("clean: {}", removed.error().message);
    return kExitEnvironment;
  }
  for (const std::string& line : *removed) PrintLine("removed %s", line.c_str());
  PrintLine("%zu leftover(s) removed", removed->size());
  return kExitOk;
}

int CmdRun(const RunArgs& args) {
  RunPrinter printer(args.status_line);
  const RunOutcome outcome = RunPipeline(args, printer);
  switch (outcome.end) {
    case RunEnd::kCompleted:
      return ExitCodeFor(outcome.results);
    case RunEnd::kBadRequest:
      spdlog::error("{}", outcome.error);
      return kExitUsage;
    case RunEnd::kEnvironment:
      spdlog::error("{}", outcome.error);
      return kExitEnvironment;
    case RunEnd::kResultsLost:
      spdlog::error("{}", outcome.error);
      return kExitResultsLost;
  }
  return kExitEnvironment;
}

int CmdCheck(const CheckArgs& args) {
  auto checked = CheckResults(args);
  if (!checked.ok()) {
    spdlog::error("{}", checked.error().message);
    return kExitUsage;
  }
  const json& doc = checked->doc;
  if (!args.write_back.empty()) {
    if (Status s = WriteJsonAtomically(args.write_back, doc); !s.ok()) {
      spdlog::error("{}", s.message());
      return ExitCodeForWrite(s);
    }
  }
  if (args.json)
    PrintJson(CheckJson(doc, args.write_back.empty() ? args.results : args.write_back));
  else
    PrintSummary(doc, args.write_back.empty() ? args.results : args.write_back);
  if (!args.junit.empty()) {
    if (Status j = WriteJunit(args.junit, doc, checked->matrix); !j.ok()) {
      spdlog::error("{}", j.message());
      return ExitCodeForWrite(j);
    }
  }
  if (Status t = WriteTap(args.tap, doc, checked->matrix); !t.ok()) {
    spdlog::error("{}", t.message());
    return ExitCodeForWrite(t);
  }
  const json& s = doc["summary"];
  if (s.value("error", 0) > 0) return kExitCaseError;
  return s.value("deviation", 0) > 0 || s.value("unstable", 0) > 0 ? kExitDeviation : kExitOk;
}

int CmdReport(const ReportArgs& args) {
  auto text = RenderReport(args);
  if (!text.ok()) {
    spdlog::error("{}", text.error().message);
    return kExitUsage;
  }
  if (args.out.empty()) {
    std::fwrite(text->data(), 1, text->size(), stdout);
  } else if (Status s = WriteTextAtomically(args.out, *text); !s.ok()) {
    spdlog::error("{}", s.message());
    return ExitCodeForWrite(s);
  }
  return kExitOk;
}

int CmdShow(const std::string& results, const std::string& case_id, const std::string& matrix_path,
            int repetition) {
  auto text = CaseTimelineText(results, case_id, matrix_path, repetition);
  if (!text.ok()) {
    spdlog::error("{}", text.error().message);
    return kExitUsage;
  }
  PrintLines(*text);
  return kExitOk;
}

int CmdDiff(const DiffArgs& args) {
  auto diff = DiffResults(args);
  if (!diff.ok()) {
    spdlog::error("{}", diff.error().message);
    return kExitUsage;
  }
  if (args.json) {
    PrintJson(DiffJson(diff->changes, args.base, args.now, diff->compared));
    return diff->changes.empty() ? kExitOk : kExitDeviation;
  }
  std::set<std::string> changed_cases;
  for (const ClaimChange& c : diff->changes) {
    PrintLine("%s", FormatChange(c).c_str());
    changed_cases.insert(c.case_id);
  }
  if (diff->changes.empty()) {
    PrintLine("no change in %zu case(s)", diff->compared);
    return kExitOk;
  }
  PrintLine("%zu change(s) in %zu of %zu case(s)", diff->changes.size(), changed_cases.size(),
            diff->compared);
  return kExitDeviation;
}

int CmdKeygen(const std::string& path) {
  Status written = WriteNewKeyFile(path);
  if (!written.ok()) {
    spdlog::error("keygen: {}", written.message());
    return kExitUsage;
  }
  spdlog::info(
      "wrote a new key to {} (mode 0600): copy it to each agent host and start the agent with "
      "lingerlab-agent --listen ADDRESS:PORT --key FILE; keep it secret",
      path);
  return kExitOk;
}

}  // namespace lingerlab
