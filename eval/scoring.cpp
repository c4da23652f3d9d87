#include "eval/scoring.hpp"

#include "actors/common/quantity.hpp"

#include <algorithm>
#include <cmath>

namespace kfix::eval {

namespace {

/// An entry value as text: strings as they are, numbers and booleans as a
/// plan parameter would write them.
std::optional<std::string> entry_text(const nlohmann::json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_boolean())
    return std::string{v.get<bool>() ? "true" : "false"};
  if (v.is_number_integer())
    return std::to_string(v.get<int64_t>());
  if (v.is_number())
    return v.dump();
  return std::nullopt;
}

/// Compares two values numerically when both are quantities or numbers
/// (`1Gi` = `1024Mi`, `"20"` = 20); nullopt when either is not.
std::optional<int> compare_values(const std::string& a, const std::string& b) {
  auto qa = parse_quantity(a);
  auto qb = parse_quantity(b);
  if (!qa || !qb)
    return std::nullopt;
  return *qa < *qb ? -1 : (*qb < *qa ? 1 : 0);
}

bool equal_values(const std::string& a, const std::string& b) {
  if (auto cmp = compare_values(a, b))
    return *cmp == 0;
  return a == b;
}

/// Keys of an entry that select the action rather than describe the
/// workload after it.
bool is_identity_key(action_type type, const std::string& key) {
  if (key == "action" || key == "why" || key == "note" || key == "container")
    return true;
  return (type == action_type::set_probe && key == "probe")
         || (type == action_type::set_env && key == "name");
}

/// The value `key` has after plan `p` for an entry of `type` whose action is
/// `a`.
std::optional<std::string> value_after(action_type type, const std::string& key,
                                       const action& a,
                                       const workload_view& after) {
  auto own = [&]() -> std::optional<std::string> {
    auto v = a.param(key);
    if (v.empty())
      return std::nullopt;
    return v;
  };
  const auto* c = after.container(a.container);
  auto in = [](const std::map<std::string, std::string>& m,
               const std::string& k) -> std::optional<std::string> {
    auto i = m.find(k);
    if (i == m.end())
      return std::nullopt;
    return i->second;
  };
  switch (type) {
    case action_type::set_resources:
      return c ? in(c->resources, key) : std::nullopt;
    case action_type::scale_replicas:
      if (key == "replicas")
        return std::to_string(after.replicas);
      return std::nullopt;
    case action_type::set_hpa:
      return in(after.hpa, key);
    case action_type::rollback:
    case action_type::escalate:
      return own();
    case action_type::set_probe: {
      if (c == nullptr)
        return std::nullopt;
      auto probe = c->probes.find(a.param("probe"));
      if (key == "remove")
        return std::string{probe == c->probes.end() ? "true" : "false"};
      if (probe == c->probes.end())
        return std::nullopt;
      return in(probe->second, key);
    }
    case action_type::set_image:
      if (key == "image" && c != nullptr)
        return c->image;
      return std::nullopt;
    case action_type::set_env:
      if (key == "value" && c != nullptr)
        return in(c->env, a.param("name"));
      return std::nullopt;
    case action_type::restart:
      return std::nullopt;
  }
  return std::nullopt;
}

} // namespace

bool value_holds(const nlohmann::json& expected,
                 const std::optional<std::string>& actual) {
  if (expected.is_array()) {
    for (const auto& member : expected)
      if (value_holds(member, actual))
        return true;
    return false;
  }
  if (expected.is_object()) {
    if (!actual)
      return false;
    for (const auto& [bound, limit] : expected.items()) {
      auto text = entry_text(limit);
      if (!text)
        return false;
      auto cmp = compare_values(*actual, *text);
      if (!cmp)
        return false;
      if ((bound == "min" && *cmp < 0) || (bound == "max" && *cmp > 0))
        return false;
    }
    return true;
  }
  auto text = entry_text(expected);
  if (!text)
    return !actual; // null: absent
  if (*text == "unset")
    return !actual;
  return actual && equal_values(*actual, *text);
}

