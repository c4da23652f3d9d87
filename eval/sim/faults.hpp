#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kfix::sim {

/// Fault injection and request accounting shared by the simulated APIs:
/// delays and failing statuses by path prefix, for tests of deadlines,
/// retries and error handling. Thread-safe.
class fault_injector {
public:
  /// What to do with one request: wait, then answer `failure` if set.
  struct decision {
    std::chrono::milliseconds wait{0};
    std::optional<int> failure;
  };

  /// Counts the request and returns its delay and failure, consuming one
  /// use of a failure injected with a count.
  decision on_request(const std::string& path);

  /// Answers `status` for paths starting with `prefix`, `times` times
  /// (negative: always). Replaces an earlier fault for the same prefix.
  void fail_path(std::string prefix, int status, int times);

  /// Delays the answers for paths starting with `prefix`.
  void delay_path(std::string prefix, std::chrono::milliseconds delay);

  /// Removes every fault and delay.
  void clear();

  /// Remembers a request for a path the API does not know.
  void record_unknown(std::string request_line);

  size_t request_count() const;
  std::vector<std::string> unknown_requests() const;

private:
  struct fault {
    std::string prefix;
    int status = 0;
    int remaining = -1;
  };
  struct delay {
    std::string prefix;
    std::chrono::milliseconds duration{0};
  };

  mutable std::mutex mtx_;
  std::vector<fault> faults_;
  std::vector<delay> delays_;
  size_t requests_ = 0;
  std::vector<std::string> unknown_;
};

} // namespace kfix::sim
