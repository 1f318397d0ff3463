// lingerlab: the coordinator's command line. A thin layer over the library
// in suite/ (which the tests link too): it parses options, sets up logging
// and signals, and maps results to exit codes (cli/exit_codes.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "suite/cli/commands.h"
#include "suite/cli/exit_codes.h"
#include "suite/cli/log_format.h"
#include "suite/cli/progress.h"
#include "suite/cli/usage_hint.h"
#include "suite/coordinator/results_writer.h"
#include "suite/expect/results_doc.h"  // kMaxRepeat

namespace {

// A number in [min, max]. CLI11's Range lets NaN through (every comparison
// with NaN is false), and NonNegativeNumber lets infinity through.
CLI::Validator FiniteIn(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& v) {
        double d = 0;
        size_t used = 0;
        try {
          d = std::stod(v, &used);
        } catch (const std::exception&) {
          return std::string("must be a number");
        }
        if (used != v.size() || !std::isfinite(d) || d < min || d > max)
          return "must be a number from " + CLI::detail::to_string(min) + " to " +
                 CLI::detail::to_string(max);
        return std::string();
      },
      "NUMBER in [" + std::to_string(min) + " - " + std::to_string(max) + "]");
}

constexpr const char* kTapHelp =
    "also write the verdicts as TAP 13 (kselftest style, doc/tap.md) to this file; - for stdout "
    "(the summary then goes to stderr)";