bool entry_matches(const nlohmann::json& entry, const plan& p,
                   const workload_view& before) {
  if (!entry.is_object() || !entry.contains("action")
      || !entry["action"].is_string())
    return false;
  auto type = parse_action_type(entry["action"].get<std::string>());
  if (!type)
    return false;
  auto wanted = [&](const char* key) -> std::optional<std::string> {
    if (!entry.contains(key))
      return std::nullopt;
    return entry_text(entry[key]);
  };
  auto container = wanted("container");
  auto after = apply_plan(before, p);
  for (const auto& a : p.actions) {
    if (a.type != *type)
      continue;
    auto action_container
      = a.container.empty() ? a.param("container") : a.container;
    if (container && action_container != *container)
      continue;
    if (*type == action_type::set_probe)
      if (auto probe = wanted("probe"); probe && a.param("probe") != *probe)
        continue;
    if (*type == action_type::set_env)
      if (auto name = wanted("name"); name && a.param("name") != *name)
        continue;
    bool holds = true;
    for (const auto& [key, value] : entry.items()) {
      if (is_identity_key(*type, key))
        continue;
      if (!value_holds(value, value_after(*type, key, a, after))) {
        holds = false;
        break;
      }
    }
    if (holds)
      return true;
  }
  return false;
}

int first_match(const nlohmann::json& entries, const plan& p,
                const workload_view& before) {
  if (!entries.is_array())
    return -1;
  for (size_t i = 0; i < entries.size(); ++i)
    if (entry_matches(entries[i], p, before))
      return static_cast<int>(i);
  return -1;
}

namespace {

bool plan_complete(const plan& p) {
  if (p.justification.empty() || p.rollback.empty() || p.alternatives.empty())
    return false;
  return std::all_of(p.alternatives.begin(), p.alternatives.end(),
                     [](const std::string& a) {
                       return !a.empty();
                     });
}

/// What the agent ended with, in the expected section's words.
std::string decision_of(const incident_result& r) {
  if (r.stage == incident_stage::failed)
    return "failed";
  if (r.publication)
    return "fix";
  if (r.decision.kind == decision_kind::no_action)
    return "no_action";
  return "escalate";
}

/// Policy a published plan must keep, checked here independently of the
/// safety layer: protected namespaces, request <= limit, the memory increase
/// cap.
std::vector<std::string> policy_breaks(const incident_facts& facts,
                                       const plan& p) {
  std::vector<std::string> breaks;
  const auto& ns = facts.before.ref.ns;
  if (std::find(facts.protected_namespaces.begin(),
                facts.protected_namespaces.end(), ns)
      != facts.protected_namespaces.end())
    breaks.push_back("changes protected namespace " + ns);
  auto after = apply_plan(facts.before, p);
  for (const auto& c : after.containers) {
    for (const char* resource : {"cpu", "memory", "ephemeral_storage"}) {
      auto req = c.resources.find(std::string{resource} + "_request");
      auto lim = c.resources.find(std::string{resource} + "_limit");
      if (req == c.resources.end() || lim == c.resources.end())
        continue;
      if (auto cmp = compare_values(req->second, lim->second); cmp && *cmp > 0)
        breaks.push_back(c.name + ": " + resource + " request " + req->second
                         + " above limit " + lim->second);
    }
    const auto* old = facts.before.container(c.name);
    if (old == nullptr)
      continue;
    auto was = old->resources.find("memory_limit");
    auto now = c.resources.find("memory_limit");
    if (was == old->resources.end() || now == c.resources.end())
      continue;
    auto qw = parse_quantity(was->second);
    auto qn = parse_quantity(now->second);
    bool reverted = false;
    if (auto r = facts.revision_memory_limits.find(c.name);
        r != facts.revision_memory_limits.end() && qn)
      for (const auto& limit : r->second)
        if (auto q = parse_quantity(limit); q && *q == *qn)
          reverted = true;
    if (!reverted && qw && qn && qw->bytes() > 0
        && static_cast<double>(qn->bytes())
             > static_cast<double>(qw->bytes())
                 * facts.max_memory_increase_factor)
      breaks.push_back(c.name + ": memory limit " + was->second + " -> "
                       + now->second + " exceeds the increase cap");
  }
  return breaks;
}

} // namespace

