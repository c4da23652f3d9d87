#include "actors/reasoning/llm_schema.hpp"

#include "actors/common/quantity.hpp"
#include "actors/context/log_redaction.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <set>

namespace kfix::reasoning {

namespace {

// -- the vocabulary's parameters ----------------------------------------------

enum class kind : uint8_t {
  cpu,
  memory,
  integer,
  probe,
  flag,
  image,
  env_name,
  env_value,
  text,
};

struct param_rule {
  const char* name;
  kind type;
  int64_t lo = 0;
  int64_t hi = 0;
  bool required = false;
};

enum class needs : uint8_t { forbidden, required, optional };

struct action_rule {
  action_type type;
  needs container;
  std::vector<param_rule> params;
  /// At least this many parameters.
  size_t min_params = 0;
};

const std::vector<action_rule>& action_rules() {
  static const std::vector<action_rule> rules{
    {action_type::set_resources,
     needs::required,
     {{"cpu_request", kind::cpu},
      {"cpu_limit", kind::cpu},
      {"memory_request", kind::memory},
      {"memory_limit", kind::memory},
      {"ephemeral_storage_request", kind::memory},
      {"ephemeral_storage_limit", kind::memory}},
     1},
    {action_type::scale_replicas,
     needs::forbidden,
     {{"replicas", kind::integer, 0, max_replicas, true}},
     1},
    {action_type::set_hpa,
     needs::forbidden,
     {{"min_replicas", kind::integer, 1, max_replicas},
      {"max_replicas", kind::integer, 1, max_replicas},
      {"target_cpu_utilization", kind::integer, 1, 1000},
      {"target_memory_utilization", kind::integer, 1, 1000}},
     1},
    {action_type::rollback,
     needs::optional,
     {{"to_revision", kind::integer, 1, 1'000'000'000}, {"image", kind::image}},
     1},
    {action_type::set_probe,
     needs::required,
     {{"probe", kind::probe, 0, 0, true},
      {"initial_delay_seconds", kind::integer, 0, 3600},
      {"period_seconds", kind::integer, 1, 3600},
      {"timeout_seconds", kind::integer, 1, 3600},
      {"failure_threshold", kind::integer, 1, 100},
      {"success_threshold", kind::integer, 1, 100},
      {"remove", kind::flag}},
     2},
    {action_type::set_image,
     needs::required,
     {{"image", kind::image, 0, 0, true}},
     1},
    {action_type::restart, needs::forbidden, {}, 0},
    {action_type::set_env,
     needs::required,
     {{"name", kind::env_name, 0, 0, true},
      {"value", kind::env_value, 0, 0, true}},
     2},
    {action_type::escalate,
     needs::forbidden,
     {{"reason", kind::text, 0, 0, true}},
     1},
  };
  return rules;
}

const action_rule* rule_for(action_type type) {
  for (const auto& r : action_rules())
    if (r.type == type)
      return &r;
  return nullptr;
}

std::vector<std::string> all_param_names() {
  std::set<std::string> names;
  for (const auto& r : action_rules())
    for (const auto& p : r.params)
      names.insert(p.name);
  return {names.begin(), names.end()};
}

/// A value for a problem message: JSON-quoted, cut to 60 bytes.
std::string show(std::string_view value) {
  auto cut = context::truncate_utf8(value, 60);
  auto text = nlohmann::json(std::string{cut})
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return cut.size() < value.size() ? text + "..." : text;
}

bool has_control_chars(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\t' && c != '\n';
  });
}

/// A strict decimal integer: digits only, no sign, no spaces, no leading
/// zeros.
bool parse_integer(std::string_view text, int64_t& out) {
  if (text.empty() || text.size() > 12 || (text.size() > 1 && text[0] == '0'))
    return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

/// Why `value` is not acceptable as parameter `p`; empty when it is.
std::string param_problem(const param_rule& p, const std::string& value) {
  static const RE2 image_re{
    // [registry[:port]/]path[:tag][@sha256:digest] (distribution/reference).
    "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-"
    "9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]"
    "+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9"
    "._-]{0,127})?(?:@sha256:[a-f0-9]{64})?"};
  static const RE2 env_re{"[-._a-zA-Z][-._a-zA-Z0-9]*"};
  switch (p.type) {
    case kind::cpu: {
      if (value == "unset")
        return {};
      auto q = parse_quantity(value);
      if (!q)
        return "not a CPU quantity: " + quantity_error_text(q.error());
      if (q->millis() <= 0 || q->rounded())
        return "must be a positive CPU quantity of whole millicores";
      if (q->millis() > 256'000)
        return "more than 256 cores";
      return {};
    }
    case kind::memory: {
      if (value == "unset")
        return {};
      if (auto why = memory_quantity_problem(value); !why.empty())
        return why;
      auto q = parse_quantity(value);
      if (!q || q->bytes() <= 0)
        return "must be a positive quantity";
      if (q->bytes() > (int64_t{1} << 40))
        return "more than 1Ti";
      return {};
    }
    case kind::integer: {
      int64_t n = 0;
      if (!parse_integer(value, n))
        return "must be a whole number written in digits";
      if (n < p.lo || n > p.hi)
        return "must be within " + std::to_string(p.lo) + ".."
               + std::to_string(p.hi);
      return {};
    }
    case kind::probe:
      if (value != "liveness" && value != "readiness" && value != "startup")
        return "must be liveness, readiness or startup";
      return {};
    case kind::flag:
      return value == "true" ? std::string{} : "must be \"true\" when given";
    case kind::image:
      if (value.size() > 512 || !RE2::FullMatch(value, image_re))
        return "not an image reference";
      return {};
    case kind::env_name:
      if (value.size() > 256 || !RE2::FullMatch(value, env_re))
        return "not an environment variable name";
      return {};
    case kind::env_value:
      if (value.size() > 4096 || has_control_chars(value))
        return "must be at most 4096 bytes without control characters";
      return {};
    case kind::text:
      if (value.empty() || value.size() > max_text_chars)
        return "must be 1.." + std::to_string(max_text_chars) + " bytes";
      return {};
  }
  return "unknown parameter kind";
}

// -- the checker --------------------------------------------------------------

class checker {
public:
  explicit checker(const answer_limits& limits) : limits_(limits) {}

  std::vector<std::string> problems;

  void fail(const std::string& path, const std::string& what) {
    if (problems.size() < 40)
      problems.push_back(path + ": " + what);
  }

  /// Reports keys of `obj` that are not in `allowed`.
  void only_keys(const nlohmann::json& obj, const std::string& path,
                 std::initializer_list<const char*> allowed) {
    for (const auto& [key, value] : obj.items())
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) {
            return key == k;
          }))
        fail(path.empty() ? key : path + "." + key,
             "unknown field (no other fields are allowed)");
  }

