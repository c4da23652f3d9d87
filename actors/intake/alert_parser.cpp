#include "actors/intake/alert_parser.hpp"

#include <re2/re2.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <utility>

namespace kfix::intake {

namespace {

// -- text helpers -------------------------------------------------------------

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
         || c == '\v';
}

std::string_view trim(std::string_view x) {
  while (!x.empty() && is_space(x.front()))
    x.remove_prefix(1);
  while (!x.empty() && is_space(x.back()))
    x.remove_suffix(1);
  return x;
}

bool starts_with(std::string_view x, std::string_view prefix) {
  return x.substr(0, prefix.size()) == prefix;
}

/// Parses a whole string as a finite double ("1.02e9", "900000000.0").
/// Thousands separators (`1,020`) are tolerated.
std::optional<double> to_number(std::string_view text) {
  std::string buf;
  for (auto c : trim(text))
    if (c != ',')
      buf += c;
  if (buf.empty())
    return std::nullopt;
  char* end = nullptr;
  errno = 0;
  auto x = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || errno == ERANGE || !std::isfinite(x))
    return std::nullopt;
  return x;
}

std::string double_to_text(double x) {
  if (std::floor(x) == x && std::fabs(x) < 9e15)
    return std::to_string(static_cast<int64_t>(x));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", x);
  if (std::strtod(buf, nullptr) != x)
    std::snprintf(buf, sizeof(buf), "%.17g", x);
  return buf;
}

/// Splits `key:value` at the first colon; a tag without one has an empty
/// value.
std::pair<std::string, std::string> split_tag(std::string_view tag) {
  auto i = tag.find(':');
  if (i == std::string_view::npos)
    return {std::string{tag}, {}};
  return {std::string{tag.substr(0, i)}, std::string{tag.substr(i + 1)}};
}

// -- JSON fields --------------------------------------------------------------

const char* type_name(simdjson::dom::element_type type) {
  using simdjson::dom::element_type;
  switch (type) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "unknown";
}

caf::error wrong_type(std::string_view key, const char* type,
                      const char* expected) {
  return make_error(ec::invalid_input, "field \"" + std::string{key}
                                         + "\" has type " + type + ", expected "
                                         + expected);
}

/// Reads a field that Datadog substitutes as text. Absent, null and empty
/// strings give an empty string; numbers are accepted as their text.
caf::expected<std::string> text_field(const simdjson::dom::object& obj,
                                      std::string_view key) {
  using simdjson::dom::element_type;
  simdjson::dom::element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS)
    return std::string{};
  switch (value.type()) {
    case element_type::STRING: {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS)
        return std::string{};
      return std::string{trim(text)};
    }
    case element_type::INT64:
      return std::to_string(value.get_int64().value_unsafe());
    case element_type::UINT64:
      return std::to_string(value.get_uint64().value_unsafe());
    case element_type::DOUBLE:
      return double_to_text(value.get_double().value_unsafe());
    case element_type::NULL_VALUE:
      return std::string{};
    default:
      return wrong_type(key, type_name(value.type()), "a string");
  }
}

/// Reads `tags`: a comma-separated string, or (tolerated) an array of
/// strings.
caf::expected<std::vector<std::string>>
tags_field(const simdjson::dom::object& obj, std::string_view key) {
  simdjson::dom::element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS)
    return std::vector<std::string>{};
  if (value.type() == simdjson::dom::element_type::ARRAY) {
    std::vector<std::string> result;
    for (auto item : simdjson::dom::array(value)) {
      std::string_view text;
      if (item.get_string().get(text) != simdjson::SUCCESS)
        return wrong_type(key, "array with non-string items",
                          "a string of comma-separated tags");
      for (auto& tag : split_tags(text))
        result.push_back(std::move(tag));
    }
    return result;
  }
  auto text = text_field(obj, key);
  if (!text)
    return std::move(text.error());
  return split_tags(*text);
}

caf::error missing_field(std::string_view key) {
  return make_error(ec::invalid_input,
                    "missing required field \"" + std::string{key} + "\"");
}

