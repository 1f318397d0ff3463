#include "suite/cli/progress.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "agents/base/clock.h"
#include "suite/coordinator/case_runner.h"

namespace lingerlab {

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) seconds = 0;
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string ProgressText(const ProgressCounts& c, double elapsed_s, double left_s) {
  std::string text = std::to_string(c.done) + "/" + std::to_string(c.total) + " done, " +
                     std::to_string(c.running) + " running";
  if (c.failed > 0) text += ", " + std::to_string(c.failed) + " failed";
  text += ", " + FormatDuration(elapsed_s) + " elapsed";
  if (left_s >= 0 && c.done < c.total) text += ", about " + FormatDuration(left_s) + " left";
  return text;
}

double EstimateSecondsLeft(double now_s, const std::multimap<double, double>& running,
                           double queued_budget_s, size_t jobs) {
  double latest_end = now_s;
  for (const auto& [start, budget] : running) latest_end = std::max(latest_end, start + budget);
  const double queued = jobs > 0 ? queued_budget_s / static_cast<double>(jobs) : queued_budget_s;
  return std::max(0.0, latest_end - now_s + queued);
}

StatusLineSink::StatusLineSink(std::shared_ptr<spdlog::sinks::sink> inner, FILE* tty)
    : inner_(std::move(inner)), tty_(tty) {}

void StatusLineSink::SetStatus(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  Erase();
  status_ = text;
  Draw();
}

void StatusLineSink::sink_it_(const spdlog::details::log_msg& msg) {
  Erase();
  inner_->log(msg);
  inner_->flush();
  Draw();
}

void StatusLineSink::flush_() {
  inner_->flush();
  std::fflush(tty_);
}

void StatusLineSink::set_pattern_(const std::string& pattern) { inner_->set_pattern(pattern); }

void StatusLineSink::set_formatter_(std::unique_ptr<spdlog::formatter> formatter) {
  inner_->set_formatter(std::move(formatter));
}

void StatusLineSink::Draw() {
  if (status_.empty()) return;
  std::fputs(status_.c_str(), tty_);
  std::fflush(tty_);
}

void StatusLineSink::Erase() {
  if (status_.empty()) return;
  std::fputs("\r\x1b[K", tty_);  // to the line's start, clear to its end
  std::fflush(tty_);
}

RunProgress::RunProgress(const std::vector<MatrixCase>& cases, double time_scale, size_t jobs,
                         std::shared_ptr<StatusLineSink> status)
    : status_(std::move(status)),
      jobs_(jobs == 0 ? cases.size() : jobs),
      started_ns_(MonotonicNs()) {
  counts_.total = cases.size();
  for (const MatrixCase& c : cases) {
    const double b = CaseBudgetSeconds(c, ApplyTimeScale(c, time_scale));
    budget_s_[c.id] = b;
    queued_budget_s_ += b;
  }
  thread_ = std::thread([this] { Loop(); });
}

RunProgress::~RunProgress() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (status_) status_->SetStatus("");
}

void RunProgress::OnEvent(const CaseProgress& e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const double now_s = static_cast<double>(MonotonicNs() - started_ns_) / 1e9;
    const double budget = budget_s_.count(e.id) ? budget_s_[e.id] : 0;
    if (e.kind == CaseProgress::kStarted) {
      ++counts_.running;
      running_start_s_[{e.id, e.repetition}] = now_s;
      queued_budget_s_ = std::max(0.0, queued_budget_s_ - budget);
    } else {
      if (running_start_s_.erase({e.id, e.repetition}) > 0 && counts_.running > 0)
        --counts_.running;
      ++counts_.done;
      if (e.failed) ++counts_.failed;
    }
  }
  if (status_) status_->SetStatus(Text());
}

std::string RunProgress::Text() {
  std::lock_guard<std::mutex> lock(mu_);
  const double now_s = static_cast<double>(MonotonicNs() - started_ns_) / 1e9;
  std::multimap<double, double> running;
  for (const auto& [key, start] : running_start_s_) running.emplace(start, budget_s_[key.first]);
  return ProgressText(counts_, now_s, EstimateSecondsLeft(now_s, running, queued_budget_s_, jobs_));
}

void RunProgress::Loop() {
  const int64_t period = status_ ? kStatusRedrawInterval : kPlainProgressInterval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::nanoseconds(period), [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    const std::string text = Text();
    if (status_)
      status_->SetStatus(text);
    else
      spdlog::info("progress: {}", text);
    lock.lock();
  }
}

}  // namespace lingerlab