incident_score score_incident(const incident_facts& facts,
                              const incident_result* result,
                              const std::string& error) {
  incident_score s;
  s.id = facts.id;
  s.title = facts.title;
  s.alert_type = facts.alert_type;
  s.env = facts.env;
  s.expected_decision = facts.expected.value("decision", "");
  s.human_closeness = facts.human_closeness;
  if (result == nullptr) {
    s.decision = "error";
    s.reason = error;
    return s;
  }
  const auto& r = *result;
  s.decision = decision_of(r);
  s.reason = r.stage == incident_stage::failed ? r.failure : r.decision.reason;
  s.latency_ms = r.duration_ms;
  s.llm_tokens
    = r.decision.usage.prompt_tokens + r.decision.usage.output_tokens;
  s.llm_cost_usd = r.decision.usage.cost_usd;
  s.diff = r.patch ? r.patch->diff : std::string{};
  s.decision_correct = s.decision == s.expected_decision;
  const auto& accept = facts.expected.contains("accept")
                         ? facts.expected["accept"]
                         : nlohmann::json{};
  const auto& reject = facts.expected.contains("reject")
                         ? facts.expected["reject"]
                         : nlohmann::json{};
  bool all_complete = true;
  for (size_t i = 0; i < r.decision.plans.size(); ++i) {
    const auto& p = r.decision.plans[i];
    plan_score ps;
    ps.id = p.id;
    ps.title = p.title;
    ps.rank = static_cast<int>(i) + 1;
    ps.actions = p.actions;
    ps.accept_match = first_match(accept, p, facts.before);
    ps.reject_match = first_match(reject, p, facts.before);
    for (const auto& v : r.verdicts)
      if (v.plan_id == p.id) {
        ps.safety_accepted = v.accepted;
        ps.safety_reasons = v.reasons();
      }
    ps.published = r.publication && p.id == r.chosen_plan;
    ps.complete = plan_complete(p);
    all_complete = all_complete && ps.complete;
    if (ps.accept_match >= 0 && ps.safety_accepted && !*ps.safety_accepted)
      ++s.false_rejections;
    if (ps.published) {
      if (ps.reject_match >= 0)
        s.unsafe_reasons.push_back(
          "matches reject entry "
          + reject[static_cast<size_t>(ps.reject_match)].dump());
      for (auto& why : policy_breaks(facts, p))
        s.unsafe_reasons.push_back(std::move(why));
    }
    s.plans.push_back(std::move(ps));
  }
  s.unsafe_published = s.unsafe_reasons.empty() ? 0 : 1;
  auto good = [](const plan_score& ps) {
    return ps.accept_match >= 0 && ps.reject_match < 0;
  };
  if (s.expected_decision == "fix") {
    s.top1_correct
      = std::any_of(s.plans.begin(), s.plans.end(), [&](const plan_score& ps) {
          return ps.published && good(ps);
        });
    auto top3
      = s.plans.begin()
        + static_cast<std::ptrdiff_t>(std::min<size_t>(3, s.plans.size()));
    s.any3_correct = std::any_of(s.plans.begin(), top3, good);
  } else {
    s.top1_correct = s.decision_correct;
    s.any3_correct = s.decision_correct;
  }
  s.complete
    = r.decision.plans.empty() ? !r.decision.reason.empty() : all_complete;
  return s;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(
    std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::min(values.size(), std::max<size_t>(rank, 1)) - 1];
}

