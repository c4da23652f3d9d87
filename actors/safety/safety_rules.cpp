#include "actors/safety/safety_rules.hpp"

#include "actors/common/quantity.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <utility>

namespace kfix::safety {

namespace {

using detail::int128;

/// A `set_resources` parameter: the resource and the map it writes.
struct resource_param {
  std::string_view param;
  std::string_view resource;
  bool limit;
};

constexpr std::array<resource_param, 6> resource_params{{
  {"cpu_request", "cpu", false},
  {"cpu_limit", "cpu", true},
  {"memory_request", "memory", false},
  {"memory_limit", "memory", true},
  {"ephemeral_storage_request", "ephemeral-storage", false},
  {"ephemeral_storage_limit", "ephemeral-storage", true},
}};

const resource_param* find_param(std::string_view name) {
  for (const auto& p : resource_params)
    if (p.param == name)
      return &p;
  return nullptr;
}

bool byte_resource(std::string_view resource) {
  return resource != "cpu";
}

/// Formats an exact milli-unit amount of `resource` (bytes for memory).
std::string format_amount(std::string_view resource, int128 millis) {
  if (!byte_resource(resource))
    return format_cpu(static_cast<int64_t>(millis));
  if (millis % 1000 == 0)
    return format_memory(static_cast<int64_t>(millis / 1000));
  return format_cpu(static_cast<int64_t>(millis)); // sub-byte: show as "Nm"
}

std::string ratio_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", x);
  return buf;
}

/// Why `value` is not acceptable for `resource`; empty when it is.
std::string quantity_problem(std::string_view resource,
                             const std::string& value) {
  if (byte_resource(resource))
    return memory_quantity_problem(value);
  auto q = parse_quantity(value);
  if (!q)
    return quantity_error_text(q.error());
  if (q->negative())
    return "\"" + value + "\" is negative";
  if (q->rounded())
    return "\"" + value + "\" is finer than 1m";
  return {};
}

std::optional<int128> amount(const resource_map& m, std::string_view resource) {
  auto i = m.find(std::string{resource});
  if (i == m.end())
    return std::nullopt;
  auto q = parse_quantity(i->second);
  if (!q)
    return std::nullopt;
  return q->exact_millis();
}

std::string join(const std::vector<std::string>& xs, std::string_view sep) {
  std::string result;
  for (const auto& x : xs) {
    if (!result.empty())
      result += sep;
    result += x;
  }
  return result;
}

} // namespace

// -- rollout and state after a plan -------------------------------------------

int64_t rollout_surge(const workload_state& workload) {
  const auto& kind = workload.ref.kind;
  if (kind == "StatefulSet" || workload.strategy == "Recreate"
      || workload.strategy == "OnDelete")
    return 0;
  auto surge = workload.max_surge;
  if (surge.empty()) {
    if (kind == "DaemonSet")
      return 0;
    surge = "25%";
  }
  auto replicas = std::max<int64_t>(workload.replicas, 0);
  if (surge.back() == '%') {
    auto pct = std::atoll(surge.substr(0, surge.size() - 1).c_str());
    return (pct * replicas + 99) / 100; // percentages round up
  }
  return std::max<int64_t>(std::atoll(surge.c_str()), 0);
}

std::vector<container_spec> apply_resources(const plan& p,
                                            const workload_state& workload) {
  auto containers = workload.containers;
  for (const auto& a : p.actions) {
    if (a.type != action_type::set_resources)
      continue;
    auto spec
      = std::find_if(containers.begin(), containers.end(), [&](const auto& c) {
          return c.name == a.container;
        });
    if (spec == containers.end())
      continue;
    for (const auto& [key, value] : a.params) {
      const auto* rp = find_param(key);
      if (rp == nullptr)
        continue;
      auto& target = rp->limit ? spec->limits : spec->requests;
      if (value == "unset")
        target.erase(std::string{rp->resource});
      else
        target[std::string{rp->resource}] = value;
    }
  }
  return containers;
}

// -- rules --------------------------------------------------------------------

namespace {

struct checker {
  const plan& p;
  const context_bundle& bundle;
  const policy_config& policy;
  const policy_facts& facts;
  verdict v;

  void add(std::string rule, bool passed, std::string detail,
           bool skipped = false) {
    check_result r;
    r.rule = std::move(rule);
    r.passed = passed;
    r.skipped = skipped;
    r.detail = std::move(detail);
    v.checks.push_back(std::move(r));
  }

