#include "actors/safety/policy.hpp"

#include "actors/common/quantity.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

namespace kfix::safety {

namespace {

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::string num(double x) {
  if (std::fabs(x - std::round(x)) < 1e-9)
    return std::to_string(static_cast<int64_t>(std::llround(x)));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  return buf;
}

/// "registry/org/app:1.2" -> "registry/org/app"; digests too.
std::string repository_of(const std::string& image) {
  auto at = image.find('@');
  auto base = at == std::string::npos ? image : image.substr(0, at);
  auto slash = base.rfind('/');
  auto colon = base.rfind(':');
  if (colon != std::string::npos
      && (slash == std::string::npos || colon > slash))
    return base.substr(0, colon);
  return base;
}

/// The tag of an image, "" without one (and without a digest).
std::string tag_of(const std::string& image) {
  if (image.find('@') != std::string::npos)
    return "@digest";
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  if (colon != std::string::npos
      && (slash == std::string::npos || colon > slash))
    return image.substr(colon + 1);
  return {};
}

std::optional<int64_t> millis_of(const resource_map& m, const char* key) {
  auto i = m.find(key);
  if (i == m.end())
    return std::nullopt;
  auto q = parse_quantity(i->second);
  if (!q)
    return std::nullopt;
  return q->millis();
}

struct checker {
  const plan& p;
  const context_bundle& bundle;
  const policy_config& policy;
  const policy_facts& facts;
  std::vector<check_result> out;

  void add(const char* rule, bool passed, std::string detail) {
    out.push_back({rule, passed, false, std::move(detail)});
  }

  const std::string& ns() const {
    return bundle.workload.ref.ns;
  }

  void protected_namespace() {
    const auto& list = policy.protected_namespaces;
    if (contains(list, ns())) {
      add("protected_namespace", false,
          "namespace " + ns()
            + " is protected by policy; K-Fix never changes it");
      return;
    }
    std::string names;
    for (const auto& n : list)
      names += (names.empty() ? "" : ", ") + n;
    add("protected_namespace", true,
        "namespace " + ns() + " is not protected (protected: "
          + (names.empty() ? std::string{"none"} : names) + ")");
  }

  void forbidden_actions() {
    std::vector<std::string> hits;
    for (const auto& a : p.actions) {
      auto name = std::string{to_string(a.type)};
      if (auto i = policy.forbidden_actions_by_env.find(facts.env);
          i != policy.forbidden_actions_by_env.end()
          && contains(i->second, name))
        hits.push_back(name + " is forbidden in env " + facts.env);
      if (auto i = policy.forbidden_actions_by_namespace.find(ns());
          i != policy.forbidden_actions_by_namespace.end()
          && contains(i->second, name))
        hits.push_back(name + " is forbidden in namespace " + ns());
    }
    if (hits.empty()) {
      add("forbidden_action", true, "no action is forbidden here");
      return;
    }
    std::string text;
    for (const auto& h : hits)
      text += (text.empty() ? "" : "; ") + h;
    add("forbidden_action", false, text);
  }

  void replicas(const action& a) {
    auto text = a.param("replicas");
    char* end = nullptr;
    long long n = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') {
      add("replicas_cap", false, "replicas \"" + text + "\" is not a number");
      return;
    }
    if (bundle.hpa() != nullptr) {
      add("replicas_cap", false,
          "the HPA " + bundle.hpa()->name
            + " owns the replica count; set its minReplicas/maxReplicas "
              "instead (remediation.md §6.6)");
      return;
    }
    auto current = std::max(bundle.workload.replicas, 1);
    if (n < 1) {
      add("replicas_cap", false,
          "scaling to " + std::to_string(n)
            + " replicas takes the service down");
      return;
    }
    if (n > policy.max_replicas) {
      add("replicas_cap", false,
          std::to_string(n) + " replicas exceed the policy maximum of "
            + std::to_string(policy.max_replicas));
      return;
    }
    if (static_cast<double>(n) > current * policy.max_scale_factor) {
      add("replicas_cap", false,
          std::to_string(n) + " replicas are more than "
            + num(policy.max_scale_factor) + " x the current "
            + std::to_string(current));
      return;
    }
    add("replicas_cap", true,
        std::to_string(current) + " -> " + std::to_string(n)
          + " replicas, within the policy (max "
          + std::to_string(policy.max_replicas) + ", x"
          + num(policy.max_scale_factor) + ")");
  }

