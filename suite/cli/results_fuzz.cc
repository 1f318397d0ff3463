// libFuzzer harness: the results readers on arbitrary text. `check` (CmdCheck:
// read, shape check, classify and compare every case, summarise) runs on the
// text written to a temporary file; `report`'s view, the Markdown and HTML
// reports and JUnit XML run on every parsed value that CheckResultsDoc
// accepts, as CmdReport and --junit do: the shape check is what guards them,
// so a throw or crash behind it is a bug. `diff` and the case timelines
// (`show`, the HTML figures) promise to read any JSON without throwing, so
// they run on every parsed value.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agents/base/bounded_json.h"
#include "suite/cli/commands.h"
#include "suite/expect/expected_table.h"
#include "suite/expect/results_doc.h"
#include "suite/expect/run_diff.h"
#include "suite/expect/run_view.h"
#include "suite/matrix/matrix.h"
#include "suite/report/case_timeline.h"
#include "suite/report/html_report.h"
#include "suite/report/junit_report.h"
#include "suite/report/markdown_report.h"
#include "suite/run/defaults.h"

namespace {
lingerlab::Matrix* matrix;
std::vector<lingerlab::ExpectedTable>* tables;
std::string* path;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  // check prints a summary line per input: keep libFuzzer's output readable.
  int null = ::open("/dev/null", O_WRONLY);
  ::dup2(null, STDOUT_FILENO);
  auto m = lingerlab::LoadMatrix(lingerlab::RepoPath("matrix/so_linger.json"));
  if (!m.ok()) {
    std::fprintf(stderr, "results_fuzz: %s\n", m.error().message.c_str());
    std::abort();
  }
  matrix = new lingerlab::Matrix(std::move(*m));
  auto t = lingerlab::LoadExpectedDir(lingerlab::RepoPath("matrix/expected"), *matrix);
  if (!t.ok()) {
    std::fprintf(stderr, "results_fuzz: %s\n", t.error().message.c_str());
    std::abort();
  }
  tables = new std::vector<lingerlab::ExpectedTable>(std::move(*t));
  char tmpl[] = "/tmp/results_fuzz.XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) std::abort();
  ::close(fd);
  path = new std::string(tmpl);
  std::atexit([] { ::unlink(path->c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lingerlab;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = ParseBoundedJson(text);
  if (!doc.ok()) return 0;
  if (CheckResultsDoc(*doc, "fuzz.json", *matrix).ok()) {
    (void)MakeRunView(*doc, *tables);
    (void)RenderMarkdownReport(*matrix, *tables, {*doc});
    (void)RenderHtmlReport(*matrix, *tables, {*doc}, {""});
    (void)RenderJunitXml(*doc, "fuzz");
  }
  std::vector<std::string> ids;
  for (const MatrixCase& c : matrix->cases) ids.push_back(c.id);
  (void)DiffRuns(*doc, *doc, ids);
  (void)DiffRuns(*doc, nlohmann::json::object(), ids);
  if (doc->is_object() && doc->contains("cases") && (*doc)["cases"].is_array())
    for (const nlohmann::json& c : (*doc)["cases"]) (void)RenderTimelineText(BuildCaseTimeline(c));
  (void)RenderTimelineText(BuildCaseTimeline(*doc));
  FILE* f = std::fopen(path->c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  CheckArgs args;
  args.results = *path;
  (void)CmdCheck(args);
  return 0;
}