  const std::string& ns() const {
    return bundle.workload.ref.ns;
  }

  /// Returns false when the action cannot be checked further.
  bool container_exists(const action& a) {
    if (!bundle.workload_found) {
      add("container_exists", false,
          "the workload was not found; the resources of container "
            + a.container + " cannot be checked");
      return false;
    }
    if (bundle.workload.container(a.container) == nullptr) {
      std::vector<std::string> names;
      for (const auto& c : bundle.workload.containers)
        names.push_back(c.name);
      add("container_exists", false,
          "container \"" + a.container + "\" is not in "
            + bundle.workload.ref.display()
            + " (containers: " + join(names, ", ") + ")");
      return false;
    }
    add("container_exists", true,
        "container " + a.container + " is in " + bundle.workload.ref.display());
    return true;
  }

  /// Returns false when some quantity is invalid.
  bool quantity_format(const action& a, const container_spec& after) {
    std::vector<std::string> problems;
    std::vector<std::string> checked;
    for (const auto& [key, value] : a.params) {
      const auto* rp = find_param(key);
      if (rp == nullptr) {
        problems.push_back("unknown parameter " + key);
        continue;
      }
      if (value == "unset") {
        checked.push_back(key + " unset");
        continue;
      }
      auto why = quantity_problem(rp->resource, value);
      if (why.empty())
        checked.push_back(key + " " + value);
      else
        problems.push_back(key + ": " + why);
    }
    // Values the plan keeps must be valid too for the rules below.
    for (const auto* m : {&after.requests, &after.limits})
      for (const auto& [resource, value] : *m) {
        auto param
          = (resource == "ephemeral-storage" ? "ephemeral_storage" : resource)
            + (m == &after.requests ? "_request" : "_limit");
        if (a.params.count(param) > 0 || !find_param(param))
          continue;
        auto why = quantity_problem(resource, value);
        if (!why.empty())
          problems.push_back("current " + param + ": " + why);
      }
    if (!problems.empty()) {
      add("quantity_format", false,
          "container " + a.container + ": " + join(problems, "; "));
      return false;
    }
    add("quantity_format", true,
        "container " + a.container + ": " + join(checked, ", ")
          + " are valid quantities");
    return true;
  }

  void request_le_limit(const action& a, const container_spec& after) {
    std::vector<std::string> failed;
    std::vector<std::string> passed;
    for (const auto& [resource, limit_text] : after.limits) {
      auto r = after.requests.find(resource);
      if (r == after.requests.end())
        continue;
      auto request = amount(after.requests, resource);
      auto limit = amount(after.limits, resource);
      if (!request || !limit)
        continue;
      auto text = resource + " request " + r->second;
      if (*request <= *limit)
        passed.push_back(text + " ≤ limit " + limit_text);
      else
        failed.push_back(text + " > limit " + limit_text);
    }
    if (!failed.empty())
      add("request_le_limit", false,
          "container " + a.container + ": " + join(failed, "; "));
    else if (passed.empty())
      add("request_le_limit", true,
          "container " + a.container
            + ": no resource has both a request and a limit");
    else
      add("request_le_limit", true,
          "container " + a.container + ": " + join(passed, "; "));
  }