  /// A string field: empty when absent or null; a problem when not a string
  /// or longer than `max`.
  std::string text(const nlohmann::json& obj, const char* key,
                   const std::string& path, size_t max, bool required) {
    auto where = path + "." + key;
    auto i = obj.find(key);
    if (i == obj.end() || i->is_null()) {
      if (required)
        fail(where, "is required");
      return {};
    }
    if (!i->is_string()) {
      fail(where, "must be a string");
      return {};
    }
    auto value = i->get<std::string>();
    if (required && value.empty())
      fail(where, "must not be empty");
    if (value.size() > max)
      fail(where, "longer than " + std::to_string(max) + " bytes");
    return value;
  }

  std::optional<llm_answer> answer(const nlohmann::json& j) {
    if (!j.is_object()) {
      fail("answer", "must be a JSON object");
      return std::nullopt;
    }
    only_keys(j, "", {"decision", "reason", "plans"});
    llm_answer result;
    auto decision = j.value("decision", nlohmann::json{});
    auto parsed = decision.is_string()
                    ? parse_decision_kind(decision.get<std::string>())
                    : std::nullopt;
    bool known = parsed.has_value();
    auto decided = parsed.value_or(decision_kind::escalate);
    if (!known)
      fail("decision", "must be fix, escalate or no_action");
    result.kind = decided;
    result.reason = text(j, "reason", "answer", max_text_chars, false);
    auto plans = j.find("plans");
    if (plans != j.end() && !plans->is_null() && !plans->is_array())
      fail("plans", "must be an array");
    auto count = plans != j.end() && plans->is_array() ? plans->size() : 0;
    if (known && decided == decision_kind::fix && count == 0)
      fail("plans", "a fix needs at least one plan");
    if (known && decided != decision_kind::fix && count > 0)
      fail("plans", "must be empty when the decision is "
                      + std::string{to_string(decided)});
    if (count > max_answer_plans)
      fail("plans", "at most " + std::to_string(max_answer_plans)
                      + " plans, got " + std::to_string(count));
    for (size_t i = 0; i < count && i < max_answer_plans; ++i)
      result.plans.push_back(
        plan_at((*plans)[i], "plans[" + std::to_string(i) + "]"));
    if (!problems.empty())
      return std::nullopt;
    return result;
  }

private:
  proposed_plan plan_at(const nlohmann::json& j, const std::string& path) {
    proposed_plan result;
    if (!j.is_object()) {
      fail(path, "must be an object");
      return result;
    }
    only_keys(j, path,
              {"based_on", "title", "actions", "justification",
               "expected_effect", "risk", "rollback", "alternatives",
               "confidence"});
    auto& p = result.value;
    p.title = text(j, "title", path, max_title_chars, true);
    p.justification = text(j, "justification", path, max_text_chars, false);
    p.expected_effect = text(j, "expected_effect", path, max_text_chars, false);
    p.risk = text(j, "risk", path, max_text_chars, false);
    p.rollback = text(j, "rollback", path, max_text_chars, false);
    result.based_on = text(j, "based_on", path, 64, false);
    const auto& ids = limits_.candidate_ids;
    if (!result.based_on.empty()
        && std::find(ids.begin(), ids.end(), result.based_on) == ids.end())
      fail(path + ".based_on",
           show(result.based_on) + " is not a candidate plan id");
    if (auto a = j.find("alternatives"); a != j.end() && !a->is_null()) {
      if (!a->is_array() || a->size() > max_alternatives)
        fail(path + ".alternatives", "must be an array of at most "
                                       + std::to_string(max_alternatives)
                                       + " strings");
      else
        for (const auto& alt : *a)
          if (!alt.is_string() || alt.get<std::string>().size() > 500)
            fail(path + ".alternatives", "items must be strings of at most "
                                         "500 bytes");
          else
            p.alternatives.push_back(alt.get<std::string>());
    }
    if (auto c = j.find("confidence"); c != j.end() && !c->is_null()) {
      if (!c->is_number() || c->get<double>() < 0 || c->get<double>() > 1)
        fail(path + ".confidence", "must be a number within [0, 1]");
      else
        p.confidence = c->get<double>();
    }
    auto actions = j.find("actions");
    if (actions == j.end() || !actions->is_array() || actions->empty()
        || actions->size() > max_plan_actions) {
      fail(path + ".actions", "must be an array of 1.."
                                + std::to_string(max_plan_actions)
                                + " actions");
      return result;
    }
    std::set<std::pair<action_type, std::string>> seen;
    for (size_t i = 0; i < actions->size(); ++i) {
      auto where = path + ".actions[" + std::to_string(i) + "]";
      if (auto a = action_at((*actions)[i], where)) {
        if (!seen.emplace(a->type, a->container).second)
          fail(where, "the same action on the same container twice");
        p.actions.push_back(std::move(*a));
      }
    }
    return result;
  }