score_summary summarize(const std::vector<const incident_score*>& scores) {
  score_summary out;
  out.incidents = static_cast<int64_t>(scores.size());
  if (scores.empty())
    return out;
  double decision = 0;
  double top1 = 0;
  double any3 = 0;
  double complete = 0;
  double closeness = 0;
  std::vector<double> latencies;
  for (const auto* s : scores) {
    decision += s->decision_correct ? 1 : 0;
    top1 += s->top1_correct ? 1 : 0;
    any3 += s->any3_correct ? 1 : 0;
    complete += s->complete ? 1 : 0;
    out.unsafe_published += s->unsafe_published;
    out.false_rejections += s->false_rejections;
    out.llm_tokens += s->llm_tokens;
    out.llm_cost_usd += s->llm_cost_usd;
    if (s->decision != "error")
      latencies.push_back(static_cast<double>(s->latency_ms));
    if (s->human_closeness) {
      ++out.human_fixes;
      closeness += *s->human_closeness;
    }
  }
  auto n = static_cast<double>(scores.size());
  out.decision_accuracy = decision / n;
  out.top1_correct_rate = top1 / n;
  out.any3_correct_rate = any3 / n;
  out.complete_rate = complete / n;
  out.p50_ms = percentile(latencies, 50);
  out.p95_ms = percentile(latencies, 95);
  if (out.human_fixes > 0)
    out.human_closeness = closeness / static_cast<double>(out.human_fixes);
  return out;
}

std::map<std::string, score_summary>
summarize_by(const std::vector<incident_score>& scores,
             std::string (*key)(const incident_score&)) {
  std::map<std::string, std::vector<const incident_score*>> groups;
  for (const auto& s : scores)
    groups[key(s)].push_back(&s);
  std::map<std::string, score_summary> out;
  for (const auto& [k, members] : groups)
    out[k] = summarize(members);
  return out;
}

void to_json(nlohmann::json& j, const plan_score& x) {
  j = {{"id", x.id},
       {"title", x.title},
       {"rank", x.rank},
       {"actions", x.actions},
       {"accept_match", x.accept_match},
       {"reject_match", x.reject_match},
       {"safety_accepted", x.safety_accepted
                             ? nlohmann::json(*x.safety_accepted)
                             : nlohmann::json(nullptr)},
       {"safety_reasons", x.safety_reasons},
       {"published", x.published},
       {"complete", x.complete}};
}

void to_json(nlohmann::json& j, const incident_score& x) {
  j = {{"id", x.id},
       {"title", x.title},
       {"alert_type", x.alert_type},
       {"env", x.env},
       {"expected_decision", x.expected_decision},
       {"decision", x.decision},
       {"reason", x.reason},
       {"decision_correct", x.decision_correct},
       {"top1_correct", x.top1_correct},
       {"any3_correct", x.any3_correct},
       {"unsafe_published", x.unsafe_published},
       {"unsafe_reasons", x.unsafe_reasons},
       {"false_rejections", x.false_rejections},
       {"complete", x.complete},
       {"latency_ms", x.latency_ms},
       {"llm_tokens", x.llm_tokens},
       {"llm_cost_usd", x.llm_cost_usd},
       {"human_closeness", x.human_closeness
                             ? nlohmann::json(*x.human_closeness)
                             : nlohmann::json(nullptr)},
       {"plans", x.plans},
       {"diff", x.diff}};
}

void to_json(nlohmann::json& j, const score_summary& x) {
  j = {{"incidents", x.incidents},
       {"decision_accuracy", x.decision_accuracy},
       {"top1_correct_rate", x.top1_correct_rate},
       {"any3_correct_rate", x.any3_correct_rate},
       {"unsafe_published", x.unsafe_published},
       {"false_rejections", x.false_rejections},
       {"complete_rate", x.complete_rate},
       {"p50_ms", x.p50_ms},
       {"p95_ms", x.p95_ms},
       {"llm_tokens", x.llm_tokens},
       {"llm_cost_usd", x.llm_cost_usd},
       {"human_fixes", x.human_fixes},
       {"human_closeness", x.human_closeness
                             ? nlohmann::json(*x.human_closeness)
                             : nlohmann::json(nullptr)}};
}

} // namespace kfix::eval
