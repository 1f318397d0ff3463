// libFuzzer harness: the expected-table loader on arbitrary text
// (ParseBoundedJson, then ParseExpectedTable against the shipped matrix), and
// lookups in what it loaded for every case of that matrix.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "agents/base/bounded_json.h"
#include "suite/expect/expected_table.h"
#include "suite/matrix/matrix.h"

#ifndef LINGERLAB_SOURCE_DIR
#define LINGERLAB_SOURCE_DIR "."
#endif

namespace {
const lingerlab::Matrix* matrix;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto m = lingerlab::LoadMatrix(LINGERLAB_SOURCE_DIR "/matrix/so_linger.json");
  if (!m.ok()) {
    std::fprintf(stderr, "expected_table_fuzz: %s\n", m.error().message.c_str());
    std::abort();
  }
  matrix = new lingerlab::Matrix(std::move(*m));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lingerlab;
  auto doc = ParseBoundedJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc.ok()) return 0;
  auto t = ParseExpectedTable(*doc, "linux.json", *matrix);
  if (!t.ok()) return 0;
  for (const auto& [id, exps] : t->cases) {
    for (const Expectation& e : exps) (void)t->Find(id, e.claim);
  }
  for (const MatrixCase& c : matrix->cases) (void)t->Find(c.id);
  return 0;
}
