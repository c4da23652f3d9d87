#pragma once

#include "actors/common/http.hpp"
#include "eval/sim/state.hpp"
#include "eval/sim/util.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace kfix::sim::test {

inline std::filesystem::path data_dir() {
  return std::filesystem::path{KFIX_SOURCE_DIR} / "tests" / "data" / "sim";
}

inline std::filesystem::path incident_dir() {
  return data_dir() / "sim-checkout-oom";
}

/// The test incident's state, loaded once.
inline const cluster_state& test_state() {
  static const cluster_state state = [] {
    auto loaded = load_state(incident_dir() / "state");
    if (!loaded) {
      ADD_FAILURE() << render(loaded.error());
      return cluster_state{};
    }
    return std::move(*loaded);
  }();
  return state;
}

/// A request as the HTTP server hands it over: path and query split and
/// decoded from `target`.
inline http::request
make_request(std::string method, std::string target, std::string body = {},
             std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.path = request_path(req);
  req.query = request_query(req);
  req.body = std::move(body);
  for (auto& [name, value] : headers)
    req.headers.emplace(to_lower(name), value);
  return req;
}

inline nlohmann::json body_of(const http::response& resp) {
  auto doc = nlohmann::json::parse(resp.body, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << resp.body;
  return doc;
}

inline std::string header_of(const http::response& resp,
                             const std::string& name) {
  for (const auto& [key, value] : resp.headers)
    if (to_lower(key) == to_lower(name))
      return value;
  return {};
}

/// A temporary folder removed at the end of the test.
class temp_dir {
public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path()
            / ("kfix-sim-test-" + std::to_string(::getpid()) + "-"
               + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const {
    return path_;
  }

private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path,
                       const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

} // namespace kfix::sim::test