/// Epoch milliseconds from `$DATE`; values below 1e11 are taken as seconds
/// (`$DATE_POSIX`), which would otherwise be dates in 1973.
caf::expected<int64_t> parse_date(std::string_view text) {
  auto x = to_number(text);
  if (!x || *x < 0 || *x > 9e15)
    return make_error(ec::invalid_input,
                      "field \"date\" is not epoch milliseconds: \""
                        + std::string{text} + "\"");
  auto ms = static_cast<int64_t>(*x);
  if (ms < 100'000'000'000)
    ms *= 1000;
  return ms;
}

// -- tags and sources ---------------------------------------------------------

using tag_list = std::vector<std::pair<std::string, std::string>>;

tag_list to_tag_list(const std::vector<std::string>& tags) {
  tag_list result;
  for (const auto& tag : tags) {
    if (!tag.empty() && tag[0] == '!')
      continue; // a negated scope tag says where the alert is not
    auto kv = split_tag(tag);
    if (kv.second.empty() || kv.second.find('*') != std::string::npos)
      continue;
    result.push_back(std::move(kv));
  }
  return result;
}

/// Where tag values come from, best first.
struct tag_sources {
  std::vector<tag_list> lists;

  std::string lookup(std::string_view key) const {
    for (const auto& list : lists)
      for (const auto& [k, v] : list)
        if (k == key && !v.empty())
          return v;
    return {};
  }
};

constexpr std::array<std::pair<std::string_view, std::string_view>, 3>
  workload_kinds{{
    {"kube_deployment", "Deployment"},
    {"kube_stateful_set", "StatefulSet"},
    {"kube_daemon_set", "DaemonSet"},
  }};

workload_ref workload_from_sources(const tag_sources& sources) {
  for (const auto& list : sources.lists) {
    for (const auto& [key, kind] : workload_kinds)
      for (const auto& [k, v] : list)
        if (k == key && !v.empty())
          return {std::string{kind}, {}, v};
    for (const auto& [k, v] : list)
      if (k == "kube_replica_set" && !v.empty()) {
        // <deployment>-<pod-template-hash>
        auto ref = workload_from_pod_name(v + "-xxxxx");
        if (!ref.empty())
          return ref;
      }
  }
  return {};
}

// -- regular expressions ------------------------------------------------------

const RE2& title_transition_re() {
  static const RE2 re{
    R"re(\[(Re-Triggered|Triggered|Recovered|Re-Warn|Warn)re"
    R"re(|Re-No Data|No Data|Renotify|Null)(?: on \{([^}]*)\})?\])re"};
  return re;
}

const RE2& kfix_line_re() {
  static const RE2 re{R"((?m)(?:^|[^A-Za-z0-9_])KFIX[ \t]+([^\r\n]*))"};
  return re;
}

/// "kubernetes.memory.usage over kube_deployment:checkout,kube_namespace:shop
/// was > 900000000.0 on average ..." ($ALERT_STATUS and the rendered
/// message, with Markdown bold removed).
const RE2& status_sentence_re() {
  static const RE2 re{
    R"re(([A-Za-z][A-Za-z0-9_.]*) over (.+?) was )re"
    R"re((>=|<=|>|<|==|!=) ?(-?[0-9][0-9.]*(?:[eE][-+]?[0-9]+)?))re"};
  return re;
}

std::string without_bold(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '*' && i + 1 < text.size() && text[i + 1] == '*') {
      ++i;
      continue;
    }
    result += text[i];
  }
  return result;
}

std::string normalize_comparator(std::string_view text) {
  auto c = std::string{trim(text)};
  static const std::array<std::pair<std::string_view, std::string_view>, 8>
    aliases{{{"&gt;", ">"},
             {"&gt;=", ">="},
             {"&lt;", "<"},
             {"&lt;=", "<="},
             {"above", ">"},
             {"below", "<"},
             {"above or equal to", ">="},
             {"below or equal to", "<="}}};
  for (const auto& [alias, op] : aliases)
    if (c == alias)
      return std::string{op};
  return c;
}

} // namespace

// -- pieces -------------------------------------------------------------------

std::vector<std::string> split_tags(std::string_view text) {
  std::vector<std::string> result;
  size_t pos = 0;
  while (pos <= text.size()) {
    auto next = text.find(',', pos);
    if (next == std::string_view::npos)
      next = text.size();
    auto item = trim(text.substr(pos, next - pos));
    if (!item.empty())
      result.emplace_back(item);
    pos = next + 1;
  }
  return result;
}

