// Replays the fuzzers' inputs under the normal build: every finding kept
// under tests/data/fuzz/<alert_parser|monitor_query>/ and the seed corpora
// tests/fuzz/corpus/<...>/ must give a value or an error, never a crash or a
// hang, and satisfy the invariants the fuzz targets check
// (tests/fuzz/invariants.hpp). Add a finding by copying the input that
// tools/fuzz.sh reports into the matching directory.

#include "tests/fuzz/invariants.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace kfix::intake {
namespace {

namespace fs = std::filesystem;

/// Longest a single input may take. The parsers are linear; the quadratic
/// bracket matching these regressions caught took seconds per input.
constexpr auto max_duration = std::chrono::milliseconds{500};

fs::path source_dir() {
  return fs::path{KFIX_SOURCE_DIR};
}

/// Regular files of `dir`, sorted, without dot files and READMEs.
std::vector<fs::path> inputs_in(const fs::path& dir) {
  std::vector<fs::path> result;
  if (!fs::is_directory(dir))
    return result;
  for (const auto& entry : fs::directory_iterator{dir}) {
    auto name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.empty() || name[0] == '.'
        || name.rfind("README", 0) == 0)
      continue;
    result.push_back(entry.path());
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  EXPECT_TRUE(in) << "cannot open " << path;
  return std::string{std::istreambuf_iterator<char>{in},
                     std::istreambuf_iterator<char>{}};
}

template <class Check>
size_t replay(const fs::path& dir, Check check) {
  auto files = inputs_in(dir);
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    auto input = read_bytes(path);
    auto start = std::chrono::steady_clock::now();
    auto violation = check(input);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(violation, "");
    EXPECT_LT(took, max_duration)
      << "took "
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms";
  }
  return files.size();
}

std::string check_alert_input(const std::string& input) {
  return fuzz::check_alert_input(input);
}

std::string check_query_input(const std::string& input) {
  return fuzz::check_query_input(input);
}

TEST(FuzzRegression, AlertParserFindings) {
  replay(source_dir() / "tests/data/fuzz/alert_parser", check_alert_input);
}

TEST(FuzzRegression, MonitorQueryFindings) {
  replay(source_dir() / "tests/data/fuzz/monitor_query", check_query_input);
}

TEST(FuzzRegression, AlertParserSeedCorpus) {
  auto n = replay(source_dir() / "tests/fuzz/corpus/alert_parser",
                  check_alert_input);
  EXPECT_GE(n, 10u) << "the seed corpus went missing";
}

TEST(FuzzRegression, MonitorQuerySeedCorpus) {
  auto dir = source_dir() / "tests/fuzz/corpus/monitor_query";
  auto n = replay(dir, check_query_input);
  EXPECT_GE(n, 12u) << "the seed corpus went missing";
  // The seeds are valid Datadog queries: they must parse, or the fuzzer
  // starts from error paths only.
  for (const auto& path : inputs_in(dir)) {
    auto q = parse_monitor_query(read_bytes(path));
    EXPECT_TRUE(q) << path << ": " << render(q.error());
  }
}

} // namespace
} // namespace kfix::intake
