#pragma once

#include "messages/context.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kfix::context {

/// The normalised text of a log message: UUIDs, timestamps, IP addresses
/// (with ports), long hexadecimal ids, pod-name suffixes and numbers become
/// `<uuid>`, `<time>`, `<ip>`, `<hex>`, `<id>` and `<num>`; whitespace runs
/// collapse; at most 300 bytes. RE2 only: linear in the message length.
std::string log_template(std::string_view message);

/// Groups log records by (status, service, template) as they arrive, in
/// bounded memory: at most `max_groups` groups; records of new templates
/// beyond it are only counted.
class log_pattern_builder {
public:
  explicit log_pattern_builder(size_t max_groups = 1000);

  /// Adds one (already redacted) record.
  void add(const log_record& record);

  /// The groups, most frequent first (then most recent), at most `cap`.
  std::vector<log_pattern> finish(size_t cap) const;

  /// Records added.
  int64_t events() const {
    return events_;
  }

  /// Records not in any group (beyond `max_groups`).
  int64_t ungrouped() const {
    return ungrouped_;
  }

private:
  struct group {
    log_pattern pattern;
    int64_t first_ms = 0;
    int64_t last_ms = 0;
  };
  size_t max_groups_;
  std::map<std::string, group> groups_;
  int64_t events_ = 0;
  int64_t ungrouped_ = 0;
};

} // namespace kfix::context