workload_ref workload_from_pod_name(std::string_view pod) {
  // Pod-template hashes and pod suffixes use Kubernetes' SafeEncodeString
  // alphabet (no vowels, no 0/1/3), so words like "worker" never match;
  // hashes of old clusters were decimal.
  static const RE2 deployment_re{
    R"re(([a-z0-9][a-z0-9.-]*?)-(?:[bcdfghjklmnpqrstvwxz2456789]{4,10})re"
    R"re(|[0-9]{6,10})-[bcdfghjklmnpqrstvwxz2456789]{5})re"};
  static const RE2 stateful_set_re{R"(([a-z0-9][a-z0-9.-]*?)-([0-9]+))"};
  std::string name;
  re2::StringPiece input{pod.data(), pod.size()};
  if (RE2::FullMatch(input, deployment_re, &name))
    return {"Deployment", {}, name};
  if (RE2::FullMatch(input, stateful_set_re, &name))
    return {"StatefulSet", {}, name};
  return {};
}

std::string transition_from_title(std::string_view title) {
  std::string transition;
  re2::StringPiece input{title.data(), title.size()};
  if (RE2::PartialMatch(input, title_transition_re(), &transition))
    return transition;
  return {};
}

std::optional<kfix_line> parse_kfix_line(std::string_view body) {
  std::string rest;
  re2::StringPiece input{body.data(), body.size()};
  if (!RE2::PartialMatch(input, kfix_line_re(), &rest))
    return std::nullopt;
  kfix_line result;
  std::string_view line{rest};
  while (true) {
    line = trim(line);
    if (line.empty())
      break;
    auto end = std::find_if(line.begin(), line.end(), is_space) - line.begin();
    auto token = line.substr(0, end);
    line.remove_prefix(end);
    auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0)
      break; // "@webhook-kfix" or prose after the pairs
    auto key = std::string{token.substr(0, eq)};
    auto value = std::string{token.substr(eq + 1)};
    result.fields[key] = value;
    if (key == "value")
      result.value = to_number(value);
    else if (key == "threshold")
      result.threshold = to_number(value);
    else if (key == "warn_threshold")
      result.warn_threshold = to_number(value);
    else if (key == "comparator")
      result.comparator = normalize_comparator(value);
  }
  return result;
}

// -- monitor queries ----------------------------------------------------------

namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9') || c == '.';
}