  void hpa(const action& a) {
    const auto* h = bundle.hpa();
    auto number = [&](const char* key, int64_t fallback) -> int64_t {
      auto v = a.param(key);
      return v.empty() ? fallback : std::strtoll(v.c_str(), nullptr, 10);
    };
    int64_t min = number("min_replicas", h ? h->min_replicas : 1);
    int64_t max = number("max_replicas", h ? h->max_replicas : min);
    std::vector<std::string> problems;
    if (min < 1)
      problems.push_back("minReplicas " + std::to_string(min) + " < 1");
    if (max < min)
      problems.push_back("maxReplicas " + std::to_string(max)
                         + " below minReplicas " + std::to_string(min));
    if (max > policy.max_replicas)
      problems.push_back("maxReplicas " + std::to_string(max)
                         + " above the policy maximum "
                         + std::to_string(policy.max_replicas));
    if (h != nullptr && h->max_replicas > 0
        && static_cast<double>(max) > h->max_replicas * policy.max_scale_factor)
      problems.push_back("maxReplicas " + std::to_string(max) + " is more than "
                         + num(policy.max_scale_factor) + " x the current "
                         + std::to_string(h->max_replicas));
    for (const char* key :
         {"target_cpu_utilization", "target_memory_utilization"}) {
      auto v = a.param(key);
      if (v.empty())
        continue;
      auto pct = std::atof(v.c_str());
      if (pct < 10 || pct > 100)
        problems.push_back(std::string{key} + " " + v + " outside 10-100 %");
    }
    if (problems.empty()) {
      add("hpa_bounds", true,
          "HPA bounds " + std::to_string(min) + "-" + std::to_string(max)
            + " within the policy");
      return;
    }
    std::string text;
    for (const auto& x : problems)
      text += (text.empty() ? "" : "; ") + x;
    add("hpa_bounds", false, text);
  }

  void cpu(const action& a) {
    const auto* spec = bundle.workload.container(a.container);
    if (spec == nullptr)
      return;
    for (auto [key, field, now] :
         {std::tuple{"cpu_request", "request",
                     millis_of(spec->requests, "cpu")},
          std::tuple{"cpu_limit", "limit", millis_of(spec->limits, "cpu")}}) {
      auto v = a.param(key);
      if (v.empty() || v == "unset")
        continue;
      auto q = parse_quantity(v);
      if (!q)
        continue; // the quantity check reports it
      auto next = q->millis();
      if (next > policy.max_cpu_millis) {
        add("cpu_increase_cap", false,
            std::string{"CPU "} + field + " " + v + " above the policy cap "
              + format_cpu(policy.max_cpu_millis));
        continue;
      }
      if (now && *now > 0
          && static_cast<double>(next)
               > static_cast<double>(*now) * policy.max_cpu_increase_factor) {
        add("cpu_increase_cap", false,
            std::string{"CPU "} + field + " " + format_cpu(*now) + " -> " + v
              + " is more than " + num(policy.max_cpu_increase_factor)
              + " x the current value");
        continue;
      }
      add("cpu_increase_cap", true,
          std::string{"CPU "} + field + " " + (now ? format_cpu(*now) : "unset")
            + " -> " + v + " within the policy");
    }
  }

  void image(const action& a) {
    auto image = a.param("image");
    if (image.empty())
      return;
    std::set<std::string> known;
    for (const auto& c : bundle.workload.containers)
      known.insert(repository_of(c.image));
    for (const auto& r : bundle.revisions)
      for (const auto& c : r.containers)
        known.insert(repository_of(c.image));
    auto repo = repository_of(image);
    auto tag = tag_of(image);
    if (known.count(repo) == 0) {
      add("image_source", false,
          "image " + image + " comes from " + repo
            + ", which neither the workload nor its revisions run");
      return;
    }
    if (tag.empty() || tag == "latest") {
      add("image_source", false,
          "image " + image + " has no pinned tag (latest is not reproducible)");
      return;
    }
    add("image_source", true,
        "image " + image + " from " + repo + ", which the workload runs");
  }