  /// The parameters as name -> text: an array of {name, value} (the
  /// schema's form) or an object.
  std::map<std::string, std::string> params_at(const nlohmann::json& j,
                                               const std::string& path) {
    std::map<std::string, std::string> out;
    auto put = [&](const std::string& name, const nlohmann::json& v,
                   const std::string& where) {
      std::string value;
      if (v.is_string())
        value = v.get<std::string>();
      else if (v.is_number_integer() || v.is_boolean())
        value = v.dump();
      else {
        fail(where, "a parameter value must be a string");
        return;
      }
      if (!out.emplace(name, value).second)
        fail(where, "parameter " + show(name) + " given twice");
    };
    if (j.is_null())
      return out;
    if (j.is_object()) {
      for (const auto& [name, v] : j.items())
        put(name, v, path + "." + name);
      return out;
    }
    if (!j.is_array()) {
      fail(path, "must be an array of {name, value}");
      return out;
    }
    for (size_t i = 0; i < j.size(); ++i) {
      auto where = path + "[" + std::to_string(i) + "]";
      const auto& item = j[i];
      if (!item.is_object() || !item.contains("name")
          || !item["name"].is_string() || !item.contains("value")) {
        fail(where, "must be {\"name\": ..., \"value\": ...}");
        continue;
      }
      only_keys(item, where, {"name", "value"});
      put(item["name"].get<std::string>(), item["value"], where);
    }
    return out;
  }

