#pragma once

#include <pqxx/pqxx>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace kfix::test {

/// A database of its own on the tests' PostgreSQL (KFIX_TEST_DATABASE_URL),
/// created empty and dropped afterwards, so that tests running in parallel
/// never see each other's incidents.
class test_database {
public:
  test_database() {
    const char* base = std::getenv("KFIX_TEST_DATABASE_URL");
    if (base == nullptr || *base == '\0')
      return;
    base_ = base;
    std::random_device rd;
    name_ = "kfix_test_" + std::to_string(::getpid()) + "_"
            + std::to_string(rd() % 1'000'000);
    pqxx::connection c{base_};
    pqxx::nontransaction tx{c};
    tx.exec0("CREATE DATABASE " + name_);
    url_ = base_.substr(0, base_.rfind('/') + 1) + name_;
  }

  ~test_database() {
    if (name_.empty())
      return;
    try {
      pqxx::connection c{base_};
      pqxx::nontransaction tx{c};
      tx.exec0("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception&) {
      // The cluster is thrown away after the run anyway.
    }
  }

  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  /// Empty when KFIX_TEST_DATABASE_URL is not set.
  const std::string& url() const {
    return url_;
  }

private:
  std::string base_;
  std::string name_;
  std::string url_;
};

/// The bundled sample incidents.
inline std::filesystem::path samples_dir() {
  return std::filesystem::path{KFIX_SOURCE_DIR} / "datasets" / "samples";
}

/// A suffix unique to this process and call, so that tests running in
/// parallel never share a delivery id, an alert cycle, a branch or a folder.
inline std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000) + "-"
         + std::to_string(++counter);
}

} // namespace kfix::test
