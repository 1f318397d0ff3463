// libFuzzer harness: the matrix loader on arbitrary text (ParseBoundedJson,
// then ParseMatrix), and everything a run derives from a loaded matrix.
#include <cstdint>
#include <string_view>

#include "agents/base/bounded_json.h"
#include "suite/matrix/matrix.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lingerlab;
  auto doc = ParseBoundedJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc.ok()) return 0;
  auto m = ParseMatrix(*doc, "fuzz.json");
  if (!m.ok()) return 0;
  for (const MatrixCase& c : m->cases) {
    (void)DerivedCaseName(c);
    for (double scale : {1.0, 0.05, 1e-9}) {
      (void)ApplyTimeScale(c, scale);
      (void)ParametersJson(c, scale).dump();
    }
  }
  (void)SelectCases(*m, "");
  (void)SelectCases(*m, "01,04,x");
  return 0;
}
