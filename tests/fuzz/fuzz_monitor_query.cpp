// libFuzzer target: kfix::intake::parse_monitor_query on arbitrary text.
// Must never crash, leak or hang; a successful parse must satisfy the
// invariants of tests/fuzz/invariants.hpp. Build with -DKFIX_FUZZ=ON (clang),
// run with tools/fuzz.sh.

#include "tests/fuzz/invariants.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  if (auto violation = kfix::fuzz::check_query_input(input);
      !violation.empty()) {
    std::fprintf(stderr, "fuzz_monitor_query: invariant violated: %s\n",
                 violation.c_str());
    std::abort();
  }
  return 0;
}
