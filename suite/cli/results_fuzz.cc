// libFuzzer harness: the results loaders on arbitrary text. `check` (CmdCheck:
// read, shape check, classify and compare every case, summarise) runs on the
// text written to a temporary file; `report`'s view and Markdown rendering
// run on the parsed value. Only text ParseBoundedJson accepts goes on, as the
// loaders are meant to parse through it (deeper nesting is rejected there).
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "agents/base/bounded_json.h"
#include "suite/cli/commands.h"
#include "suite/expect/expected_table.h"
#include "suite/expect/report.h"
#include "suite/expect/run_view.h"

namespace {
std::vector<lingerlab::ExpectedTable>* tables;
std::string* path;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  // check prints a summary line per input: keep libFuzzer's output readable.
  int null = ::open("/dev/null", O_WRONLY);
  ::dup2(null, STDOUT_FILENO);
  auto t = lingerlab::LoadExpectedDir(lingerlab::RepoPath("matrix/expected"));
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
  (void)MakeRunView(*doc, *tables);
  try {
    (void)RenderMarkdownReport(*tables, {*doc});
  } catch (const std::exception&) {
    // CmdReport turns a throw here into "a results file has fields of the
    // wrong type" (exit 2): allowed.
  }
  FILE* f = std::fopen(path->c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  CheckArgs args;
  args.results = *path;
  (void)CmdCheck(args);
  return 0;
}