/// The index of the bracket closing the one at `open`, honouring nesting
/// and quotes; npos when unbalanced.
size_t matching(std::string_view s, size_t open) {
  auto open_char = s[open];
  auto close_char = open_char == '(' ? ')' : '}';
  int depth = 0;
  for (auto i = open; i < s.size(); ++i) {
    auto c = s[i];
    if (c == '\'' || c == '"') {
      auto end = s.find(c, i + 1);
      if (end == std::string_view::npos)
        return std::string_view::npos;
      i = end;
    } else if (c == open_char) {
      ++depth;
    } else if (c == close_char && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::vector<std::string> split_scope(std::string_view text) {
  std::vector<std::string> result;
  for (auto& tag : split_tags(text))
    if (tag != "*")
      result.push_back(std::move(tag));
  return result;
}

std::string strip_last(std::string_view window) {
  window = trim(window);
  if (starts_with(window, "last_"))
    window.remove_prefix(5);
  return std::string{window};
}

caf::error query_error(std::string_view query, std::string why) {
  return make_error(ec::invalid_input, "invalid monitor query \""
                                         + std::string{query}
                                         + "\": " + std::move(why));
}

/// Walks the expression and collects metrics, scopes, group-bys, functions.
/// For every bracket of `e`, the index of its partner (npos elsewhere), in
/// one linear pass honouring quotes; nullopt when unbalanced. Linear time
/// matters: the query comes from untrusted input of up to 1 MiB.
std::optional<std::vector<size_t>> bracket_partners(std::string_view e) {
  std::vector<size_t> partner(e.size(), std::string_view::npos);
  std::vector<size_t> open;
  for (size_t i = 0; i < e.size(); ++i) {
    auto c = e[i];
    if (c == '\'' || c == '"') {
      auto end = e.find(c, i + 1);
      if (end == std::string_view::npos)
        return std::nullopt;
      i = end;
    } else if (c == '(' || c == '{') {
      open.push_back(i);
    } else if (c == ')' || c == '}') {
      if (open.empty() || e[open.back()] != (c == ')' ? '(' : '{'))
        return std::nullopt;
      partner[open.back()] = i;
      partner[i] = open.back();
      open.pop_back();
    }
  }
  if (!open.empty())
    return std::nullopt;
  return partner;
}

caf::error scan_expression(std::string_view query, std::string_view e,
                           monitor_query& result) {
  auto partners = bracket_partners(e);
  if (!partners)
    return query_error(query, "unbalanced brackets");
  enum class last_token { none, metric, by, other };
  auto last = last_token::none;
  std::string pending_aggregation;
  int terms = 0;
  size_t i = 0;
  auto peek = [&](size_t j) {
    while (j < e.size() && is_space(e[j]))
      ++j;
    return j;
  };
  while (i < e.size()) {
    auto c = e[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      auto end = e.find(c, i + 1);
      if (end == std::string_view::npos)
        return query_error(query, "unterminated quote");
      i = end + 1;
      last = last_token::other;
      continue;
    }
    if (c == '{') {
      auto end = (*partners)[i];
      auto content = e.substr(i + 1, end - i - 1);
      if (last == last_token::by) {
        if (result.group_by.empty())
          result.group_by = split_scope(content);
      } else if (last == last_token::metric && result.metrics.size() == 1) {
        result.scope = split_scope(content);
      }
      last = last_token::other;
      i = end + 1;
      continue;
    }
    if (is_ident_start(c)) {
      auto begin = i;
      while (i < e.size() && is_ident_char(e[i]))
        ++i;
      auto word = e.substr(begin, i - begin);
      auto next = peek(i);
      auto nc = next < e.size() ? e[next] : '\0';
      if (nc == '(') {
        result.functions.emplace_back(word);
        last = last_token::other;
      } else if (nc == ':'
                 && (word == "avg" || word == "sum" || word == "min"
                     || word == "max")) {
        pending_aggregation = std::string{word};
        i = next + 1;
        last = last_token::other;
      } else if (word == "by" && nc == '{') {
        last = last_token::by;
      } else if (word.find('.') != std::string_view::npos || nc == '{') {
        result.metrics.emplace_back(word);
        if (result.metrics.size() == 1)
          result.space_aggregation = pending_aggregation;
        pending_aggregation.clear();
        ++terms;
        last = last_token::metric;
      } else {
        last = last_token::other;
      }
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < e.size()
             && ((e[i] >= '0' && e[i] <= '9') || e[i] == '.' || e[i] == 'e'
                 || e[i] == 'E'))
        ++i;
      ++terms;
      last = last_token::other;
      continue;
    }
    ++i; // operators, commas, brackets (balanced, checked above)
  }
  if (result.metrics.empty())
    return query_error(query, "no metric");
  result.metric = result.metrics.front();
  result.formula = terms > 1;
  return {};
}

} // namespace

caf::expected<monitor_query> parse_monitor_query(std::string_view query) {
  auto s = trim(query);
  if (s.empty())
    return make_error(ec::invalid_input, "empty monitor query");
  monitor_query result;
  // Header: time_aggr(window): or change_aggr(time_aggr(window),shift):
  auto open = s.find('(');
  if (open == std::string_view::npos || open == 0)
    return query_error(query, "expected time_aggr(window): at the start");
  auto name = trim(s.substr(0, open));
  if (!std::all_of(name.begin(), name.end(), is_ident_char))
    return query_error(query, "expected time_aggr(window): at the start");
  auto close = matching(s, open);
  if (close == std::string_view::npos)
    return query_error(query, "unbalanced '('");
  auto args = s.substr(open + 1, close - open - 1);
  auto colon = close + 1;
  while (colon < s.size() && is_space(s[colon]))
    ++colon;
  if (colon >= s.size() || s[colon] != ':')
    return query_error(query, "expected ':' after the evaluation window");
  if (auto inner = args.find('('); inner != std::string_view::npos) {
    auto inner_close = matching(args, inner);
    if (inner_close == std::string_view::npos)
      return query_error(query, "unbalanced '('");
    result.change_aggregation = std::string{name};
    result.time_aggregation = std::string{trim(args.substr(0, inner))};
    result.window = strip_last(args.substr(inner + 1, inner_close - inner - 1));
    auto shift = args.substr(inner_close + 1);
    shift = trim(shift);
    if (!shift.empty() && shift.front() == ',')
      shift.remove_prefix(1);
    result.timeshift = std::string{trim(shift)};
  } else {
    result.time_aggregation = std::string{name};
    result.window = strip_last(args);
  }
  auto rest = s.substr(colon + 1);
  // The comparator is the last one outside brackets and quotes.
  size_t op_pos = std::string_view::npos;
  size_t op_len = 0;
  int depth = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    auto c = rest[i];
    if (c == '\'' || c == '"') {
      auto end = rest.find(c, i + 1);
      if (end == std::string_view::npos)
        return query_error(query, "unterminated quote");
      i = end;
    } else if (c == '(' || c == '{') {
      ++depth;
    } else if (c == ')' || c == '}') {
      --depth;
    } else if (depth == 0 && (c == '<' || c == '>' || c == '=' || c == '!')) {
      auto two = i + 1 < rest.size() && rest[i + 1] == '=';
      if (!two && (c == '=' || c == '!'))
        continue;
      op_pos = i;
      op_len = two ? 2 : 1;
      i += op_len - 1;
    }
  }
  if (depth != 0)
    return query_error(query, "unbalanced brackets");
  if (op_pos == std::string_view::npos)
    return query_error(query, "no comparator (<, <=, >, >=, ==, !=)");
  result.comparator = std::string{rest.substr(op_pos, op_len)};
  auto threshold_text = trim(rest.substr(op_pos + op_len));
  if (threshold_text.empty())
    return query_error(query, "no threshold after the comparator");
  if (threshold_text != "threshold") {
    result.threshold = to_number(threshold_text);
    if (!result.threshold)
      return query_error(query, "threshold \"" + std::string{threshold_text}
                                  + "\" is not a number");
  }
  if (auto err = scan_expression(query, rest.substr(0, op_pos), result))
    return err;
  return result;
}