  void circuit_breaker() {
    if (policy.max_mrs_per_namespace_per_hour == 0 || !facts.mrs_last_hour)
      return;
    auto n = *facts.mrs_last_hour;
    auto max = policy.max_mrs_per_namespace_per_hour;
    add("circuit_breaker", n < max,
        std::to_string(n) + " merge request(s) in namespace " + ns()
          + " in the last hour"
          + (n < max ? ", below" : ", the breaker is open at") + " the cap of "
          + std::to_string(max));
  }

  void run() {
    protected_namespace();
    forbidden_actions();
    for (const auto& a : p.actions) {
      switch (a.type) {
        case action_type::scale_replicas:
          replicas(a);
          break;
        case action_type::set_hpa:
          hpa(a);
          break;
        case action_type::set_resources:
          cpu(a);
          break;
        case action_type::set_image:
        case action_type::rollback:
          image(a);
          break;
        default:
          break;
      }
    }
    circuit_breaker();
  }
};

} // namespace

std::vector<check_result> policy_checks(const plan& p,
                                        const context_bundle& bundle,
                                        const policy_config& policy,
                                        const policy_facts& facts) {
  checker c{p, bundle, policy, facts, {}};
  c.run();
  return std::move(c.out);
}

auto_merge_decision decide_auto_merge(const plan& p,
                                      const context_bundle& bundle,
                                      const policy_config& policy,
                                      const policy_facts& facts) {
  const auto& am = policy.auto_merge;
  auto no = [](std::string why) {
    return auto_merge_decision{false, std::move(why)};
  };
  if (is_production_env(facts.env))
    return no("env " + facts.env
              + " is production: its merge requests always need a person");
  if (!contains(am.envs, facts.env))
    return no("env " + (facts.env.empty() ? std::string{"(none)"} : facts.env)
              + " is not among the auto-merge envs");
  for (const auto& a : p.actions)
    if (!contains(am.actions, std::string{to_string(a.type)}))
      return no("action " + std::string{to_string(a.type)}
                + " is not auto-mergeable by policy");
  if (am.memory_raises_only)
    for (const auto& a : p.actions) {
      for (const auto& [key, value] : a.params) {
        if (key.rfind("memory_", 0) != 0)
          return no(key + " changes: only memory raises auto-merge");
        const auto* spec = bundle.workload.container(a.container);
        if (spec == nullptr)
          return no("container " + a.container + " is unknown");
        const auto& m = key == "memory_limit" ? spec->limits : spec->requests;
        auto now = m.find("memory");
        auto next = parse_quantity(value);
        if (value == "unset" || !next)
          return no(key + " is removed: only memory raises auto-merge");
        if (now != m.end())
          if (auto q = parse_quantity(now->second);
              q && next->bytes() < q->bytes())
            return no(key + " is lowered: only memory raises auto-merge");
      }
    }
  auto rate = facts.eval_top1_by_type.find(facts.alert_type);
  if (rate == facts.eval_top1_by_type.end())
    return no("no eval figure for alert type " + facts.alert_type);
  if (rate->second < am.min_eval_top1_rate)
    return no("the eval's top-1 rate for " + facts.alert_type + " is "
              + num(rate->second * 100) + " %, below "
              + num(am.min_eval_top1_rate * 100) + " %");
  if (facts.similar_merged < am.min_similar_merged)
    return no(std::to_string(facts.similar_merged)
              + " similar fix(es) merged before, fewer than "
              + std::to_string(am.min_similar_merged));
  return {true, "env " + facts.env + ", "
                  + std::string{to_string(p.actions.front().type)}
                  + " only, eval top-1 " + num(rate->second * 100) + " % for "
                  + facts.alert_type + ", "
                  + std::to_string(facts.similar_merged)
                  + " similar fixes merged before"};
}

std::map<std::string, double> eval_top1_rates(const std::string& report_json,
                                              const std::string& strategy) {
  std::map<std::string, double> out;
  auto j = nlohmann::json::parse(report_json, nullptr, false);
  if (!j.is_object() || !j.contains("strategies")
      || !j["strategies"].contains(strategy))
    return out;
  const auto& s = j["strategies"][strategy];
  if (!s.contains("per_type") || !s["per_type"].is_object())
    return out;
  for (const auto& [type, summary] : s["per_type"].items())
    if (summary.is_object() && summary.contains("top1_correct_rate")
        && summary["top1_correct_rate"].is_number())
      out[type] = summary["top1_correct_rate"].get<double>();
  return out;
}

} // namespace kfix::safety
