#include "eval/sim/dd_metrics.hpp"

#include "eval/sim/util.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace kfix::sim {

namespace {

using json = nlohmann::json;

bool is_metric_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

caf::error parse_error(std::string_view text, const std::string& why) {
  return make_error(ec::invalid_input, "Error parsing query: unable to parse "
                                         + std::string{text} + ": " + why);
}

// The percentile of a distribution aggregator ("p99" -> 99), or nullopt.
std::optional<double> percentile_of(const std::string& aggregator) {
  static const char* const known[] = {"p50", "p75", "p90", "p95", "p99"};
  for (auto k : known)
    if (aggregator == k)
      return std::stod(aggregator.substr(1));
  return std::nullopt;
}

// Parses one query out of `text` (functions around it are skipped).
caf::expected<metric_query> parse_one(std::string_view text) {
  metric_query q;
  auto open = text.find('{');
  if (open == std::string_view::npos)
    return parse_error(text, "Rule 'scope_expr' didn't match");
  auto end = open;
  auto begin = end;
  while (begin > 0 && is_metric_char(text[begin - 1]))
    --begin;
  q.metric = std::string{text.substr(begin, end - begin)};
  if (q.metric.empty())
    return parse_error(text, "missing metric name");
  if (begin > 0 && text[begin - 1] == ':') {
    auto agg_end = begin - 1;
    auto agg_begin = agg_end;
    while (agg_begin > 0
           && std::isalnum(static_cast<unsigned char>(text[agg_begin - 1])))
      --agg_begin;
    q.aggregator = to_lower(text.substr(agg_begin, agg_end - agg_begin));
    if (q.aggregator != "avg" && q.aggregator != "sum" && q.aggregator != "min"
        && q.aggregator != "max" && !percentile_of(q.aggregator))
      return parse_error(text, "unknown aggregator " + q.aggregator);
  }
  auto close = text.find('}', open);
  if (close == std::string_view::npos)
    return parse_error(text, "missing '}'");
  auto scope = trim(text.substr(open + 1, close - open - 1));
  if (!scope.empty() && scope != "*") {
    for (auto& part : split_top_level(scope, ',')) {
      // `a AND b` is the same as `a,b`.
      std::string rest = part;
      size_t pos = 0;
      while ((pos = rest.find(" AND ")) != std::string::npos) {
        auto term = std::string{trim(std::string_view{rest}.substr(0, pos))};
        if (!term.empty())
          q.scope.push_back(to_lower(term));
        rest = rest.substr(pos + 5);
      }
      auto term = std::string{trim(rest)};
      if (term.empty())
        return parse_error(text, "empty scope term");
      if (term != "*")
        q.scope.push_back(to_lower(term));
    }
  }
  // Modifiers and `by {...}` after the scope.
  auto pos = close + 1;
  for (;;) {
    while (pos < text.size()
           && std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
    if (pos >= text.size())
      break;
    if (text[pos] == '.') {
      auto name_end = pos + 1;
      while (name_end < text.size()
             && (std::isalnum(static_cast<unsigned char>(text[name_end]))
                 || text[name_end] == '_'))
        ++name_end;
      auto name = text.substr(pos + 1, name_end - pos - 1);
      if (name_end >= text.size() || text[name_end] != '(')
        return parse_error(text, "expected '(' after ." + std::string{name});
      auto args_end = text.find(')', name_end);
      if (args_end == std::string_view::npos)
        return parse_error(text, "missing ')'");
      if (name == "rollup") {
        auto args
          = split(text.substr(name_end + 1, args_end - name_end - 1), ',');
        for (auto& a : args) {
          auto arg = std::string{trim(a)};
          if (arg.empty())
            continue;
          if (auto n = parse_int(arg))
            q.rollup_seconds = *n;
          else
            q.rollup_method = to_lower(arg);
        }
        if (!q.rollup_method.empty() && q.rollup_method != "avg"
            && q.rollup_method != "sum" && q.rollup_method != "min"
            && q.rollup_method != "max" && q.rollup_method != "count")
          return parse_error(text, "unknown rollup method " + q.rollup_method);
      }
      pos = args_end + 1;
      continue;
    }
    if (text.compare(pos, 2, "by") == 0 && q.group_by.empty()) {
      auto brace = pos + 2;
      while (brace < text.size()
             && std::isspace(static_cast<unsigned char>(text[brace])))
        ++brace;
      if (brace >= text.size() || text[brace] != '{')
        break;
      auto brace_end = text.find('}', brace);
      if (brace_end == std::string_view::npos)
        return parse_error(text, "missing '}' after by");
      for (auto& key :
           split(text.substr(brace + 1, brace_end - brace - 1), ',')) {
        auto k = to_lower(trim(key));
        if (k.empty())
          return parse_error(text, "empty group-by key");
        q.group_by.push_back(std::move(k));
      }
      pos = brace_end + 1;
      continue;
    }
    break;
  }
  return q;
}

std::string tag_value(const std::vector<std::string>& tags,
                      const std::string& key) {
  auto prefix = key + ":";
  for (const auto& t : tags)
    if (starts_with(to_lower(t), prefix))
      return t.substr(prefix.size());
  return "N/A";
}

double combine(const std::string& method, const std::vector<double>& values) {
  if (auto p = percentile_of(method)) {
    // Nearest rank over the member series' values at this point.
    auto sorted = values;
    std::sort(sorted.begin(), sorted.end());
    auto rank = static_cast<size_t>(
      std::ceil(*p / 100.0 * static_cast<double>(sorted.size()) - 1e-9));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
  }
  if (method == "sum") {
    double total = 0;
    for (auto v : values)
      total += v;
    return total;
  }
  if (method == "min")
    return *std::min_element(values.begin(), values.end());
  if (method == "max")
    return *std::max_element(values.begin(), values.end());
  if (method == "count")
    return static_cast<double>(values.size());
  double total = 0;
  for (auto v : values)
    total += v;
  return total / static_cast<double>(values.size());
}

std::string joined_key(const std::vector<std::string>& parts) {
  std::string result;
  for (const auto& p : parts) {
    if (!result.empty())
      result += ',';
    result += p;
  }
  return result;
}

std::vector<std::string> tags_of(const json& s) {
  std::vector<std::string> tags;
  if (s.contains("tags") && s["tags"].is_array())
    for (const auto& t : s["tags"])
      if (t.is_string())
        tags.push_back(t.get<std::string>());
  return tags;
}

} // namespace

caf::expected<std::vector<metric_query>>
parse_metric_query(std::string_view text) {
  std::vector<metric_query> result;
  if (trim(text).empty())
    return make_error(ec::invalid_input, "Error parsing query: empty query");
  for (auto& part : split_top_level(text, ',')) {
    auto q = parse_one(trim(part));
    if (!q)
      return q.error();
    result.push_back(std::move(*q));
  }
  return result;
}

bool scope_matches(const std::vector<std::string>& scope,
                   const std::vector<std::string>& tags) {
  for (const auto& term : scope) {
    bool negated = !term.empty() && term[0] == '!';
    auto pattern
      = negated ? std::string_view{term}.substr(1) : std::string_view{term};
    bool found = std::any_of(tags.begin(), tags.end(), [&](const auto& t) {
      return glob_match_icase(pattern, t);
    });
    if (found == negated)
      return false;
  }
  return true;
}

json unit_json(std::string_view unit) {
  auto u = to_lower(unit);
  auto entry = [](const char* family, const char* name, const char* plural,
                  double scale, const char* short_name, int id) {
    return json{{"family", family},      {"id", id},
                {"name", name},          {"plural", plural},
                {"scale_factor", scale}, {"short_name", short_name}};
  };
  json primary;
  if (u == "byte" || u == "bytes")
    primary = entry("bytes", "byte", "bytes", 1.0, "B", 2);
  else if (u == "kibibyte")
    primary = entry("bytes", "kibibyte", "kibibytes", 1024.0, "KiB", 3);
  else if (u == "mebibyte")
    primary = entry("bytes", "mebibyte", "mebibytes", 1048576.0, "MiB", 4);
  else if (u == "nanocore" || u == "nanocores")
    primary = entry("cpu", "nanocore", "nanocores", 1e-9, "ncores", 121);
  else if (u == "millicore" || u == "millicores")
    primary = entry("cpu", "millicore", "millicores", 0.001, "mcores", 120);
  else if (u == "core" || u == "cores")
    primary = entry("cpu", "core", "cores", 1.0, "core", 31);
  else if (u == "percent" || u == "%")
    primary = entry("percentage", "percent", "percent", 1.0, "%", 17);
  else if (u == "fraction")
    primary = entry("percentage", "fraction", "fractions", 1.0, "", 16);
  else if (u == "second" || u == "seconds")
    primary = entry("time", "second", "seconds", 1.0, "s", 11);
  else if (u == "millisecond" || u == "milliseconds")
    primary = entry("time", "millisecond", "milliseconds", 0.001, "ms", 10);
  else if (u == "nanosecond" || u == "nanoseconds")
    primary = entry("time", "nanosecond", "nanoseconds", 1e-9, "ns", 8);
  else if (u == "request" || u == "requests")
    primary = entry("network", "request", "requests", 1.0, "req", 19);
  else if (u == "error" || u == "errors")
    primary = entry("general", "error", "errors", 1.0, "err", 46);
  else if (u == "event" || u == "events")
    primary = entry("general", "event", "events", 1.0, "event", 44);
  else if (u == "restart" || u == "restarts")
    primary = entry("general", "restart", "restarts", 1.0, "restart", 175);
  else if (!u.empty())
    primary = entry("general", u.c_str(), (u + "s").c_str(), 1.0, u.c_str(), 0);
  if (primary.is_null())
    return nullptr;
  return json::array({primary, nullptr});
}

json evaluate_metric_query(const std::string& query_text,
                           const std::vector<metric_query>& queries,
                           int64_t from_s, int64_t to_s,
                           const std::vector<json>& series) {
  json out_series = json::array();
  std::vector<std::string> all_groups;
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    const auto& q = queries[qi];
    for (const auto& key : q.group_by)
      if (std::find(all_groups.begin(), all_groups.end(), key)
          == all_groups.end())
        all_groups.push_back(key);
    auto aggregator = q.aggregator.empty() ? std::string{"avg"} : q.aggregator;
    auto rollup_method
      = q.rollup_method.empty() ? std::string{"avg"} : q.rollup_method;
    struct group {
      std::vector<std::string> tags;
      // timestamp (s) -> values of the member series
      std::map<int64_t, std::vector<double>> points;
      int64_t interval = 0;
      std::string unit;
    };
    std::map<std::string, group> groups;
    for (const auto& s : series) {
      if (s.value("metric", "") != q.metric)
        continue;
      auto tags = tags_of(s);
      if (!scope_matches(q.scope, tags))
        continue;
      std::vector<std::string> group_tags;
      for (const auto& key : q.group_by)
        group_tags.push_back(key + ":" + tag_value(tags, key));
      auto id = joined_key(group_tags);
      auto& g = groups[id];
      g.tags = group_tags;
      if (g.unit.empty() && s.contains("unit") && s["unit"].is_string())
        g.unit = s["unit"].get<std::string>();
      // This series' points, rolled up in time when asked.
      std::map<int64_t, std::vector<double>> own;
      int64_t interval = s.contains("interval") && s["interval"].is_number()
                           ? s["interval"].get<int64_t>()
                           : 0;
      int64_t last = std::numeric_limits<int64_t>::min();
      for (const auto& p : s["points"]) {
        if (p[1].is_null())
          continue;
        auto ts = static_cast<int64_t>(p[0].get<double>());
        if (interval == 0 && last != std::numeric_limits<int64_t>::min()
            && ts > last)
          interval = ts - last;
        last = ts;
        if (ts < from_s || ts > to_s)
          continue;
        auto bucket = q.rollup_seconds > 0
                        ? ts
                            - ((ts % q.rollup_seconds) + q.rollup_seconds)
                                % q.rollup_seconds
                        : ts;
        own[bucket].push_back(p[1].get<double>());
      }
      if (q.rollup_seconds > 0)
        interval = q.rollup_seconds;
      g.interval = std::max(g.interval, interval);
      for (auto& [ts, values] : own)
        g.points[ts].push_back(combine(rollup_method, values));
    }
    for (auto& [id, g] : groups) {
      if (g.points.empty())
        continue;
      json pointlist = json::array();
      for (auto& [ts, values] : g.points)
        pointlist.push_back(json::array(
          {static_cast<double>(ts) * 1000.0, combine(aggregator, values)}));
      std::string scope;
      if (q.group_by.empty()) {
        std::vector<std::string> terms = q.scope;
        scope = terms.empty() ? std::string{"*"} : joined_key(terms);
      } else {
        std::set<std::string> terms(q.scope.begin(), q.scope.end());
        terms.insert(g.tags.begin(), g.tags.end());
        scope = joined_key({terms.begin(), terms.end()});
      }
      auto expression
        = (q.aggregator.empty() ? std::string{} : q.aggregator + ":") + q.metric
          + "{" + scope + "}";
      json entry{{"metric", q.metric},
                 {"display_name", q.metric},
                 {"expression", expression},
                 {"scope", scope},
                 {"tag_set", g.tags},
                 {"aggr", q.aggregator.empty() ? json{} : json(q.aggregator)},
                 {"start", pointlist.front()[0]},
                 {"end", pointlist.back()[0]},
                 {"interval", g.interval > 0 ? g.interval : 60},
                 {"length", pointlist.size()},
                 {"query_index", qi},
                 {"attributes", json::object()},
                 {"pointlist", pointlist},
                 {"unit", unit_json(g.unit)}};
      out_series.push_back(std::move(entry));
    }
  }
  return json{{"status", "ok"},
              {"res_type", "time_series"},
              {"resp_version", 1},
              {"query", query_text},
              {"message", ""},
              {"group_by", all_groups},
              {"from_date", from_s * 1000},
              {"to_date", to_s * 1000},
              {"series", out_series},
              {"times", json::array()},
              {"values", json::array()}};
}

} // namespace kfix::sim
