#pragma once

#include "messages/alert.hpp"
#include "messages/error.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kfix::intake {

// -- monitor queries ----------------------------------------------------------

/// A Datadog metric monitor query, taken apart
/// (`time_aggr(window):space_aggr:metric{scope} by {keys} op threshold`,
/// api-reference.md §1.7).
struct monitor_query {
  /// `change` or `pct_change` in the change form
  /// `change(avg(last_5m),last_5m):...`; empty otherwise.
  std::string change_aggregation;
  /// The change form's timeshift as written (`last_5m`, `1h_ago`).
  std::string timeshift;
  /// avg, sum, max, min.
  std::string time_aggregation;
  /// The evaluation window without `last_`: "5m", "1h", "1d", "1w".
  std::string window;
  /// The space aggregator of the first metric (avg, sum, min, max); empty
  /// when the query has none.
  std::string space_aggregation;
  /// The first metric; for formulas (`a / b > 0.9`) the numerator.
  std::string metric;
  /// Every metric of the expression, in order.
  std::vector<std::string> metrics;
  /// The first metric's scope tags, `!tag` negations included, `*` dropped.
  std::vector<std::string> scope;
  /// The group-by keys (multi-alert).
  std::vector<std::string> group_by;
  /// Functions wrapping the metrics (`default_zero`, `anomalies`, ...).
  std::vector<std::string> functions;
  /// <, <=, >, >=, ==, !=.
  std::string comparator;
  /// The critical threshold; nullopt for the keyword `threshold`.
  std::optional<double> threshold;
  /// Whether the expression combines several metrics or numbers.
  bool formula = false;
};

/// Parses a metric monitor query. Errors name what is missing or malformed.
[[nodiscard]] caf::expected<monitor_query>
parse_monitor_query(std::string_view query);

// -- webhook payloads ---------------------------------------------------------

/// Parses a webhook body: K-Fix's payload (../spec/datadog-webhook.md,
/// recognised by `kfix_payload` or `alert_id`) or Datadog's default payload
/// (api-reference.md §1.3), and enriches it: the workload, namespace, pod,
/// container and tags; value, thresholds and comparator from the `KFIX`
/// line of `body`, else from the query and `alert_status`; the alert type.
///
/// K-Fix payloads require `id`, `alert_id`, `alert_transition`, `date` and
/// one of `alert_query`/`alert_metric`; the default payload requires `id`
/// and infers the transition from the title. Every value may arrive as a
/// string or a number; an empty string means absent; unknown fields are
/// ignored. Errors are `ec::invalid_input` naming the field
/// (`missing required field "alert_id"`), the field and its JSON type, or
/// the JSON parser's reason.
[[nodiscard]] caf::expected<enriched_alert> parse_alert(std::string_view body);

/// Infers the alert type from the metric(s), the query, scope and tags, and
/// the title and body, by the first matching row of a pattern table (OOM
/// evidence before memory pressure, throttling before CPU usage, ...).
alert_type classify(const enriched_alert& alert);

/// The same, with the alert's monitor query already parsed (or null when it
/// has none or it does not parse), so that it is parsed once per alert.
alert_type classify(const enriched_alert& alert, const monitor_query* query);

// -- pieces, exposed for tests and other parsers ------------------------------

/// Splits a Datadog tag list on `,` (also `, `), trimming blanks and
/// dropping empty items.
std::vector<std::string> split_tags(std::string_view text);

/// Infers the owning workload from a pod name: `checkout-7d9f8c6b5-x2x8q`
/// (ReplicaSet hash and pod suffix) is Deployment `checkout`,
/// `ledger-db-1` (ordinal) is StatefulSet `ledger-db`. Other names give an
/// empty ref. The namespace is left empty.
workload_ref workload_from_pod_name(std::string_view pod);

/// The transition a title starts with (`[Triggered on {...}] name`,
/// `[P2] [Recovered] name`); empty when none.
std::string transition_from_title(std::string_view title);

/// The `KFIX value=... threshold=... warn_threshold=... comparator=...`
/// line of a monitor message.
struct kfix_line {
  std::optional<double> value;
  std::optional<double> threshold;
  std::optional<double> warn_threshold;
  std::string comparator;
  /// Every key=value pair of the line, numbers included (`ns`, `deploy`).
  std::map<std::string, std::string> fields;
};

/// Finds and parses the `KFIX` line of `body`; nullopt when it has none.
/// Empty values (`warn_threshold=`) and non-numbers stay absent.
std::optional<kfix_line> parse_kfix_line(std::string_view body);

} // namespace kfix::intake