  std::optional<action> action_at(const nlohmann::json& j,
                                  const std::string& path) {
    if (!j.is_object()) {
      fail(path, "must be an object");
      return std::nullopt;
    }
    only_keys(j, path, {"action", "container", "params"});
    auto name = j.value("action", nlohmann::json{});
    auto type = name.is_string() ? parse_action_type(name.get<std::string>())
                                 : std::nullopt;
    if (!type) {
      fail(path + ".action",
           (name.is_string() ? show(name.get<std::string>()) : name.dump())
             + " is not an action of the vocabulary");
      return std::nullopt;
    }
    const auto& rule = *rule_for(*type);
    action result;
    result.type = *type;
    auto c = j.value("container", nlohmann::json{});
    if (!c.is_null() && !c.is_string())
      fail(path + ".container", "must be a string or null");
    result.container = c.is_string() ? c.get<std::string>() : std::string{};
    check_container(rule, result.container, path + ".container");
    result.params
      = params_at(j.value("params", nlohmann::json{}), path + ".params");
    check_params(rule, result, path);
    return result;
  }

  void check_container(const action_rule& rule, const std::string& name,
                       const std::string& where) {
    if (rule.container == needs::forbidden) {
      if (!name.empty())
        fail(where, "must be null for " + std::string{to_string(rule.type)});
      return;
    }
    if (name.empty()) {
      if (rule.container == needs::required)
        fail(where, "is required for " + std::string{to_string(rule.type)});
      return;
    }
    const auto& known = limits_.containers;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known)
        list += (list.empty() ? "" : ", ") + k;
      fail(where,
           show(name) + " is not a container of " + limits_.workload.display()
             + " (containers: " + (list.empty() ? "none known" : list) + ")");
    }
  }

  void check_params(const action_rule& rule, const action& a,
                    const std::string& path) {
    auto where = path + ".params";
    for (const auto& [name, value] : a.params) {
      auto spec = std::find_if(rule.params.begin(), rule.params.end(),
                               [&](const param_rule& p) {
                                 return name == p.name;
                               });
      if (spec == rule.params.end()) {
        fail(where, show(name) + " is not a parameter of "
                      + std::string{to_string(rule.type)});
        continue;
      }
      if (auto why = param_problem(*spec, value); !why.empty())
        fail(where + "." + name, show(value) + ": " + why);
    }
    for (const auto& p : rule.params)
      if (p.required && a.params.count(p.name) == 0)
        fail(where, std::string{"needs "} + p.name);
    if (a.params.size() < rule.min_params)
      fail(where, "needs at least " + std::to_string(rule.min_params)
                    + " parameter(s)");
    // Relations between parameters.
    auto has = [&](const char* key) {
      return a.params.count(key) > 0;
    };
    if (a.type == action_type::rollback && has("image") && a.container.empty())
      fail(path + ".container", "an image rollback names its container");
    if (a.type == action_type::set_probe) {
      if (has("remove") && a.params.size() > 2)
        fail(where, "remove takes no other settings");
      auto probe = a.param("probe");
      if (has("success_threshold") && a.param("success_threshold") != "1"
          && (probe == "liveness" || probe == "startup"))
        fail(where + ".success_threshold",
             "must be 1 for a " + probe + " probe");
    }
    if (a.type == action_type::set_hpa && has("min_replicas")
        && has("max_replicas")) {
      int64_t lo = 0;
      int64_t hi = 0;
      if (parse_integer(a.param("min_replicas"), lo)
          && parse_integer(a.param("max_replicas"), hi) && lo > hi)
        fail(where, "min_replicas above max_replicas");
    }
  }

  const answer_limits& limits_;
};

