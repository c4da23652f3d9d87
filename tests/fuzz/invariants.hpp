#pragma once

// What must hold for any input of the intake parsers, shared by the libFuzzer
// targets (tests/fuzz/) and the regression test that replays their findings
// under the normal build (tests/unit/intake/fuzz_regression_test.cpp).
//
// Each check returns an empty string when every invariant holds, otherwise a
// description of the first one that does not.

#include "actors/intake/alert_parser.hpp"
#include "messages/alert.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kfix::fuzz {

inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
         || c == '\v';
}

inline bool is_trimmed_nonempty(const std::string& x) {
  return !x.empty() && !is_blank(x.front()) && !is_blank(x.back());
}

inline bool finite_or_absent(const std::optional<double>& x) {
  return !x || std::isfinite(*x);
}

/// A failed parse must be an `invalid_input` error with a message.
inline std::string check_error(const caf::error& err) {
  if (!err)
    return "parser returned an empty error";
  if (code_of(err) != ec::invalid_input)
    return "error code is not invalid_input: " + render(err);
  if (render(err).empty())
    return "error renders as an empty string";
  return {};
}

/// Invariants of a successfully parsed monitor query.
inline std::string check_query(const intake::monitor_query& q) {
  if (q.metrics.empty())
    return "parsed query has no metrics";
  if (q.metric != q.metrics.front())
    return "metric \"" + q.metric + "\" is not the first of metrics";
  for (const auto& m : q.metrics)
    if (m.empty())
      return "empty metric name";
  static const std::vector<std::string> comparators{"<",  "<=", ">",
                                                    ">=", "==", "!="};
  bool known = false;
  for (const auto& c : comparators)
    known = known || q.comparator == c;
  if (!known)
    return "comparator \"" + q.comparator + "\" is not one of < <= > >= == !=";
  if (!finite_or_absent(q.threshold))
    return "threshold is not finite";
  if (q.time_aggregation.empty() && q.change_aggregation.empty())
    return "no time aggregation";
  for (const auto& tag : q.scope)
    if (!is_trimmed_nonempty(tag) || tag == "*")
      return "scope item \"" + tag + "\" is empty, untrimmed or '*'";
  for (const auto& key : q.group_by)
    if (!is_trimmed_nonempty(key))
      return "group-by key \"" + key + "\" is empty or untrimmed";
  return {};
}

/// Invariants of a successfully parsed webhook payload.
inline std::string check_alert(const enriched_alert& a) {
  if (a.delivery_id.empty())
    return "parsed alert has an empty delivery_id";
  auto type_index = static_cast<unsigned>(a.type);
  if (type_index > static_cast<unsigned>(alert_type::unknown))
    return "alert type " + std::to_string(type_index) + " is not an enum value";
  auto type_name = to_string(a.type);
  if (type_name.empty())
    return "alert type has no name";
  if (auto back = parse_alert_type(type_name); !back || *back != a.type)
    return "alert type name \"" + std::string{type_name}
           + "\" does not parse back";
  if (a.date_ms < 0)
    return "negative date_ms " + std::to_string(a.date_ms);
  if (!finite_or_absent(a.value) || !finite_or_absent(a.threshold)
      || !finite_or_absent(a.warn_threshold))
    return "value or threshold is not finite";
  const auto& kind = a.workload.kind;
  if (!kind.empty() && kind != "Deployment" && kind != "StatefulSet"
      && kind != "DaemonSet")
    return "workload kind \"" + kind + "\" is unknown";
  if (kind.empty() != a.workload.name.empty())
    return "workload has a kind without a name or a name without a kind";
  for (const auto& tag : a.tags)
    if (!is_trimmed_nonempty(tag))
      return "tag \"" + tag + "\" is empty or untrimmed";
  // A K-Fix payload (recognised by alert_id) requires a transition.
  if (!a.monitor_id.empty() && a.transition.empty())
    return "K-Fix payload (alert_id set) without a transition";
  // Alerts are logged, stored and published as JSON; strict serialisation
  // throws on invalid UTF-8.
  try {
    nlohmann::json j = a;
    j["body"] = a.body;
    j["link"] = a.link;
    (void)j.dump();
  } catch (const std::exception& e) {
    return std::string{"alert does not serialise to JSON: "} + e.what();
  }
  return {};
}

/// Parses `input` as a payload and checks the result either way.
inline std::string check_alert_input(std::string_view input) {
  auto alert = intake::parse_alert(input);
  if (!alert)
    return check_error(alert.error());
  return check_alert(*alert);
}

/// Parses `input` as a monitor query and checks the result either way.
inline std::string check_query_input(std::string_view input) {
  auto q = intake::parse_monitor_query(input);
  if (!q)
    return check_error(q.error());
  return check_query(*q);
}

} // namespace kfix::fuzz