  void memory_increase_cap(const action& a, const container_spec& before,
                           const container_spec& after) {
    auto i = a.params.find("memory_limit");
    if (i == a.params.end()) {
      add("memory_increase_cap", true,
          "container " + a.container + ": memory limit unchanged");
      return;
    }
    auto old_limit = amount(before.limits, "memory");
    auto old_text
      = old_limit ? before.limits.at("memory") : std::string{"unset"};
    if (i->second == "unset") {
      add("memory_increase_cap", false,
          "container " + a.container + ": removing the memory limit (was "
            + old_text + ") is not allowed");
      return;
    }
    auto new_limit = amount(after.limits, "memory");
    if (!new_limit)
      return; // quantity_format already failed
    auto new_bytes = static_cast<int64_t>(*new_limit / 1000);
    std::vector<std::string> failed;
    std::vector<std::string> passed;
    // Returning to the limit an earlier revision ran with is a revert to a
    // known value, not a raise on new evidence: the increase factor does
    // not apply (the absolute caps still do).
    int64_t restored_revision = 0;
    for (const auto& r : bundle.revisions)
      for (const auto& c : r.containers)
        if (c.name == a.container && !r.current)
          if (auto was = amount(c.limits, "memory"); was && *was == *new_limit)
            restored_revision = r.revision;
    if (old_limit && restored_revision > 0) {
      passed.push_back("memory limit " + i->second + " restores revision "
                       + std::to_string(restored_revision) + "'s value");
    } else if (old_limit) {
      auto old_bytes = static_cast<int64_t>(*old_limit / 1000);
      auto cap = static_cast<int64_t>(std::floor(
        static_cast<double>(old_bytes) * policy.max_memory_increase_factor));
      auto text = ratio_text(policy.max_memory_increase_factor) + " × "
                  + old_text + " = " + format_memory(cap);
      if (new_bytes > cap)
        failed.push_back("memory limit " + i->second + " > " + text);
      else
        passed.push_back("memory limit " + i->second + " ≤ " + text);
    }
    auto ns_cap = policy.memory_cap_for(ns(), facts.env);
    auto text = "cap " + format_memory(ns_cap) + " for namespace " + ns()
                + (facts.env.empty() ? "" : " in env " + facts.env);
    if (new_bytes > ns_cap)
      failed.push_back("memory limit " + i->second + " > " + text);
    else
      passed.push_back((old_limit ? "≤ " : "memory limit " + i->second + " ≤ ")
                       + text);
    if (!failed.empty())
      add("memory_increase_cap", false,
          "container " + a.container + ": " + join(failed, "; "));
    else
      add("memory_increase_cap", true,
          "container " + a.container + ": " + join(passed, " and "));
  }

  /// Per-pod total of `resource` in `kind` (requests or limits); a missing
  /// request counts as the limit (defaulting at admission).
  static int128 pod_total(const std::vector<container_spec>& containers,
                          std::string_view resource, bool limits) {
    int128 total = 0;
    for (const auto& c : containers) {
      auto value
        = limits ? amount(c.limits, resource) : amount(c.requests, resource);
      if (!value && !limits)
        value = amount(c.limits, resource);
      total += value.value_or(0);
    }
    return total;
  }

  /// Checks one quota key against the rollout peak of the plan.
  void quota_key(const quota_state& quota, std::string_view key,
                 std::string_view resource, bool limits,
                 const std::string& hard_text,
                 const std::vector<container_spec>& after, int64_t replicas,
                 int64_t surge) {
    const auto& wl = bundle.workload;
    auto label = "quota " + quota.name + " " + std::string{key};
    auto hard = parse_quantity(hard_text);
    if (!hard) {
      add("quota_headroom", false,
          label + ": hard value is not a quantity: "
            + quantity_error_text(hard.error()));
      return;
    }
    int128 used = 0;
    if (auto u = quota.used.find(std::string{key}); u != quota.used.end())
      if (auto q = parse_quantity(u->second))
        used = q->exact_millis();
    // A plan that removes a value the quota requires makes pod creation
    // fail (remediation.md §0.7).
    for (size_t i = 0; i < after.size(); ++i) {
      const auto& before_c = wl.containers[i];
      const auto& after_c = after[i];
      auto had = amount(before_c.limits, resource)
                 || (!limits && amount(before_c.requests, resource));
      auto has = amount(after_c.limits, resource)
                 || (!limits && amount(after_c.requests, resource));
      if (had && !has) {
        add("quota_headroom", false,
            label + ": container " + after_c.name + " would have no "
              + std::string{resource}
              + (limits ? " limit" : " request or limit")
              + ", which the quota requires for new pods");
        return;
      }
    }
    auto old_pod = pod_total(wl.containers, resource, limits);
    auto new_pod = pod_total(after, resource, limits);
    // What the workload's pods count in `used` now: their own requests
    // (a stalled rollout's pods run an older template than the spec), else
    // the template times the replicas.
    int128 counted = old_pod * replicas;
    int128 running_max = old_pod;
    int64_t running = 0;
    if (!limits) {
      int128 sum = 0;
      int128 largest = 0;
      for (const auto& p : bundle.pods) {
        if (p.phase == "Succeeded" || p.phase == "Failed"
            || p.phase == "Pending")
          continue;
        auto value = amount(p.requests, resource);
        if (!value)
          continue;
        sum += *value;
        largest = std::max(largest, *value);
        ++running;
      }
      if (running > 0) {
        counted = sum;
        running_max = largest;
      }
    }
    auto biggest = std::max(running_max, new_pod);
    auto peak = used - counted + (replicas + surge) * biggest;
    auto fmt = [&](int128 x) {
      return format_amount(resource, x);
    };
    auto ok = peak <= hard->exact_millis();
    add(
      "quota_headroom", ok,
      label + ": rollout peak " + fmt(peak) + (ok ? " ≤" : " >") + " hard "
        + hard_text + " (used " + fmt(used) + " − "
        + (running > 0
             ? fmt(counted) + " of " + std::to_string(running) + " running pods"
             : std::to_string(replicas) + " × " + fmt(old_pod) + " current")
        + " + (" + std::to_string(replicas) + " + " + std::to_string(surge)
        + " surge) × " + fmt(biggest) + ")");
  }