/// Text between a leading ```json fence and its end, as some local models
/// wrap their JSON.
std::string_view strip_code_fence(std::string_view text) {
  auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text.substr(start, 3) != "```")
    return text;
  auto body = text.find('\n', start);
  auto end = text.rfind("```");
  if (body == std::string_view::npos || end <= body)
    return text;
  return text.substr(body + 1, end - body - 1);
}

nlohmann::json nullable(nlohmann::json schema) {
  return {{"anyOf", {std::move(schema), {{"type", "null"}}}}};
}

/// A strict object: every property required, nothing else allowed.
nlohmann::json strict_object(nlohmann::json properties) {
  auto required = nlohmann::json::array();
  for (const auto& [key, value] : properties.items())
    required.push_back(key);
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

nlohmann::json string_enum(const std::vector<std::string>& values) {
  return {{"type", "string"}, {"enum", values}};
}

} // namespace

nlohmann::json answer_schema(const answer_limits& limits) {
  std::vector<std::string> actions;
  for (const auto& r : action_rules())
    actions.emplace_back(to_string(r.type));
  auto container = limits.containers.empty()
                     ? nlohmann::json{{"type", "null"}}
                     : nullable(string_enum(limits.containers));
  auto based_on = limits.candidate_ids.empty()
                    ? nlohmann::json{{"type", "null"}}
                    : nullable(string_enum(limits.candidate_ids));
  auto text = nlohmann::json{{"type", "string"}};
  auto param = strict_object(
    {{"name", string_enum(all_param_names())}, {"value", text}});
  auto action
    = strict_object({{"action", string_enum(actions)},
                     {"container", container},
                     {"params", {{"type", "array"}, {"items", param}}}});
  auto plan
    = strict_object({{"based_on", based_on},
                     {"title", text},
                     {"actions", {{"type", "array"}, {"items", action}}},
                     {"justification", text},
                     {"expected_effect", text},
                     {"risk", text},
                     {"rollback", text},
                     {"alternatives", {{"type", "array"}, {"items", text}}},
                     {"confidence", {{"type", "number"}}}});
  return strict_object(
    {{"decision", string_enum({"fix", "escalate", "no_action"})},
     {"reason", text},
     {"plans", {{"type", "array"}, {"items", plan}}}});
}

answer_check check_answer(std::string_view text, const answer_limits& limits) {
  answer_check result;
  if (text.size() > max_answer_bytes) {
    result.problems.push_back("answer: longer than "
                              + std::to_string(max_answer_bytes) + " bytes");
    return result;
  }
  auto body = strip_code_fence(text);
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    result.problems.push_back("answer: not valid JSON");
    return result;
  }
  checker c{limits};
  result.answer = c.answer(j);
  result.problems = std::move(c.problems);
  return result;
}

llm_request repair_request(const llm_request& first,
                           std::string_view previous_answer,
                           std::string repair_text) {
  auto req = first;
  req.purpose = "repair";
  auto previous = context::truncate_utf8(previous_answer, 16 * 1024);
  req.turns.push_back(
    {"assistant", previous.empty() ? "(no answer)" : std::string{previous}});
  req.turns.push_back({"user", std::move(repair_text)});
  return req;
}

std::string problem_list(const std::vector<std::string>& problems) {
  std::string out;
  for (size_t i = 0; i < problems.size() && i < 20; ++i)
    out += "- " + problems[i] + "\n";
  if (problems.size() > 20)
    out += "- and " + std::to_string(problems.size() - 20) + " more\n";
  return out;
}

} // namespace kfix::reasoning