// --tap: "-", or a path the results writer accepts, checked before a run
// starts so a refused path costs no run.
CLI::Validator TapPath() {
  return CLI::Validator(
      [](std::string& v) {
        if (v == "-") return std::string();
        lingerlab::Status s = lingerlab::CheckOutputPath(v);
        return s.ok() ? std::string() : s.message();
      },
      "FILE|-");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lingerlab;
  CLI::App app{
      "lingerlab: a conformance suite for TCP close semantics (SO_LINGER, shutdown(), close()).\n"
      "It runs the 34-case SO_LINGER matrix on two hosts per case, captures the packets,\n"
      "classifies each outcome and compares it with the published per-OS behaviour.\n\n"
      "Exit codes: 0 all cases completed and none deviates; 1 a case deviates from its expected\n"
      "table; 2 bad command line or input file; 3 cannot run here (privileges, tools, agent);\n"
      "4 a case did not complete; 5 the run finished but results.json could not be written\n"
      "(each case's document is kept in <out>/cases/); 130 interrupted.\n"
      "diff: 0 no claim changed, 1 a claim changed, 2 bad command line or input file."};
  app.require_subcommand(1);
  app.fallthrough();  // -v and -q work after the subcommand too
  int verbosity = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbosity, "more log output (-vv for trace)");
  app.add_flag("-q,--quiet", quiet, "warnings and errors only");
  app.set_version_flag("--version", VersionString());
  std::string color = "auto";
  app.add_option("--color", color,
                 "colour the verdicts: auto (a terminal, unless NO_COLOR is set), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "run matrix cases and write results JSON + pcaps");
  run_cmd->add_option("--matrix", run.matrix, "matrix file")->capture_default_str();
  run_cmd->add_option(
      "--cases", run.cases,
      "cases: ids, ranges, names or globs, e.g. '03,04', '03-10', '*lsock*' (default: all)");
  run_cmd
      ->add_option("--time-scale", run.time_scale,
                   "multiply every time the suite controls (1 = the published timings)")
      ->check(FiniteIn(0.001, 100.0))
      ->capture_default_str();
  run_cmd
      ->add_option("--close-mode", run.close_mode,
                   "blocking: close() on a blocking socket (the published cases); nonblocking: "
                   "O_NONBLOCK set right before the server's close() (no published expectations: "
                   "verdicts are no-expectation)")
      ->check(CLI::IsMember({"blocking", "nonblocking"}))
      ->capture_default_str();
  run_cmd
      ->add_option("--repeat", run.repeat,
                   "run every selected case N times in this one run; the results hold each "
                   "repetition, and check and report show each claim's stability "
                   "(doc/results-format.md \"Repetitions\")")
      ->check(CLI::Range(1, lingerlab::kMaxRepeat))
      ->capture_default_str();
  run_cmd
      ->add_option(
          "--jobs,-j", run.jobs,
          "cases run at the same time (0 = as many as this machine holds: README \"Load\")")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  run_cmd->add_option("--out", run.out,
                      "output directory (default: a new results/run-<UTC time>[-N]; "
                      "results/latest points at it)");
  run_cmd->add_flag("--overwrite", run.overwrite,
                    "replace results.json (and per-case files) in an --out that has them");
  run_cmd
      ->add_option("--target", run.target,
                   "where hosts come from: netns (namespaces on this machine), gvisor (the "
                   "same, the server's socket calls on gVisor's netstack in a runsc sandbox, "
                   "doc/gvisor.md), lwip (the same, the server's socket calls on lwIP on a tap "
                   "device, doc/lwip.md), qemu (the server on a Linux kernel booted under QEMU, "
                   "doc/qemu.md) or remote (agents you started elsewhere, doc/remote.md)")
      ->capture_default_str();
  run_cmd
      ->add_option("--ip", run.ip,
                   "the test link's IP version: 4 (198.18.0.0/15) or 6 (ULA fd00:198:18::/48); "
                   "6 is for --target netns only")
      ->check(CLI::Validator(
          [](std::string& v) {
            return v == "4" || v == "6" ? std::string()
                                        : std::string("must be 4 or 6, got '" + v + "'");
          },
          "4|6"))
      ->capture_default_str();
  run_cmd->add_option("--server-agent", run.remote.server_agent,
                      "remote: the server host's agent, ADDRESS:PORT of its --listen");
  run_cmd->add_option("--client-agent", run.remote.client_agent,
                      "remote: the client host's agent, ADDRESS:PORT of its --listen");
  run_cmd->add_option("--key", run.remote.key_file,
                      "remote: the key file both agents were started with (lingerlab keygen)");
  run_cmd->add_option("--server-test-address", run.remote.server_test_address,
                      "remote: the server's address on the test network (default: the server "
                      "agent's address)");
  run_cmd
      ->add_option("--port-base", run.remote.port_base,
                   "remote: case slot i listens on port BASE+i (default 20000)")
      ->check(CLI::Range(1, 65280));
  run_cmd->add_option("--junit", run.junit,
                      "also write the verdicts as JUnit XML to this file (doc/junit.xsd)");
  run_cmd->add_option("--tap", run.tap, kTapHelp)->check(TapPath());
  run_cmd->add_option("--kernel", run.qemu.kernel,
                      "qemu: the guest kernel (default: the newest /boot/vmlinuz-*)");
  CLI::Option* modules_opt = run_cmd->add_option(
      "--modules", run.qemu.modules,
      "qemu: the kernel's module directory (default: /lib/modules/<its release>)");
  run_cmd
      ->add_option("--initramfs", run.qemu.initramfs,
                   "qemu: your own initramfs instead of the built one (doc/qemu.md says what "
                   "its /init must do)")
      ->excludes(modules_opt);
  run_cmd->add_option("--guest-agent", run.qemu.guest_agent,
                      "qemu: the static agent put in the guest (default: lingerlab-agent-static "
                      "beside --agent)");
  run_cmd->add_option("--agent", run.agent, "lingerlab-agent binary (default: beside lingerlab)");
  run_cmd
      ->add_option("--case-timeout", run.case_timeout_s,
                   "seconds before a case is abandoned (default: its budget + 150 s)")
      ->check(FiniteIn(0, 7 * 86400.0));
  run_cmd->add_option("--expect", run.expect_family,
                      "compare with this family's table (default: the agents' platform)");
  run_cmd
      ->add_option("--expected-dir", run.expected_dir,
                   "directory of expected tables (default: the matrix's, matrix/expected for "
                   "so_linger.json)")
      ->capture_default_str();
  run_cmd
      ->add_option("--run-id", run.run_id,
                   "name this run's namespaces ll-<ID>-... (1-12 of a-z0-9; default random)")
      ->check(CLI::Validator(
          [](std::string& v) {
            bool ok =
                !v.empty() && v.size() <= 12 &&
                v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") == std::string::npos;
            return ok ? std::string() : std::string("must be 1-12 characters of a-z0-9");
          },
          "ID"));

  auto* list_cmd = app.add_subcommand("list", "list the cases of a matrix");
  std::string list_matrix = run.matrix;
  list_cmd->add_option("--matrix", list_matrix, "matrix file")->capture_default_str();
  bool list_json = false;
  list_cmd->add_flag("--json", list_json, "print the cases as JSON (doc/json-output.md)");

  auto* clean_cmd = app.add_subcommand(
      "clean", "remove namespaces and agents left by runs that died (never a live run's)");
  std::string clean_target = "netns";
  clean_cmd
      ->add_option("--target", clean_target,
                   "whose leftovers to sweep: netns, gvisor (also its sandboxes) or remote")
      ->capture_default_str();

  CheckArgs check;
  auto* check_cmd = app.add_subcommand(
      "check", "classify and compare a saved results file; exit 1 on a deviation");
  check_cmd->add_option("results", check.results, "results JSON")->required();
  check_cmd->add_option("--matrix", check.matrix, "the matrix the results and tables are about")
      ->capture_default_str();
  check_cmd->add_option("--expect", check.expect_family, "family to compare with");
  check_cmd
      ->add_option("--expected-dir", check.expected_dir,
                   "directory of expected tables (default: the matrix's, matrix/expected for "
                   "so_linger.json)")
      ->capture_default_str();
  check_cmd->add_option("--write", check.write_back,
                        "write the re-classified results to this file");
  check_cmd->add_option("--junit", check.junit,
                        "also write the verdicts as JUnit XML to this file (doc/junit.xsd)");
  check_cmd->add_option("--tap", check.tap, kTapHelp)->check(TapPath());
  check_cmd->add_flag("--json", check.json,
                      "print the verdicts as JSON instead of a line per case (doc/json-output.md)");

  DiffArgs diff;
  auto* diff_cmd = app.add_subcommand(
      "diff",
      "the claims that changed from one run to another, case by case (time claims within the "
      "comparison's tolerance, documented races by class); exit 1 if any did");
  diff_cmd->add_option("base", diff.base, "the baseline results JSON")->required();
  diff_cmd->add_option("new", diff.now, "the results JSON to compare with it")->required();
  diff_cmd->add_option(
      "--cases", diff.cases,
      "compare only these cases (as run --cases: '03-10', '*lsock*'; default: all)");
  diff_cmd->add_option("--matrix", diff.matrix, "the matrix both runs are of")
      ->capture_default_str();
  diff_cmd->add_option("--expect", diff.expect_family, "family to compare verdicts with");
  diff_cmd->add_flag("--json", diff.json,
                     "print the changes as JSON instead of a line each (doc/json-output.md)");
  diff_cmd
      ->add_option("--expected-dir", diff.expected_dir,
                   "directory of expected tables (default: the matrix's, matrix/expected for "
                   "so_linger.json)")
      ->capture_default_str();

  ReportArgs report;
  auto* report_cmd = app.add_subcommand(
      "report",
      "render the summary tables, the case grid and (html) each case's timeline from expected "
      "tables and results files");
  report_cmd->add_option("results", report.results, "results JSON files");
  report_cmd->add_option("--matrix", report.matrix, "the matrix the results and tables are about")
      ->capture_default_str();
  report_cmd->add_option("--format", report.format, "output format")
      ->check(CLI::IsMember({"md", "html"}))
      ->capture_default_str();
  report_cmd
      ->add_option("--expected-dir", report.expected_dir,
                   "directory of expected tables (default: the matrix's, matrix/expected for "
                   "so_linger.json)")
      ->capture_default_str();
  report_cmd->add_option("--out,-o", report.out, "write to this file instead of stdout");

  std::string show_results, show_case, show_matrix = run.matrix;
  int show_repetition = 0;
  auto* show_cmd = app.add_subcommand(
      "show", "one case's timeline: socket calls and packets in time order, evidence marked");
  show_cmd->add_option("results", show_results, "results JSON")->required();
  show_cmd
      ->add_option("case", show_case,
                   "case id (04) or name (04__slow-client__linger-csock-0; a --repeat run's "
                   "repetition 3: 04__slow-client__linger-csock-0__r3)")
      ->required();
  show_cmd
      ->add_option("--repetition", show_repetition,
                   "a --repeat run: which repetition of the case (default: the first)")
      ->check(CLI::Range(1, lingerlab::kMaxRepeat));
  show_cmd->add_option("--matrix", show_matrix, "the matrix the results are about")
      ->capture_default_str();

  std::string keygen_path;
  auto* keygen_cmd = app.add_subcommand(
      "keygen",
      "write a new random key for remote agents (lingerlab-agent --key) to FILE, "
      "mode 0600; never replaces a file");
  keygen_cmd->add_option("file", keygen_path, "key file to create")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with code 0; every real one is a
    // usage error, with our documented exit code rather than CLI11's.
    if (app.exit(e) == 0) return kExitOk;
    if (auto hint = UsageHint(app, std::vector<std::string>(argv + 1, argv + argc)))
      std::fprintf(stderr, "lingerlab: %s\n", hint->c_str());
    return kExitUsage;
  }

  // On a terminal a run keeps a live status line below its log lines; in a
  // pipe or CI log there are plain lines only, with no control characters.
  auto stderr_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      ::isatty(STDERR_FILENO) ? spdlog::color_mode::automatic : spdlog::color_mode::never);
  std::shared_ptr<spdlog::sinks::sink> sink = stderr_sink;
  if (::isatty(STDERR_FILENO) && !quiet) {
    run.status_line = std::make_shared<StatusLineSink>(stderr_sink, stderr);
    sink = run.status_line;
  }
  auto logger = std::make_shared<spdlog::logger>("lingerlab", sink);
  spdlog::set_default_logger(logger);
  spdlog::set_formatter(lingerlab::MakeLogFormatter());
  spdlog::set_level(quiet            ? spdlog::level::warn
                    : verbosity >= 2 ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::info);

  if (*check_cmd && check.json && check.tap == "-") {
    spdlog::error("check: --json and --tap - both want stdout; write the TAP to a file");
    return kExitUsage;
  }
  if (run.tap == "-" || check.tap == "-") PrintLinesToStderr();
  ColorMode color_mode = ColorMode::kAuto;
  (void)ParseColorMode(color, color_mode);  // CLI11 checked it
  SetColorMode(color_mode);
  if (*run_cmd) return CmdRun(run);
  if (*list_cmd) return CmdList(list_matrix, list_json);
  if (*clean_cmd) return CmdClean(clean_target);
  if (*check_cmd) return CmdCheck(check);
  if (*report_cmd) return CmdReport(report);
  if (*diff_cmd) return CmdDiff(diff);
  if (*show_cmd) return CmdShow(show_results, show_case, show_matrix, show_repetition);
  if (*keygen_cmd) return CmdKeygen(keygen_path);
  return kExitUsage;
}