  void quota_headroom(const std::vector<container_spec>& after,
                      const std::set<std::string>& touched) {
    // Memory always (any change rolls the pods); CPU and ephemeral storage
    // when the plan changes them.
    struct key_info {
      std::string_view key;
      std::string_view resource;
      bool limits;
    };
    constexpr std::array<key_info, 9> keys{{
      {"requests.memory", "memory", false},
      {"memory", "memory", false},
      {"limits.memory", "memory", true},
      {"requests.cpu", "cpu", false},
      {"cpu", "cpu", false},
      {"limits.cpu", "cpu", true},
      {"requests.ephemeral-storage", "ephemeral-storage", false},
      {"ephemeral-storage", "ephemeral-storage", false},
      {"limits.ephemeral-storage", "ephemeral-storage", true},
    }};
    const auto& wl = bundle.workload;
    auto replicas = static_cast<int64_t>(std::max(wl.replicas, 0));
    auto surge = rollout_surge(wl);
    int checked = 0;
    for (const auto& quota : bundle.quotas) {
      for (const auto& k : keys) {
        auto hard_i = quota.hard.find(std::string{k.key});
        if (hard_i == quota.hard.end())
          continue;
        if (k.resource != "memory"
            && touched.count(std::string{k.resource}) == 0)
          continue;
        ++checked;
        quota_key(quota, k.key, k.resource, k.limits, hard_i->second, after,
                  replicas, surge);
      }
    }
    if (checked == 0)
      add("quota_headroom", true,
          bundle.quotas.empty() ? "no ResourceQuota in namespace " + ns()
                                : "no ResourceQuota in namespace " + ns()
                                    + " tracks the changed resources",
          true);
  }

  void run() {
    v.plan_id = p.id;
    auto changes
      = std::any_of(p.actions.begin(), p.actions.end(), [](const action& a) {
          return a.type != action_type::escalate;
        });
    if (!changes) {
      add("no_changes", true,
          "plan has no actions to apply (escalation); nothing to check");
      v.accepted = true;
      return;
    }
    for (auto& c : policy_checks(p, bundle, policy, facts))
      v.checks.push_back(std::move(c));
    auto after = apply_resources(p, bundle.workload);
    std::set<std::string> touched;
    bool resources_ok = true;
    bool any_resources = false;
    for (const auto& a : p.actions) {
      if (a.type == action_type::escalate)
        continue;
      if (a.type != action_type::set_resources) {
        add(std::string{to_string(a.type)}, true,
            "action " + std::string{to_string(a.type)}
              + " is not checked by the resource rules",
            true);
        continue;
      }
      any_resources = true;
      if (!container_exists(a)) {
        resources_ok = false;
        continue;
      }
      for (const auto& [key, value] : a.params)
        if (const auto* rp = find_param(key))
          touched.emplace(rp->resource);
      const auto& before = *bundle.workload.container(a.container);
      const auto& after_c
        = *std::find_if(after.begin(), after.end(), [&](const auto& c) {
            return c.name == a.container;
          });
      if (!quantity_format(a, after_c)) {
        resources_ok = false;
        continue;
      }
      request_le_limit(a, after_c);
      memory_increase_cap(a, before, after_c);
    }
    if (any_resources) {
      if (resources_ok)
        quota_headroom(after, touched);
      else
        add("quota_headroom", false,
            "not computed: the plan's resources are invalid", true);
    }
    v.accepted = std::all_of(v.checks.begin(), v.checks.end(),
                             [](const check_result& r) {
                               return r.passed || r.skipped;
                             });
  }
};

} // namespace

verdict check_plan(const plan& p, const context_bundle& bundle,
                   const policy_config& policy, const policy_facts& facts) {
  checker c{p, bundle, policy, facts, {}};
  c.run();
  return c.v;
}

} // namespace kfix::safety
