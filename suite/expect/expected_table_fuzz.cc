// libFuzzer harness: the expected-table loader on arbitrary text
// (ParseBoundedJson, then ParseExpectedTable), and lookups in what it loaded.
#include <cstdint>
#include <string_view>

#include "agents/base/bounded_json.h"
#include "suite/expect/expected_table.h"
#include "suite/expect/matrix_cases.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lingerlab;
  auto doc = ParseBoundedJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc.ok()) return 0;
  auto t = ParseExpectedTable(*doc, "linux.json");
  if (!t.ok()) return 0;
  for (const auto& [id, exps] : t->cases) {
    for (const Expectation& e : exps) (void)t->Find(id, e.claim);
  }
  for (const auto& c : MatrixCases()) (void)t->Find(c.id);
  return 0;
}
