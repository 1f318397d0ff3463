// What `check`, `diff`, `report` and `show` do with saved results files
// (doc/results-format.md), as library calls: each loads the matrix and the
// files it names, does its one job and returns the product; the caller
// prints it and writes any output file. Every failure is one line naming the
// file (and field) at fault: a bad matrix, expected table or results file,
// an unknown family or case, is kInvalidInput or kNotFound, never an
// exception. Nothing here writes a file or prints.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "suite/expect/run_diff.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// `check`: a saved run analysed again by this version.
struct CheckRequest {
  std::string results;
  std::string matrix = "matrix/so_linger.json";
  std::string expect_family;
  std::string expected_dir;  // "": the matrix's own (Matrix::expected_dir)
};
struct CheckedResults {
  Matrix matrix;
  nlohmann::json doc;  // every case with a fresh outcome and verdict, and a fresh summary
};
// A completed case whose analysis fails (the file has content the shape
// check did not foresee) is a bad file, not a verdict.
Result<CheckedResults> CheckResults(const CheckRequest& request);

// `diff`: per case, the claims that changed from `base` to `now`.
struct DiffRequest {
  std::string base, now;  // two results files of the same matrix
  std::string matrix = "matrix/so_linger.json";
  std::string
      cases;  // "": every case; else only these ids (a run of a few cases against a full one)
  std::string expect_family;
  std::string expected_dir;  // "": the matrix's own (Matrix::expected_dir)
};
struct RunsDiff {
  std::vector<ClaimChange> changes;  // in the matrix's case order
  size_t compared = 0;               // cases compared (the larger side's count)
};
// Both sides are classified and compared by this version, so a classifier
// change between the two runs is not a change of the stack's behaviour.
// Logs a warning when the runs' time scales differ.
Result<RunsDiff> DiffResults(const DiffRequest& request);

// `report`: Markdown ("md") or a self-contained HTML page over results files.
struct ReportRequest {
  std::vector<std::string> results;
  std::string matrix = "matrix/so_linger.json";
  std::string format = "md";
  std::string expected_dir;  // "": the matrix's own (Matrix::expected_dir)
  std::string out;  // where the page will be written ("": stdout): pcap links are relative to it
};
Result<std::string> RenderReport(const ReportRequest& request);

// `show`: one case of a results file as a timeline, in text. `case_id` is
// the case's id, its id__name, or a repetition's stem id__name__rK;
// `repetition` K (0: the first) picks one of a --repeat run's documents.
// kNotFound lists the ids the file has, or says the repetition is not there.
Result<std::string> CaseTimelineText(const std::string& results, const std::string& case_id,
                                     const std::string& matrix, int repetition = 0);

}  // namespace lingerlab
