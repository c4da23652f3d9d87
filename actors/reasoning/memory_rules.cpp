#include "actors/reasoning/memory_rules.hpp"

#include "actors/common/quantity.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

namespace kfix::reasoning {

namespace {

constexpr const char* rules_source = "rules/memory";

std::string lower(std::string_view x) {
  std::string result{x};
  for (auto& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

int64_t ceil_bytes(double x) {
  if (!(x > 0))
    return 0;
  if (x >= 9.2e18)
    return std::numeric_limits<int64_t>::max();
  // A thousandth of a byte absorbs floating-point noise (760Mi × 1.15 is
  // 874Mi, not 874Mi + 1 byte).
  return static_cast<int64_t>(std::ceil(x - 1e-3));
}

std::string mem(int64_t bytes) {
  return describe_memory(bytes);
}

std::string ratio_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", x);
  return buf;
}

std::string percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f%%", x * 100);
  return buf;
}

std::string signed_mem(int64_t bytes) {
  return (bytes >= 0 ? "+" : "-") + mem(bytes >= 0 ? bytes : -bytes);
}

/// The current memory value of `resources` as bytes; nullopt when unset,
/// an error text when unparseable.
std::optional<int64_t> memory_of(const resource_map& resources,
                                 std::string& problem) {
  auto i = resources.find("memory");
  if (i == resources.end() || i->second.empty())
    return std::nullopt;
  auto why = memory_quantity_problem(i->second);
  if (!why.empty()) {
    problem = why;
    return std::nullopt;
  }
  return parse_quantity(i->second)->bytes();
}

std::optional<int64_t> memory_of(const resource_map& resources) {
  std::string ignored;
  return memory_of(resources, ignored);
}

bool usable(const series_summary* s) {
  return s != nullptr && s->samples > 0 && s->max > 0;
}

/// The working-set summary of the sizing window: "7d" when present, else
/// the longest other window that is not the short one.
const series_summary* long_window_of(const context_bundle& bundle,
                                     const std::string& container) {
  if (auto s = bundle.find_metric(working_set_metric, container, "7d");
      usable(s))
    return s;
  for (const auto& s : bundle.metrics)
    if (s.metric == working_set_metric && s.container == container
        && s.window != "1h" && usable(&s))
      return &s;
  return nullptr;
}

std::string describe_window(const series_summary& s) {
  return "p50 " + mem(ceil_bytes(s.p50)) + ", p95 " + mem(ceil_bytes(s.p95))
         + ", p99 " + mem(ceil_bytes(s.p99)) + ", max " + mem(ceil_bytes(s.max))
         + " (" + std::to_string(s.samples) + " samples)";
}

std::string or_unset(const std::optional<int64_t>& x) {
  return x ? mem(*x) : std::string{"unset"};
}

} // namespace

// -- container choice and evidence --------------------------------------------

std::string pick_memory_container(const enriched_alert& alert,
                                  const context_bundle& bundle) {
  if (!alert.container.empty())
    return alert.container;
  const auto& containers = bundle.workload.containers;
  // Most pods with an OOMKilled last termination.
  std::string best;
  int best_kills = 0;
  for (const auto& spec : containers) {
    int kills = 0;
    for (const auto& pod : bundle.pods)
      for (const auto& status : pod.containers)
        if (status.name == spec.name
            && lower(status.last_termination_reason) == "oomkilled")
          ++kills;
    if (kills > best_kills) {
      best = spec.name;
      best_kills = kills;
    }
  }
  if (!best.empty())
    return best;
  // Highest working set relative to the limit.
  double best_ratio = 0;
  for (const auto& spec : containers) {
    auto limit = memory_of(spec.limits);
    if (!limit || *limit <= 0)
      continue;
    double peak = 0;
    for (const auto& s : bundle.metrics)
      if (s.metric == working_set_metric && s.container == spec.name)
        peak = std::max(peak, s.max);
    auto ratio = peak / static_cast<double>(*limit);
    if (ratio > best_ratio) {
      best = spec.name;
      best_ratio = ratio;
    }
  }
  if (!best.empty())
    return best;
  if (containers.size() == 1)
    return containers.front().name;
  return {};
}

memory_evidence collect_memory_evidence(const context_bundle& bundle,
                                        const std::string& container) {
  memory_evidence ev;
  ev.container = container;
  if (const auto* spec = bundle.workload.container(container)) {
    ev.limit = memory_of(spec->limits);
    ev.request = memory_of(spec->requests);
  }
  if (const auto* s = long_window_of(bundle, container))
    ev.long_window = *s;
  if (const auto* s = bundle.find_metric(working_set_metric, container, "1h");
      usable(s))
    ev.short_window = *s;
  for (const auto* s : {&ev.long_window, &ev.short_window})
    if (*s)
      ev.peak = std::max(ev.peak.value_or(0), ceil_bytes((*s)->max));
  if (ev.long_window && ev.long_window->p95 > 0)
    ev.p95 = ceil_bytes(ev.long_window->p95);
  else if (ev.short_window && ev.short_window->p95 > 0)
    ev.p95 = ceil_bytes(ev.short_window->p95);
  for (const auto& pod : bundle.pods)
    for (const auto& status : pod.containers) {
      if (status.name != container)
        continue;
      ++ev.pods;
      if (lower(status.last_termination_reason) == "oomkilled")
        ++ev.oom_killed_pods;
      ev.restarts.emplace_back(pod.name, status.restart_count);
      ev.total_restarts += status.restart_count;
    }
  for (const auto& event : bundle.events)
    if (contains_ci(event.reason, "oom")
        || contains_ci(event.message, "oomkill")
        || contains_ci(event.message, "out of memory"))
      ev.oom_events += std::max(event.count, 1);
  return ev;
}

// -- planning -----------------------------------------------------------------

namespace {

/// One term of a sizing formula, kept for the justification.
struct term {
  std::string text;
  int64_t bytes;
};

struct sizing_result {
  std::vector<term> terms;
  int64_t raw = 0;      // max of the terms
  int64_t limit = 0;    // rounded, floored at the peak
  int64_t required = 0; // what the evidence requires at least
  std::string formula;
};

sizing_result size_limit(bool oom, const memory_evidence& ev,
                         const sizing_config& sizing) {
  sizing_result r;
  auto name = [](const char* what, int64_t x) {
    return std::string{what} + " " + mem(x);
  };
  if (oom) {
    // Base the bump on the limit that was hit, else on the peak.
    auto base = ev.limit ? *ev.limit : ev.peak.value_or(0);
    auto base_name = ev.limit ? name("limit", base) : name("peak", base);
    r.terms.push_back(
      {base_name + " × " + ratio_text(sizing.oom_bump_ratio),
       ceil_bytes(static_cast<double>(base) * sizing.oom_bump_ratio)});
    r.terms.push_back({base_name + " + " + mem(sizing.oom_min_bump_bytes),
                       base + sizing.oom_min_bump_bytes});
    if (ev.peak)
      r.terms.push_back(
        {name("peak", *ev.peak) + " × " + ratio_text(sizing.peak_margin),
         ceil_bytes(static_cast<double>(*ev.peak) * sizing.peak_margin)});
  } else {
    r.terms.push_back({name("peak", *ev.peak) + " / "
                         + ratio_text(sizing.pressure_target_utilization),
                       ceil_bytes(static_cast<double>(*ev.peak)
                                  / sizing.pressure_target_utilization)});
    if (ev.limit)
      r.terms.push_back({name("limit", *ev.limit) + " × "
                           + ratio_text(sizing.pressure_min_ratio),
                         ceil_bytes(static_cast<double>(*ev.limit)
                                    * sizing.pressure_min_ratio)});
  }
  for (const auto& t : r.terms)
    r.raw = std::max(r.raw, t.bytes);
  r.limit = round_up_memory(r.raw);
  // What the evidence requires: the peak with its margin, and above a limit
  // that OOM-killed the container.
  if (ev.peak) {
    r.required = ceil_bytes(static_cast<double>(*ev.peak) * sizing.peak_margin);
    r.limit = std::max(r.limit, round_up_memory(*ev.peak));
  }
  if (oom && ev.limit)
    r.required
      = std::max(r.required, ev.peak ? *ev.limit + 1
                                     : *ev.limit + sizing.oom_min_bump_bytes);
  std::string joined;
  for (const auto& t : r.terms) {
    if (!joined.empty())
      joined += ", ";
    joined += t.text + " = " + mem(t.bytes);
  }
  r.formula = "new limit = round_up(max(" + joined + ")) = " + mem(r.limit);
  return r;
}

struct plan_inputs {
  const enriched_alert* alert;
  const workload_state* workload;
  const container_spec* spec;
  memory_evidence ev;
  bool oom = false;
  std::string evidence_text;
  std::string sizing_text;
};

std::string previous_values(const plan_inputs& in) {
  auto text = [](const resource_map& m) {
    auto i = m.find("memory");
    return i == m.end() ? std::string{"unset"} : i->second;
  };
  return "memory_limit " + text(in.spec->limits) + ", memory_request "
         + text(in.spec->requests);
}

kfix::plan make_plan(const plan_inputs& in, std::string id, std::string title,
                     int64_t new_limit, std::optional<int64_t> new_request,
                     double confidence, std::string how) {
  const auto& ev = in.ev;
  const auto& wl = *in.workload;
  kfix::plan p;
  p.id = std::move(id);
  p.title = std::move(title);
  kfix::action a;
  a.type = action_type::set_resources;
  a.container = ev.container;
  a.params["memory_limit"] = format_memory(new_limit);
  if (new_request)
    a.params["memory_request"] = format_memory(*new_request);
  p.actions.push_back(std::move(a));
  // The request the pods will carry: a limit-only container gets its
  // request defaulted to the limit at admission.
  auto old_request = ev.request ? ev.request : ev.limit;
  auto effective_request
    = new_request ? *new_request : (ev.request ? *ev.request : new_limit);
  p.justification = in.evidence_text + " " + in.sizing_text + " " + how;
  p.expected_effect
    = "Container " + ev.container + " gets a memory limit of " + mem(new_limit)
      + (ev.peak
           ? " ("
               + percent(static_cast<double>(*ev.peak)
                         / static_cast<double>(new_limit))
               + " utilisation at the observed peak " + mem(*ev.peak) + ")"
           : std::string{})
      + " and a request of " + mem(effective_request)
      + (in.oom ? "; the OOM kills and the restarts they cause should stop."
                : "; the working set no longer runs close to the limit.");
  auto replicas = std::max<int64_t>(wl.replicas, 0);
  auto limit_delta = (new_limit - ev.limit.value_or(0)) * replicas;
  auto request_delta = (effective_request - old_request.value_or(0)) * replicas;
  p.risk = "The rollout restarts all " + std::to_string(replicas) + " pods of "
           + wl.ref.display()
           + ". Memory added against the namespace quota: requests.memory "
           + signed_mem(request_delta) + " ((" + mem(effective_request) + " − "
           + or_unset(old_request) + ") × " + std::to_string(replicas)
           + "), limits.memory " + signed_mem(limit_delta) + " (("
           + mem(new_limit) + " − " + or_unset(ev.limit) + ") × "
           + std::to_string(replicas)
           + "), plus surge pods during the rollout. "
           + (effective_request > old_request.value_or(0)
                ? "A larger request needs nodes with " + mem(effective_request)
                    + " free memory per pod (Pending otherwise); "
                : std::string{"The request does not grow, so scheduling is "
                              "unaffected; "})
           + "a VPA on the workload would override the change.";
  p.rollback = "Revert the merge request: container " + ev.container
               + " back to " + previous_values(in) + ".";
  p.confidence = std::round(std::clamp(confidence, 0.05, 0.95) * 100) / 100;
  p.source = rules_source;
  return p;
}

kfix::decision escalate(std::string reason, const std::string& evidence = {}) {
  kfix::decision d;
  d.kind = decision_kind::escalate;
  d.reason = reason;
  kfix::plan p;
  p.id = "p1";
  p.title = "Escalate: " + reason;
  kfix::action a;
  a.type = action_type::escalate;
  a.params["reason"] = reason;
  p.actions.push_back(std::move(a));
  p.justification = evidence.empty() ? reason : evidence;
  p.expected_effect = "People are notified with the evidence; nothing is "
                      "changed in the cluster.";
  p.risk = "None from K-Fix; the alert stays open until someone acts.";
  p.rollback = "Nothing to roll back.";
  p.confidence = 0.5;
  p.source = rules_source;
  d.plans.push_back(std::move(p));
  return d;
}

std::string describe_evidence(const plan_inputs& in) {
  const auto& ev = in.ev;
  std::string text = "Container " + ev.container + " of "
                     + in.workload->ref.display() + ": memory limit "
                     + or_unset(ev.limit) + ", request " + or_unset(ev.request)
                     + ".";
  const auto& alert = *in.alert;
  if (!alert.metric.empty() || alert.value) {
    text += " Alert " + std::string{to_string(alert.type)};
    if (!alert.metric.empty())
      text += " on " + alert.metric;
    if (alert.value)
      text += ", value " + ratio_text(*alert.value);
    if (alert.threshold)
      text
        += " "
           + (alert.comparator.empty() ? std::string{"vs"} : alert.comparator)
           + " threshold " + ratio_text(*alert.threshold);
    text += ".";
  }
  if (ev.long_window)
    text += " Working set over " + ev.long_window->window + ": "
            + describe_window(*ev.long_window) + ".";
  if (ev.short_window)
    text += " Over 1h: " + describe_window(*ev.short_window) + ".";
  if (!ev.long_window && !ev.short_window)
    text += " No working-set metrics for the container.";
  if (ev.peak && ev.limit)
    text += " Peak " + mem(*ev.peak) + " is "
            + percent(static_cast<double>(*ev.peak)
                      / static_cast<double>(*ev.limit))
            + " of the limit.";
  text += " " + std::to_string(ev.oom_killed_pods) + " of "
          + std::to_string(ev.pods)
          + " pods last terminated OOMKilled; restarts ";
  if (ev.restarts.empty()) {
    text += "unknown";
  } else {
    for (size_t i = 0; i < ev.restarts.size(); ++i)
      text += (i == 0 ? "" : ", ") + ev.restarts[i].first + " "
              + std::to_string(ev.restarts[i].second);
    text += " (total " + std::to_string(ev.total_restarts) + ")";
  }
  text += "; " + std::to_string(ev.oom_events) + " OOM events.";
  return text;
}

} // namespace

kfix::decision plan_memory_fix(const enriched_alert& alert,
                               const context_bundle& bundle,
                               const sizing_config& sizing,
                               const policy_config& policy) {
  if (alert.type != alert_type::oom_killed
      && alert.type != alert_type::memory_pressure)
    return escalate("memory rules do not handle alert type "
                    + std::string{to_string(alert.type)});
  if (!bundle.workload_found)
    return escalate("workload "
                    + (alert.workload.empty() ? std::string{"(unknown)"}
                                              : alert.workload.display())
                    + " not found; nothing to size");
  const auto& wl = bundle.workload;
  auto container = pick_memory_container(alert, bundle);
  if (container.empty())
    return escalate("cannot tell which container of " + wl.ref.display()
                    + " runs out of memory");
  const auto* spec = wl.container(container);
  if (spec == nullptr)
    return escalate("container " + container + " is not in "
                    + wl.ref.display());
  for (const auto* m : {&spec->limits, &spec->requests}) {
    std::string problem;
    memory_of(*m, problem);
    if (!problem.empty())
      return escalate("current memory of container " + container
                      + " is not a valid quantity: " + problem);
  }
  plan_inputs in;
  in.alert = &alert;
  in.workload = &wl;
  in.spec = spec;
  in.ev = collect_memory_evidence(bundle, container);
  const auto& ev = in.ev;
  in.oom = alert.type == alert_type::oom_killed || ev.oom_killed_pods > 0;
  in.evidence_text = describe_evidence(in);
  // Evidence gates.
  if (!ev.peak) {
    if (ev.oom_killed_pods == 0)
      return escalate("no working-set metrics for container " + container,
                      in.evidence_text);
    if (!ev.limit)
      return escalate("no working-set metrics for container " + container
                        + " and no memory limit to size from",
                      in.evidence_text);
  }
  if (!in.oom && ev.limit && ev.peak
      && static_cast<double>(*ev.peak)
           <= static_cast<double>(*ev.limit)
                * sizing.pressure_target_utilization) {
    kfix::decision d;
    d.kind = decision_kind::no_action;
    d.reason = "working-set peak " + mem(*ev.peak) + " is "
               + percent(static_cast<double>(*ev.peak)
                         / static_cast<double>(*ev.limit))
               + " of the " + mem(*ev.limit)
               + " limit, within the target utilisation "
               + percent(sizing.pressure_target_utilization)
               + "; no OOM kills (the alert metric may count page cache)";
    return d;
  }
  // Sizing and caps.
  auto sized = size_limit(in.oom, ev, sizing);
  auto new_limit = sized.limit;
  auto ns_cap = policy.memory_cap_for(wl.ref.ns);
  auto cap = ns_cap;
  std::string cap_text
    = "the cap " + mem(ns_cap) + " for namespace " + wl.ref.ns;
  if (ev.limit) {
    auto factor_cap = static_cast<int64_t>(std::floor(
      static_cast<double>(*ev.limit) * policy.max_memory_increase_factor));
    if (factor_cap < cap) {
      cap = factor_cap;
      cap_text = "the cap " + mem(cap) + " ("
                 + ratio_text(policy.max_memory_increase_factor)
                 + " × current limit " + mem(*ev.limit) + ")";
    }
  }
  bool capped = false;
  if (new_limit > cap) {
    if (cap < sized.required) {
      auto need = ev.peak
                    ? "peak " + mem(*ev.peak) + " × "
                        + ratio_text(sizing.peak_margin) + " = "
                        + mem(sized.required)
                    : "more than the OOM-killed limit " + or_unset(ev.limit)
                        + ", at least " + mem(sized.required);
      return escalate(cap_text + " is below what the evidence requires: " + need
                        + " (" + sized.formula + ")",
                      in.evidence_text);
    }
    capped = true;
    new_limit = round_down_memory(cap);
    if (new_limit < sized.required)
      new_limit = cap / units::mib * units::mib;
    if (new_limit < sized.required)
      new_limit = cap;
  }
  in.sizing_text = "Sizing (" + std::string{in.oom ? "OOM kill" : "pressure"}
                   + (ev.long_window ? ", window " + ev.long_window->window
                                     : std::string{", no sizing window"})
                   + "): " + sized.formula + ".";
  if (capped)
    in.sizing_text += " Capped to " + mem(new_limit) + " by " + cap_text
                      + "; still above the required " + mem(sized.required)
                      + ".";
  // Confidence.
  double base = in.oom ? (ev.oom_killed_pods > 0 ? 0.85 : 0.75) : 0.7;
  if (!ev.peak)
    base = 0.55;
  else if (!ev.long_window)
    base -= 0.1;
  if (capped)
    base -= 0.15;
  // Plans.
  kfix::decision d;
  d.kind = decision_kind::fix;
  d.reason = std::string{in.oom ? "OOMKilled" : "memory pressure"}
             + ": container " + container + " of " + wl.ref.display()
             + " needs a memory limit of " + mem(new_limit) + " (was "
             + or_unset(ev.limit) + ")";
  const std::string no_scaling
    = "Scaling replicas: rejected, more replicas do not lower the memory "
      "each pod needs.";
  const std::string no_unlimited
    = "Removing the memory limit: rejected, it trades container OOM kills "
      "for node-level OOM and evictions.";
  // p2: request from p95, only when it differs from p1.
  std::optional<int64_t> p2_request;
  std::string p2_how;
  {
    std::optional<int64_t> from_p95;
    if (ev.p95)
      from_p95 = round_up_memory(
        ceil_bytes(static_cast<double>(*ev.p95) * sizing.request_margin));
    auto candidate = std::max(ev.request.value_or(0), from_p95.value_or(0));
    candidate = std::min(candidate, new_limit);
    if (candidate == new_limit && ev.request && *ev.request < new_limit)
      candidate = *ev.request;
    if (candidate > 0 && candidate < new_limit) {
      p2_request = candidate;
      p2_how = "Request = min(limit, max(current request "
               + or_unset(ev.request) + ", round_up(p95 "
               + (ev.p95 ? mem(*ev.p95) : std::string{"unknown"}) + " × "
               + ratio_text(sizing.request_margin) + ")"
               + (from_p95 ? " = " + mem(*from_p95) : std::string{})
               + ")) = " + mem(candidate) + ".";
    }
  }
  // p3: the smallest clean limit that clears the evidence.
  std::optional<int64_t> p3_limit;
  {
    auto floor = ev.peak ? sized.required
                         : ev.limit.value_or(0) + sizing.oom_min_bump_bytes;
    if (in.oom && ev.limit)
      floor = std::max(floor, *ev.limit + sizing.oom_min_bump_bytes);
    auto candidate = round_up_memory(floor);
    if (candidate < new_limit && candidate >= sized.required
        && (!ev.limit || candidate > *ev.limit))
      p3_limit = candidate;
  }
  // Each option as an alternative seen from the other plans.
  std::vector<std::pair<std::string, std::string>> options;
  options.emplace_back("p1", "p1 (request = limit = " + mem(new_limit)
                               + "): preferred, it reserves all the memory "
                                 "the container may use, at the cost of a "
                                 "larger request.");
  if (p2_request)
    options.emplace_back("p2", "p2 (limit " + mem(new_limit) + ", request "
                                 + mem(*p2_request)
                                 + "): ranks lower, a request below the "
                                   "limit overcommits the node and makes "
                                   "the pod an early eviction candidate "
                                   "under node memory pressure.");
  if (p3_limit)
    options.emplace_back("p3", "p3 (limit " + mem(*p3_limit)
                                 + "): ranks lower, less headroom above the "
                                   "observed peak; preferred only when quota "
                                   "or node capacity is tight.");
  auto others = [&](const std::string& self) {
    std::vector<std::string> result;
    for (const auto& [id, text] : options)
      if (id != self)
        result.push_back(text);
    return result;
  };
  {
    auto p = make_plan(in, "p1",
                       "Set memory request = limit = " + mem(new_limit)
                         + " for " + container,
                       new_limit, new_limit, base,
                       "Request = limit: the scheduler reserves all the "
                       "memory the container may use, so its node is not "
                       "overcommitted for it, and under node memory "
                       "pressure the kubelet evicts it last (its usage never "
                       "exceeds its request).");
    p.alternatives = others("p1");
    p.alternatives.push_back(no_scaling);
    p.alternatives.push_back(no_unlimited);
    d.plans.push_back(std::move(p));
  }
  if (p2_request) {
    auto p = make_plan(in, "p2",
                       "Raise the memory limit of " + container + " to "
                         + mem(new_limit) + ", request " + mem(*p2_request)
                         + " from p95",
                       new_limit, p2_request, base - 0.1, p2_how);
    p.alternatives = others("p2");
    p.alternatives.push_back(no_scaling);
    p.alternatives.push_back(no_unlimited);
    d.plans.push_back(std::move(p));
  }
  if (p3_limit) {
    std::optional<int64_t> request;
    if (ev.request && *ev.request > *p3_limit)
      request = *p3_limit;
    else if (ev.request)
      request = ev.request;
    auto p = make_plan(in, "p3",
                       "Raise the memory limit of " + container
                         + " conservatively to " + mem(*p3_limit),
                       *p3_limit, request, base - 0.2,
                       "Conservative: the smallest clean limit above "
                         + std::string{ev.peak ? "the peak with its margin"
                                               : "the OOM-killed limit plus "
                                                 "the minimum bump"}
                         + " (" + mem(sized.required) + "); the request "
                         + (request ? "stays " + mem(*request)
                                    : std::string{"defaults to the limit"})
                         + ".");
    p.alternatives = others("p3");
    p.alternatives.push_back(no_scaling);
    d.plans.push_back(std::move(p));
  }
  return d;
}

} // namespace kfix::reasoning
