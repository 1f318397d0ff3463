// RunPipeline's prepare stage without root or agents: every bad request
// ends the run before a target is made or a case starts, as kBadRequest with
// the line the user sees, and the observer hears nothing.
#include "suite/run/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace lingerlab {
namespace {

namespace fs = std::filesystem;

const std::string kSource = LINGERLAB_SOURCE_DIR;

class CountingObserver final : public RunObserver {
 public:
  void CasesStarting(const std::vector<MatrixCase>&, double, size_t) override { ++calls; }
  void CaseEvent(const CaseProgress&) override { ++calls; }
  void CasesEnded() override { ++calls; }
  void ResultsReady(const nlohmann::json&, const std::string&) override { ++calls; }
  int calls = 0;
};

RunRequest Request() {
  RunRequest r;
  r.matrix = kSource + "/matrix/so_linger.json";
  r.cases = "03";
  r.time_scale = 0.05;
  return r;
}

RunOutcome Run(const RunRequest& request) {
  CountingObserver observer;
  RunOutcome outcome = RunPipeline(request, observer);
  EXPECT_EQ(observer.calls, 0);
  return outcome;
}

void ExpectBadRequest(const RunRequest& request, const std::string& says) {
  const RunOutcome outcome = Run(request);
  EXPECT_EQ(outcome.end, RunEnd::kBadRequest);
  EXPECT_NE(outcome.error.find(says), std::string::npos) << outcome.error;
  EXPECT_TRUE(outcome.results.is_null());
}

TEST(RunPipelineTest, BadRequestsEndTheRunBeforeAnyCase) {
  RunRequest r = Request();
  r.ip = 6;
  r.target = "gvisor";
  ExpectBadRequest(r, "--ip 6 is only for --target netns");

  r = Request();
  r.matrix = kSource + "/matrix/no-such-matrix.json";
  ExpectBadRequest(r, "no-such-matrix.json");

  r = Request();
  r.cases = "99";
  ExpectBadRequest(r, "99");

  r = Request();
  r.expect_family = "plan9";
  ExpectBadRequest(r, "no expected table for family 'plan9'");

  r = Request();
  r.target = "no-such-target";
  ExpectBadRequest(r, "no-such-target");
}

TEST(RunPipelineTest, AnOutputDirectoryHoldingResultsIsRefusedWithoutOverwrite) {
  const fs::path dir = fs::temp_directory_path() / ("pipeline_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "results.json") << "{}";
  RunRequest r = Request();
  r.out = dir.string();
  ExpectBadRequest(r, "already holds results.json; choose another --out, or pass --overwrite");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lingerlab
