#pragma once

#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

/// Datadog log search syntax, evaluated over recorded log events.
namespace kfix::sim {

/// A parsed `filter.query`.
class log_query {
public:
  struct node;

  log_query();
  ~log_query();
  log_query(log_query&&) noexcept;
  log_query& operator=(log_query&&) noexcept;

  /// Parses the log search syntax: `service:x`, `status:error`, `host:x`,
  /// `@attr.path:value` (also `>`, `>=`, `<`, `<=` and `[a TO b]` on
  /// numbers), tags (`kube_namespace:shop` matched against
  /// `attributes.tags`), `key:(a OR b)`, free text (case-insensitive
  /// substring of the message), quoted phrases, `*` wildcards, implicit
  /// `AND`, `OR`, `-` / `NOT`, parentheses. An empty query or `*` matches
  /// everything.
  [[nodiscard]] static caf::expected<log_query> parse(std::string_view text);

  /// True when the log event (an item of the v2 `data` array) matches.
  bool matches(const nlohmann::json& event) const;

private:
  std::unique_ptr<node> root_;
};

/// Parses a Logs API time: ISO-8601, epoch milliseconds (number or digits),
/// or date math `now`, `now-15m`, `now-1h`, `now-2d`, `now-1w` (units s, m,
/// h, d, w) relative to `now_ms`.
std::optional<int64_t> parse_log_time(const nlohmann::json& value,
                                      int64_t now_ms);

/// The timestamp of a log event in epoch milliseconds (0 when unreadable).
int64_t log_timestamp_ms(const nlohmann::json& event);

} // namespace kfix::sim