// -- classification -----------------------------------------------------------

namespace {

/// One row of the classification table. A row matches when every pattern it
/// has matches its input and `unless` does not; the first matching row
/// wins. Inputs: `metric` the alert metric and the query's metrics (one per
/// line), `context` query + scope + tags, `text` title + body, `title`.
struct classification_rule {
  alert_type type;
  const char* metric;
  const char* context;
  const char* text;
  const char* title;
  const char* unless;
};

constexpr const char* oom_words = R"((?i)\boom(?:[ _-]?kill(?:ed|s|ing)?)?\b)";

constexpr const char* not_yet_oom
  = R"re((?i)\b(?:near(?:ing)?|risks? of|approach(?:es|ing)?|before|avoid)re"
    R"re(|prevent(?:ing)?|close to|imminent|pre|will(?: be| get)?)re"
    R"re(|(?:would|could|may|might)(?: be| get)?)[ -]+(?:an? |the )?oom)re";

constexpr classification_rule classification_table[] = {
  // OOM evidence first: a kill is worse than pressure and needs its sizing.
  {alert_type::oom_killed,
   R"((?i)(?:last_state|state)\.terminated|status_report\.count\.terminated)",
   R"((?i)reason:oomkilled)", nullptr, nullptr, nullptr},
  {alert_type::oom_killed, R"((?i)oom_events|oom_kill|\.oom\b)", nullptr,
   nullptr, nullptr, nullptr},
  {alert_type::oom_killed, R"((?i)restarts)", nullptr, R"((?i)\boom)", nullptr,
   not_yet_oom},
  {alert_type::oom_killed, nullptr, R"((?i)reason:oomkilled)", nullptr, nullptr,
   nullptr},
  // Waiting reasons name the failure exactly.
  {alert_type::image_pull, nullptr,
   R"((?i)reason:(?:errimagepull|imagepullbackoff|invalidimagename))", nullptr,
   nullptr, nullptr},
  {alert_type::image_pull, nullptr, nullptr,
   R"((?i)image ?pull|errimagepull|invalidimagename)", nullptr, nullptr},
  {alert_type::crash_loop, nullptr,
   R"re((?i)reason:(?:crashloopbackoff|createcontainerconfigerror)re"
   R"re(|createcontainererror|runcontainererror))re",
   nullptr, nullptr, nullptr},
  // APM trace metrics: errors and latency of a service.
  {alert_type::error_rate, R"((?im)^trace\..*\.errors\b|error[_.]?rate)",
   nullptr, nullptr, nullptr, nullptr},
  {alert_type::latency,
   R"((?im)^trace\..*(?:duration|latency)|\.latency\b|\b(?:p9[59]|9[59]p)\b)",
   nullptr, nullptr, nullptr, nullptr},
  {alert_type::probe_failure, R"((?i)(?:liveness|readiness|startup)_probe)",
   nullptr, nullptr, nullptr, nullptr},
  // Evictions name their resource in the text.
  {alert_type::ephemeral_storage, R"((?i)evictions)", nullptr,
   R"((?i)ephemeral|disk|storage)", nullptr, nullptr},
  {alert_type::memory_pressure, R"((?i)evictions)", nullptr, R"((?i)memory)",
   nullptr, nullptr},
  // Metric families.
  {alert_type::ephemeral_storage, R"((?i)ephemeral[_.-]?storage)", nullptr,
   nullptr, nullptr, nullptr},
  {alert_type::memory_pressure,
   R"re((?i)memory\.(?:working_set|usage|rss|limits))re"
   R"re(|memory_(?:usage|working_set)|mem\.(?:usable|used|pct_usable))re",
   nullptr, nullptr, nullptr, nullptr},
  // OOM words in the text only count when no memory metric was alerted on
  // ("if this persists the pod will be OOMKilled" is pressure); the pod
  // statuses still show a real kill to the rules.
  {alert_type::oom_killed, nullptr, nullptr, oom_words, nullptr, not_yet_oom},
  {alert_type::cpu_throttling, R"((?i)throttl)", nullptr, nullptr, nullptr,
   nullptr},
  {alert_type::hpa_maxed, R"((?i)\bhpa\b|\.hpa\.|horizontalpodautoscaler)",
   nullptr, nullptr, nullptr, nullptr},
  {alert_type::cpu_saturation, R"((?i)cpu)", nullptr, nullptr, nullptr,
   nullptr},
  {alert_type::crash_loop, R"((?i)restarts)", nullptr, nullptr, nullptr,
   nullptr},
  {alert_type::pending_pods, nullptr,
   R"((?i)(?:pod_)?phase:pending|reason:unschedulable)", nullptr, nullptr,
   nullptr},
  {alert_type::quota_exceeded, R"((?i)resourcequota)", nullptr, nullptr,
   nullptr, nullptr},
  // Words, when the metric said nothing.
  {alert_type::crash_loop, nullptr, nullptr, R"((?i)crash ?loop)", nullptr,
   nullptr},
  {alert_type::cpu_throttling, nullptr, nullptr, R"((?i)throttl)", nullptr,
   nullptr},
  {alert_type::hpa_maxed, nullptr, nullptr, nullptr,
   R"((?i)\bhpa\b.*\bmax|max(?:imum)?[ _]replicas)", nullptr},
  {alert_type::pending_pods, nullptr, nullptr, nullptr,
   R"((?i)\bpending\b|unschedulable)", nullptr},
  {alert_type::quota_exceeded, nullptr, nullptr, nullptr, R"((?i)\bquota\b)",
   nullptr},
  {alert_type::memory_pressure, nullptr, nullptr, nullptr, R"((?i)\bmemory\b)",
   nullptr},
};

struct compiled_rule {
  alert_type type;
  std::unique_ptr<RE2> metric;
  std::unique_ptr<RE2> context;
  std::unique_ptr<RE2> text;
  std::unique_ptr<RE2> title;
  std::unique_ptr<RE2> unless;
};

std::unique_ptr<RE2> compile(const char* pattern) {
  if (pattern == nullptr)
    return nullptr;
  return std::make_unique<RE2>(pattern);
}

const std::vector<compiled_rule>& compiled_table() {
  static const auto table = [] {
    std::vector<compiled_rule> result;
    for (const auto& row : classification_table)
      result.push_back({row.type, compile(row.metric), compile(row.context),
                        compile(row.text), compile(row.title),
                        compile(row.unless)});
    return result;
  }();
  return table;
}

bool matches(const std::unique_ptr<RE2>& re, const std::string& input) {
  return !re || RE2::PartialMatch(input, *re);
}

} // namespace

