// The progress display: its text, its estimate of the time left, and the
// status line kept below log messages on a terminal.
#include "suite/cli/progress.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <sstream>

#include "suite/expect/test_matrix.h"

namespace lingerlab {
namespace {

TEST(ProgressTextTest, CountsElapsedAndLeft) {
  EXPECT_EQ(ProgressText({34, 12, 20, 1}, 7.2, 10.4),
            "12/34 done, 20 running, 1 failed, 0:07 elapsed, about 0:10 left");
  EXPECT_EQ(ProgressText({34, 12, 22, 0}, 65, 3725),
            "12/34 done, 22 running, 1:05 elapsed, about 1:02:05 left");
  // Nothing left to estimate once every case is done.
  EXPECT_EQ(ProgressText({2, 2, 0, 0}, 3, 0), "2/2 done, 0 running, 0:03 elapsed");
  EXPECT_EQ(FormatDuration(-1), "0:00");
  EXPECT_EQ(FormatDuration(1e300), "0:00");
}

TEST(ProgressEstimateTest, LatestRunningEndPlusQueuedOverSlots) {
  // At t=10: one case started at 0 with a 30 s budget, one at 5 with 40 s;
  // 60 s of queued budgets over 2 slots.
  std::multimap<double, double> running = {{0, 30}, {5, 40}};
  EXPECT_DOUBLE_EQ(EstimateSecondsLeft(10, running, 60, 2), 35 + 30);
  EXPECT_DOUBLE_EQ(EstimateSecondsLeft(100, running, 0, 2), 0);  // overrun: never negative
  EXPECT_DOUBLE_EQ(EstimateSecondsLeft(0, {}, 10, 0), 10);
}

// A log message erases the status line, is written, and the line comes back.
TEST(StatusLineSinkTest, LogLinesPassAboveTheStatusLine) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* tty = ::open_memstream(&buf, &len);
  ASSERT_NE(tty, nullptr);
  std::ostringstream logged;
  auto inner = std::make_shared<spdlog::sinks::ostream_sink_mt>(logged);
  inner->set_pattern("%v");
  auto sink = std::make_shared<StatusLineSink>(inner, tty);
  spdlog::logger log("t", sink);
  log.info("before any status");
  sink->SetStatus("1/2 done");
  log.info("case 04: completed");
  sink->SetStatus("");
  std::fflush(tty);
  const std::string out(buf, len);
  EXPECT_EQ(out, "1/2 done\r\x1b[K1/2 done\r\x1b[K");
  EXPECT_EQ(logged.str(), "before any status\ncase 04: completed\n");
  std::fclose(tty);
  std::free(buf);
}

TEST(RunProgressTest, EventsMoveCasesFromRunningToDoneAndCountFailures) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* tty = ::open_memstream(&buf, &len);
  auto inner = std::make_shared<spdlog::sinks::ostream_sink_mt>(std::cerr);
  auto sink = std::make_shared<StatusLineSink>(inner, tty);
  // Two real cases (03, 04) of the matrix, for their budgets.
  const std::vector<MatrixCase> two(SoLingerMatrix().cases.begin() + 2,
                                    SoLingerMatrix().cases.begin() + 4);
  ASSERT_EQ(two[0].id, "03");
  ASSERT_EQ(two[1].id, "04");
  {
    RunProgress p(two, 0.05, 0, sink);
    p.OnEvent({CaseProgress::kStarted, "03", false});
    p.OnEvent({CaseProgress::kStarted, "04", false});
    p.OnEvent({CaseProgress::kFinished, "03", true});
    std::fflush(tty);
    const std::string out(buf, len);
    EXPECT_NE(out.find("0/2 done, 1 running"), std::string::npos) << out;
    EXPECT_NE(out.find("0/2 done, 2 running"), std::string::npos) << out;
    EXPECT_NE(out.find("1/2 done, 1 running, 1 failed"), std::string::npos) << out;
    EXPECT_NE(out.find("left"), std::string::npos) << out;
  }
  std::fflush(tty);
  const std::string out(buf, len);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\x1b[K");  // erased at the end
  std::fclose(tty);
  std::free(buf);
}

}  // namespace
}  // namespace lingerlab
