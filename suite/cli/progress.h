// Progress of a running matrix, for the person watching it.
//
// On a terminal: one live status line at the bottom of stderr — cases done,
// running and failed, the time elapsed and an estimate of the time left —
// redrawn twice a second and kept below the log lines (StatusLineSink erases
// it before each log message and draws it again after). Not a terminal (CI,
// a pipe): no status line and no control characters; a plain "progress:"
// log line every kPlainProgressInterval instead. `-q` shows neither (the
// plain line is an info message).
//
// The estimate is the running cases' budgets (CaseBudgetSeconds): the latest
// end among running cases, plus the queued cases' budgets spread over the
// job slots. Budgets are what a case is allowed, so the estimate errs long.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "suite/coordinator/run.h"

namespace lingerlab {

constexpr int64_t kPlainProgressInterval = 30 * kNsPerSec;
constexpr int64_t kStatusRedrawInterval = 500 * kNsPerMs;

struct ProgressCounts {
  size_t total = 0, done = 0, running = 0, failed = 0;
};

// "12/34 done, 20 running, 1 failed, 0:07 elapsed, about 0:10 left"
// (no "failed" part when none; "left" unknown when negative).
std::string ProgressText(const ProgressCounts& counts, double elapsed_s, double left_s);

// "0:07", "5:03", "1:02:03".
std::string FormatDuration(double seconds);

// Seconds left: the latest (start + budget) among `running` (start times in
// seconds since the run began, at `now_s`), plus the sum of `queued_budget_s`
// divided over `jobs` slots. Never negative.
double EstimateSecondsLeft(double now_s, const std::multimap<double, double>& running,
                           double queued_budget_s, size_t jobs);

// A spdlog sink in front of another that keeps one status line below the
// log: each message erases the line, passes through, and the line is drawn
// again. Only for a terminal (it writes "\r" and "ESC[K" to `tty`).
class StatusLineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  StatusLineSink(std::shared_ptr<spdlog::sinks::sink> inner, FILE* tty);
  // Replaces the status text and redraws it; "" erases the line for good.
  void SetStatus(const std::string& text);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;
  // The logger's pattern applies to the sink that writes the text.
  void set_pattern_(const std::string& pattern) override;
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  void Draw();
  void Erase();

  std::shared_ptr<spdlog::sinks::sink> inner_;
  FILE* tty_;
  std::string status_;
};

// Follows a run through RunOptions::on_progress and shows it: on `status`
// (a terminal's StatusLineSink) when given, else as plain log lines. Its
// own thread redraws; the destructor stops it and erases the status line.
class RunProgress {
 public:
  RunProgress(const std::vector<MatrixCase>& cases, double time_scale, size_t jobs,
              std::shared_ptr<StatusLineSink> status);
  ~RunProgress();
  RunProgress(const RunProgress&) = delete;
  RunProgress& operator=(const RunProgress&) = delete;

  // For RunOptions::on_progress (any thread).
  void OnEvent(const CaseProgress& event);

 private:
  void Loop();
  std::string Text();

  std::shared_ptr<StatusLineSink> status_;
  size_t jobs_;
  int64_t started_ns_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  ProgressCounts counts_;
  std::map<std::string, double> budget_s_;  // by case id
  // By case id and repetition (CaseProgress::repetition).
  std::map<std::pair<std::string, int>, double> running_start_s_;
  double queued_budget_s_ = 0;
  std::thread thread_;
};

}  // namespace lingerlab