alert_type classify(const enriched_alert& alert) {
  if (alert.query.empty())
    return classify(alert, nullptr);
  auto q = parse_monitor_query(alert.query);
  return classify(alert, q ? &*q : nullptr);
}

alert_type classify(const enriched_alert& alert, const monitor_query* query) {
  std::string metrics = alert.metric;
  std::string context = alert.query + "\n" + alert.scope;
  if (query != nullptr)
    for (const auto& m : query->metrics)
      metrics += "\n" + m;
  for (const auto& tag : alert.tags)
    context += "\n" + tag;
  auto text = alert.title + "\n" + alert.body;
  for (const auto& rule : compiled_table()) {
    if (rule.metric && metrics.empty())
      continue;
    if (matches(rule.metric, metrics) && matches(rule.context, context)
        && matches(rule.text, text) && matches(rule.title, alert.title)
        && !(rule.unless && RE2::PartialMatch(text, *rule.unless)))
      return rule.type;
  }
  return alert_type::unknown;
}

// -- payloads -----------------------------------------------------------------

caf::expected<enriched_alert> parse_alert(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{body.data(), body.size()};
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS)
    return make_error(ec::invalid_input, std::string{"malformed JSON: "}
                                           + simdjson::error_message(err));
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS)
    return make_error(ec::invalid_input, std::string{"payload is a JSON "}
                                           + type_name(doc.type())
                                           + ", expected an object");
  // Read every field we use first, so type errors come in a fixed order.
  constexpr std::array<std::string_view, 34> keys{
    "kfix_payload",
    "id",
    "event_type",
    "title",
    "body",
    "date",
    "last_updated",
    "alert_id",
    "alert_cycle_key",
    "aggreg_key",
    "alert_transition",
    "alert_type",
    "alert_priority",
    "alert_title",
    "alert_status",
    "alert_metric",
    "alert_query",
    "alert_scope",
    "kube_cluster_name",
    "kube_namespace",
    "kube_deployment",
    "kube_stateful_set",
    "kube_daemon_set",
    "kube_container_name",
    "pod_name",
    "env",
    "team",
    "service",
    "hostname",
    "priority",
    "link",
    "snapshot",
    "event_id",
    "event_tags",
  };
  std::map<std::string_view, std::string> f;
  for (auto key : keys) {
    auto value = text_field(obj, key);
    if (!value)
      return std::move(value.error());
    f[key] = std::move(*value);
  }
  auto tags = tags_field(obj, "tags");
  if (!tags)
    return std::move(tags.error());
  if (tags->empty() && !f["event_tags"].empty())
    *tags = split_tags(f["event_tags"]); // older captures (§1.5)
  enriched_alert result;
  auto has = [&](std::string_view key) {
    return !f[key].empty();
  };
  // Required fields.
  auto kfix_payload = has("kfix_payload") || has("alert_id");
  if (kfix_payload) {
    for (auto key : {"id", "alert_id", "alert_transition", "date"})
      if (!has(key))
        return missing_field(key);
    if (!has("alert_query") && !has("alert_metric"))
      return make_error(ec::invalid_input,
                        "missing required field \"alert_query\" (or "
                        "\"alert_metric\")");
  } else if (!has("id") && !has("event_id")) {
    return missing_field("id");
  }
  // Delivery and monitor.
  result.delivery_id = has("id") ? f["id"] : f["event_id"];
  result.monitor_id = f["alert_id"];
  result.cycle_key = f["alert_cycle_key"];
  result.aggreg_key = f["aggreg_key"];
  result.event_type = f["event_type"];
  result.priority = f["alert_priority"];
  result.title = has("title") ? f["title"] : f["alert_title"];
  result.body = f["body"];
  result.link = f["link"];
  result.transition = f["alert_transition"];
  if (result.transition.empty())
    result.transition = transition_from_title(result.title);
  if (has("date")) {
    auto date = parse_date(f["date"]);
    if (!date)
      return std::move(date.error());
    result.date_ms = *date;
  }
  // What was measured.
  result.query = f["alert_query"];
  result.scope = f["alert_scope"];
  result.metric = f["alert_metric"];
  std::optional<monitor_query> query;
  if (!result.query.empty())
    if (auto q = parse_monitor_query(result.query))
      query = std::move(*q);
  if (result.metric.empty() && query)
    result.metric = query->metric;
  auto line = parse_kfix_line(result.body);
  if (line) {
    result.value = line->value;
    result.threshold = line->threshold;
    result.warn_threshold = line->warn_threshold;
    result.comparator = line->comparator;
  }
  if (query) {
    if (result.comparator.empty())
      result.comparator = query->comparator;
    if (!result.threshold)
      result.threshold = query->threshold;
  }
  // "... over <scope> was > 900000000.0 ..." in alert_status or the body.
  tag_list sentence_scope;
  for (const auto& source : {f["alert_status"], without_bold(result.body)}) {
    std::string metric, over, op, number;
    if (!RE2::PartialMatch(source, status_sentence_re(), &metric, &over, &op,
                           &number))
      continue;
    if (result.metric.empty())
      result.metric = metric;
    if (result.comparator.empty())
      result.comparator = op;
    if (!result.threshold)
      result.threshold = to_number(number);
    sentence_scope = to_tag_list(split_tags(over));
    break;
  }
  // Where: dedicated fields, scope, the title's group, tags, the query's
  // scope, the monitor sentence, the KFIX line.
  tag_sources sources;
  tag_list fields;
  for (auto key : {"kube_cluster_name", "kube_namespace", "kube_deployment",
                   "kube_stateful_set", "kube_daemon_set",
                   "kube_container_name", "pod_name", "env", "team", "service"})
    if (has(key))
      fields.emplace_back(key, f[key]);
  sources.lists.push_back(std::move(fields));
  sources.lists.push_back(to_tag_list(split_tags(result.scope)));
  {
    std::string transition, group;
    if (RE2::PartialMatch(result.title, title_transition_re(), &transition,
                          &group))
      sources.lists.push_back(to_tag_list(split_tags(group)));
  }
  sources.lists.push_back(to_tag_list(*tags));
  if (query)
    sources.lists.push_back(to_tag_list(query->scope));
  sources.lists.push_back(std::move(sentence_scope));
  if (line) {
    tag_list from_line;
    for (const auto& [key, alias] :
         std::array<std::pair<const char*, const char*>, 5>{
           {{"ns", "kube_namespace"},
            {"namespace", "kube_namespace"},
            {"deploy", "kube_deployment"},
            {"statefulset", "kube_stateful_set"},
            {"container", "kube_container_name"}}}) {
      auto i = line->fields.find(key);
      if (i != line->fields.end() && !i->second.empty())
        from_line.emplace_back(alias, i->second);
    }
    sources.lists.push_back(std::move(from_line));
  }
  result.cluster = sources.lookup("kube_cluster_name");
  if (result.cluster.empty())
    result.cluster = sources.lookup("cluster_name");
  result.pod = sources.lookup("pod_name");
  result.container = sources.lookup("kube_container_name");
  if (result.container.empty())
    result.container = sources.lookup("container_name");
  result.env = sources.lookup("env");
  result.team = sources.lookup("team");
  result.service = sources.lookup("service");
  result.workload = workload_from_sources(sources);
  if (result.workload.empty() && !result.pod.empty())
    result.workload = workload_from_pod_name(result.pod);
  result.workload.ns = sources.lookup("kube_namespace");
  result.tags = std::move(*tags);
  // What the payload lacked.
  auto note = [&](std::string what) {
    result.missing.push_back(std::move(what));
  };
  if (!kfix_payload) {
    note("kfix_payload");
    note("alert_id");
    note("alert_transition");
  }
  for (auto key : {"date", "alert_cycle_key", "alert_query", "alert_scope"})
    if (!has(key))
      note(key);
  if (result.metric.empty())
    note("alert_metric");
  if (result.tags.empty())
    note("tags");
  if (!line)
    note("kfix_line");
  if (result.workload.ns.empty())
    note("kube_namespace");
  if (result.workload.empty())
    note("workload");
  result.type = classify(result, query ? &*query : nullptr);
  return result;
}

} // namespace kfix::intake
