#include "actors/reasoning/sizing.hpp"

#include "actors/common/quantity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kfix::reasoning {

int64_t round_up_cpu(int64_t millis) {
  int64_t step = millis < 1000 ? 10 : (millis < 4000 ? 50 : 100);
  return millis <= 0 ? 0 : (millis + step - 1) / step * step;
}

int64_t round_down_cpu(int64_t millis) {
  int64_t step = millis < 1000 ? 10 : (millis < 4000 ? 50 : 100);
  return millis <= 0 ? 0 : millis / step * step;
}

std::optional<double> quota_cap(const incident_facts& f,
                                const std::string& quota_key,
                                double old_value) {
  auto i = f.quota_headroom.find(quota_key);
  if (i == f.quota_headroom.end())
    return std::nullopt;
  return (i->second + static_cast<double>(f.replicas) * old_value)
         / static_cast<double>(std::max(f.rollout_peak_pods, 1));
}

namespace {

using result = caf::expected<sized_value>;

caf::error cannot(const std::string& why) {
  return make_error(ec::refused, why);
}

std::string mem(double bytes) {
  return format_memory(static_cast<int64_t>(bytes));
}

std::string cpu(double millis) {
  return format_cpu(static_cast<int64_t>(millis));
}

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", x);
  return buf;
}

/// The smallest of the caps that apply to a memory limit, with their
/// names.
struct cap {
  double value = 0;
  std::string why;
};

std::vector<cap> memory_limit_caps(const sizing_inputs& in, double old_limit,
                                   const char* quota_key) {
  const auto& f = in.signals.facts;
  std::vector<cap> caps;
  if (old_limit > 0)
    caps.push_back(
      {old_limit * in.policy.max_memory_increase_factor,
       "policy increase cap x" + num(in.policy.max_memory_increase_factor)});
  caps.push_back({static_cast<double>(in.policy.memory_cap_for(f.workload.ns)),
                  "policy absolute cap"});
  if (auto i = f.limit_range_max.find("memory"); i != f.limit_range_max.end())
    caps.push_back({i->second, "LimitRange max"});
  if (auto q = quota_cap(f, quota_key, old_limit))
    caps.push_back({*q, std::string{"ResourceQuota "} + quota_key
                          + " headroom over a rollout of "
                          + std::to_string(f.rollout_peak_pods) + " pods"});
  return caps;
}

const cap* smallest(const std::vector<cap>& caps) {
  const cap* best = nullptr;
  for (const auto& c : caps)
    if (best == nullptr || c.value < best->value)
      best = &c;
  return best;
}

/// Sizes a memory limit to at least `wanted` (rounded up) and at least
/// `needed`, within the caps; an error when the caps leave less than
/// `needed`.
result capped_memory(const sizing_inputs& in, double old_limit, double wanted,
                     double needed, std::string formula) {
  auto value = static_cast<double>(
    round_up_memory(static_cast<int64_t>(std::ceil(wanted))));
  auto caps = memory_limit_caps(in, old_limit, "limits.memory");
  if (const auto* c = smallest(caps); c && value > c->value) {
    auto capped
      = static_cast<double>(round_down_memory(static_cast<int64_t>(c->value)));
    if (capped < needed)
      return cannot("no memory limit that clears " + mem(needed) + " fits: the "
                    + c->why + " allows " + mem(c->value));
    formula += "; capped by the " + c->why + " to " + mem(capped);
    value = capped;
  }
  return sized_value{mem(value), formula + " = " + mem(value)};
}

// -- memory
// -------------------------------------------------------------------------

result memory_oom_bump(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  double limit = f.resources.memory_limit
                   ? static_cast<double>(*f.resources.memory_limit)
                   : 0;
  double peak = f.memory_peak ? static_cast<double>(*f.memory_peak) : 0;
  if (limit <= 0 && peak <= 0)
    return cannot("neither a memory limit nor a working-set peak to size "
                  "from");
  const auto& s = in.sizing;
  double by_ratio = limit * s.oom_bump_ratio;
  double by_step = limit + static_cast<double>(s.oom_min_bump_bytes);
  double by_peak = peak * s.peak_margin;
  double wanted = std::max({by_ratio, by_step, by_peak});
  // The least that stops the kills: the §7.2 band's lower bound.
  double needed = std::max({limit * 1.2, by_step, by_peak});
  std::string formula
    = "max(limit " + mem(limit) + " x " + num(s.oom_bump_ratio) + ", limit + "
      + mem(static_cast<double>(s.oom_min_bump_bytes)) + ", peak "
      + describe_memory(static_cast<int64_t>(peak)) + " x " + num(s.peak_margin)
      + ")";
  return capped_memory(in, limit, wanted, needed, formula);
}

result memory_pressure_raise(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  double limit = f.resources.memory_limit
                   ? static_cast<double>(*f.resources.memory_limit)
                   : 0;
  double peak = f.memory_peak ? static_cast<double>(*f.memory_peak) : 0;
  if (peak <= 0)
    return cannot("no working-set metrics to size from");
  const auto& s = in.sizing;
  double by_target = peak / s.pressure_target_utilization;
  double by_ratio = limit * s.pressure_min_ratio;
  double wanted = std::max(by_target, by_ratio);
  double needed = std::max(peak * s.peak_margin, limit * 1.2);
  std::string formula = "max(peak "
                        + describe_memory(static_cast<int64_t>(peak)) + " / "
                        + num(s.pressure_target_utilization) + ", limit "
                        + mem(limit) + " x " + num(s.pressure_min_ratio) + ")";
  return capped_memory(in, limit, wanted, needed, formula);
}

/// The new limit of the same action, or the current one.
std::optional<double> new_memory_limit(const sizing_inputs& in) {
  if (auto i = in.action_params.find("memory_limit");
      i != in.action_params.end())
    if (auto q = parse_quantity(i->second))
      return static_cast<double>(q->bytes());
  const auto& f = in.signals.facts;
  if (f.resources.memory_limit)
    return static_cast<double>(*f.resources.memory_limit);
  return std::nullopt;
}

result memory_request_to_limit(const sizing_inputs& in) {
  auto limit = new_memory_limit(in);
  if (!limit)
    return cannot("no memory limit to set the request to");
  const auto& f = in.signals.facts;
  double old = f.resources.memory_request
                 ? static_cast<double>(*f.resources.memory_request)
                 : 0;
  if (auto q = quota_cap(f, "requests.memory", old); q && *limit > *q)
    return cannot("a memory request of " + mem(*limit)
                  + " does not fit the ResourceQuota requests.memory (at most "
                  + mem(*q) + " per pod over the rollout)");
  return sized_value{mem(*limit), "request = limit (Guaranteed memory, "
                                  "remediation.md §3 (a))"};
}

result memory_request_p95(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  if (!f.working_set_7d)
    return cannot("no 7-day working set to size the request from");
  double old = f.resources.memory_request
                 ? static_cast<double>(*f.resources.memory_request)
                 : 0;
  double from_p95 = static_cast<double>(round_up_memory(
    static_cast<int64_t>(f.working_set_7d->p95 * in.sizing.request_margin)));
  double value = std::max(old, from_p95);
  if (auto limit = new_memory_limit(in))
    value = std::min(value, *limit);
  return sized_value{
    mem(value), "max(current request " + mem(old) + ", p95 "
                  + describe_memory(static_cast<int64_t>(f.working_set_7d->p95))
                  + " x " + num(in.sizing.request_margin) + ")"};
}

const container_spec* previous_container(const incident_facts& f) {
  if (f.previous_revision == nullptr)
    return nullptr;
  for (const auto& c : f.previous_revision->containers)
    if (c.name == f.container)
      return &c;
  return nullptr;
}

result previous_resource(const sizing_inputs& in, bool limit,
                         const char* resource) {
  const auto* c = previous_container(in.signals.facts);
  if (c == nullptr)
    return cannot("no previous revision of the container");
  const auto& m = limit ? c->limits : c->requests;
  auto i = m.find(resource);
  if (i == m.end())
    return sized_value{"unset", std::string{"the previous revision had no "}
                                  + resource + (limit ? " limit" : " request")};
  return sized_value{
    i->second,
    "as in revision "
      + std::to_string(in.signals.facts.previous_revision->revision)};
}

result memory_previous_limit(const sizing_inputs& in) {
  return previous_resource(in, true, "memory");
}

result memory_previous_request(const sizing_inputs& in) {
  return previous_resource(in, false, "memory");
}

result cpu_previous_request(const sizing_inputs& in) {
  return previous_resource(in, false, "cpu");
}

result memory_limit_in_range(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  auto max = f.limit_range_max.find("memory");
  if (max == f.limit_range_max.end())
    return cannot("no LimitRange max memory");
  const auto* prev = previous_container(f);
  double base = 0;
  if (prev)
    if (auto i = prev->limits.find("memory"); i != prev->limits.end())
      if (auto q = parse_quantity(i->second))
        base = static_cast<double>(q->bytes());
  if (base <= 0)
    return cannot("no previous memory limit to start from");
  double wanted = std::max(base * 1.25, base + 100.0 * units::mib);
  double value = std::min(
    static_cast<double>(round_up_memory(static_cast<int64_t>(wanted))),
    static_cast<double>(round_down_memory(static_cast<int64_t>(max->second))));
  if (value < base)
    value = base;
  return sized_value{mem(value), "max(previous limit " + mem(base)
                                   + " x 1.25, + 100Mi), within the "
                                     "LimitRange max "
                                   + mem(max->second)};
}

result memory_request_fit_node(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  if (auto prev = previous_resource(in, false, "memory");
      prev && prev->value != "unset")
    return prev;
  if (!f.working_set_7d)
    return cannot("no working set to size the request from");
  double value = static_cast<double>(round_up_memory(
    static_cast<int64_t>(f.working_set_7d->p95 * in.sizing.request_margin)));
  if (f.node_memory_max)
    value = std::min(value, *f.node_memory_max * 0.5);
  return sized_value{mem(value),
                     "p95 working set x " + num(in.sizing.request_margin)};
}

// -- CPU
// ----------------------------------------------------------------------------

result cpu_request_p95(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  const auto& usage = f.cpu_7d ? f.cpu_7d : f.cpu_1h;
  if (!usage)
    return cannot("no CPU usage metrics to size the request from");
  double old = f.resources.cpu_request_m
                 ? static_cast<double>(*f.resources.cpu_request_m)
                 : 0;
  double target = std::max(usage->p95, usage->p50 * 1.15) * 1000.0;
  double value = static_cast<double>(
    round_up_cpu(static_cast<int64_t>(std::ceil(target))));
  std::string formula
    = "p95 CPU usage " + cpu(usage->p95 * 1000.0) + " (KRR simple), rounded up";
  if (f.node_cpu_max && value > *f.node_cpu_max * 500.0) {
    value = static_cast<double>(
      round_down_cpu(static_cast<int64_t>(*f.node_cpu_max * 500.0)));
    formula += ", capped at half the largest node";
  }
  if (auto q = quota_cap(f, "requests.cpu", old / 1000.0);
      q && value > *q * 1000.0) {
    double capped
      = static_cast<double>(round_down_cpu(static_cast<int64_t>(*q * 1000.0)));
    if (capped < usage->p95 * 1000.0)
      return cannot("the ResourceQuota requests.cpu leaves at most "
                    + cpu(*q * 1000.0) + " per pod, below the p95 usage");
    value = capped;
    formula += ", capped by the ResourceQuota requests.cpu";
  }
  return sized_value{cpu(value), formula + " = " + cpu(value)};
}

result cpu_request_for_unlimited(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  auto p95 = cpu_request_p95(in);
  if (!p95)
    return p95;
  double old = f.resources.cpu_request_m
                 ? static_cast<double>(*f.resources.cpu_request_m)
                 : 0;
  auto q = parse_quantity(p95->value);
  double value = q ? static_cast<double>(q->millis()) : old;
  if (old > value)
    return sized_value{cpu(old), "the current request " + cpu(old)
                                   + " already covers p95 usage"};
  return p95;
}

result cpu_limit_raise(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  if (!f.resources.cpu_limit_m)
    return cannot("the container has no CPU limit to raise");
  double old = static_cast<double>(*f.resources.cpu_limit_m);
  double p99 = f.cpu_7d ? f.cpu_7d->p99 * 1000.0 : 0;
  double wanted = std::max(old * 1.5, p99 * 1.2);
  double value = static_cast<double>(
    round_up_cpu(static_cast<int64_t>(std::ceil(wanted))));
  value = std::min(value, old * 3.0);
  std::string formula = "max(limit " + cpu(old) + " x 1.5, p99 usage "
                        + cpu(p99) + " x 1.2), at most 3x";
  double needed = std::max(old * 1.2, p99 * 1.2);
  std::vector<cap> caps;
  if (auto i = f.limit_range_max.find("cpu"); i != f.limit_range_max.end())
    caps.push_back({i->second * 1000.0, "LimitRange max"});
  if (auto q = quota_cap(f, "limits.cpu", old / 1000.0))
    caps.push_back({*q * 1000.0, "ResourceQuota limits.cpu headroom"});
  if (const auto* c = smallest(caps); c && value > c->value) {
    double capped
      = static_cast<double>(round_down_cpu(static_cast<int64_t>(c->value)));
    if (capped < needed)
      return cannot("no CPU limit above " + cpu(needed) + " fits the " + c->why
                    + " (" + cpu(c->value) + ")");
    value = capped;
    formula += ", capped by the " + c->why;
  }
  return sized_value{cpu(value), formula + " = " + cpu(value)};
}

result cpu_request_fit_node(const sizing_inputs& in) {
  if (auto prev = cpu_previous_request(in); prev && prev->value != "unset")
    return prev;
  return cpu_request_p95(in);
}

// -- HPA
// ----------------------------------------------------------------------------

result hpa_max_raise(const sizing_inputs& in) {
  const auto& s = in.signals.values;
  auto max = s.number("hpa.max");
  if (!max)
    return cannot("no HPA targets the workload");
  const auto& f = in.signals.facts;
  double wanted = std::max(std::ceil(*max * 1.2), *max + 1);
  std::string formula = "ceil(maxReplicas " + num(*max) + " x 1.2)";
  double limit = wanted;
  std::string why;
  // Every added replica needs a pod and its requests within the quota.
  auto room = [&](const char* key, double per_pod) -> std::optional<double> {
    auto i = f.quota_headroom.find(key);
    if (i == f.quota_headroom.end() || per_pod <= 0)
      return std::nullopt;
    return std::floor(i->second / per_pod);
  };
  std::vector<std::pair<std::optional<double>, const char*>> rooms{
    {room("pods", 1.0), "pods"}};
  if (f.resources.cpu_request_m)
    rooms.emplace_back(
      room("requests.cpu",
           static_cast<double>(*f.resources.cpu_request_m) / 1000.0),
      "requests.cpu");
  if (f.resources.memory_request)
    rooms.emplace_back(
      room("requests.memory", static_cast<double>(*f.resources.memory_request)),
      "requests.memory");
  double current = s.number("hpa.current").value_or(*max);
  for (const auto& [r, key] : rooms)
    if (r && current + *r < limit) {
      limit = current + *r;
      why = key;
    }
  if (limit < wanted) {
    if (limit < std::ceil(*max * 1.2))
      return cannot("the ResourceQuota " + why + " leaves room for "
                    + num(limit - current) + " more pod(s) only");
    formula += ", capped by the ResourceQuota " + why;
  }
  return sized_value{num(limit), formula + " = " + num(limit)};
}

result hpa_min_for_load(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  const auto& s = in.signals.values;
  if (!f.cpu_7d || !f.resources.cpu_request_m)
    return cannot("no CPU usage or request to size minReplicas from");
  double per_pod
    = f.cpu_7d->p95 * 1000.0 / static_cast<double>(*f.resources.cpu_request_m);
  double replicas = s.number("hpa.current").value_or(f.replicas);
  double value = std::ceil(replicas * per_pod);
  if (auto max = s.number("hpa.max"))
    value = std::min(value, *max);
  if (auto min = s.number("hpa.min"); min && value <= *min)
    return cannot("the load does not need more than minReplicas " + num(*min));
  return sized_value{num(value), "ceil(replicas " + num(replicas)
                                   + " x p95 usage / request " + num(per_pod)
                                   + ")"};
}

result hpa_target_default(const sizing_inputs&) {
  return sized_value{"70", "the usual CPU utilisation target (70 %)"};
}

// -- probes
// -------------------------------------------------------------------------

double startup_period_seconds(const sizing_inputs& in) {
  return in.signals.values.number("probe.liveness_period").value_or(10);
}

result startup_period(const sizing_inputs& in) {
  return sized_value{num(startup_period_seconds(in)),
                     "the liveness probe's period"};
}

result startup_failure_threshold(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  if (!f.startup_seconds)
    return cannot("the start-up time is unknown (no log line or status "
                  "tells it)");
  double period = startup_period_seconds(in);
  double value = std::ceil(*f.startup_seconds * 1.5 / period);
  return sized_value{num(value), "ceil(start-up " + num(*f.startup_seconds)
                                   + " s x 1.5 / period " + num(period)
                                   + " s)"};
}

result liveness_failure_threshold(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  const auto& s = in.signals.values;
  if (!f.startup_seconds)
    return cannot("the start-up time is unknown");
  double period = s.number("probe.liveness_period").value_or(10);
  double delay
    = s.number("probe.liveness_window").value_or(0)
      - period * s.number("probe.liveness_failure_threshold").value_or(3);
  double value
    = std::ceil((*f.startup_seconds * 1.3 - std::max(delay, 0.0)) / period);
  return sized_value{num(std::max(value, 3.0)),
                     "ceil((start-up x 1.3 - initial delay) / period)"};
}

result readiness_timeout_previous(const sizing_inputs& in) {
  const auto* c = previous_container(in.signals.facts);
  if (c == nullptr || !c->readiness)
    return cannot("no previous readiness probe");
  return sized_value{std::to_string(c->readiness->timeout_seconds),
                     "the previous revision's readiness timeout"};
}

// -- ephemeral storage
// ----------------------------------------------------------

result ephemeral_limit_raise(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  double limit = f.resources.ephemeral_limit
                   ? static_cast<double>(*f.resources.ephemeral_limit)
                   : 0;
  double peak = f.ephemeral_7d ? f.ephemeral_7d->max : 0;
  if (limit <= 0 && peak <= 0)
    return cannot("no ephemeral-storage limit or usage to size from");
  double wanted = std::max(peak * 1.3, limit * 1.25);
  double value = static_cast<double>(
    round_up_memory(static_cast<int64_t>(std::ceil(wanted))));
  double ceiling = std::max(peak * 1.5, limit * 2.0);
  value = std::min(value, static_cast<double>(
                            round_down_memory(static_cast<int64_t>(ceiling))));
  return sized_value{mem(value), "max(peak usage " + mem(peak)
                                   + " x 1.3, limit " + mem(limit)
                                   + " x 1.25)"};
}

result ephemeral_request_raise(const sizing_inputs& in) {
  const auto& f = in.signals.facts;
  double old = f.resources.ephemeral_request
                 ? static_cast<double>(*f.resources.ephemeral_request)
                 : 0;
  double value = old;
  if (f.ephemeral_7d)
    value = std::max(value, static_cast<double>(round_up_memory(
                              static_cast<int64_t>(f.ephemeral_7d->p95))));
  if (auto i = in.action_params.find("ephemeral_storage_limit");
      i != in.action_params.end())
    if (auto q = parse_quantity(i->second))
      value = std::min(value, static_cast<double>(q->bytes()));
  if (value <= 0)
    return cannot("no ephemeral-storage request or usage");
  return sized_value{mem(value), "max(current request, p95 usage)"};
}

} // namespace

const std::vector<sizing_method>& sizing_methods() {
  static const std::vector<sizing_method> methods{
    {"memory_oom_bump",
     "OOM bump: max(limit x oom_bump_ratio, limit + oom_min_bump, peak x "
     "peak_margin), capped",
     memory_oom_bump},
    {"memory_pressure_raise",
     "max(peak / pressure_target_utilization, limit x pressure_min_ratio), "
     "capped",
     memory_pressure_raise},
    {"memory_request_to_limit", "request = the new (or current) limit",
     memory_request_to_limit},
    {"memory_request_p95", "max(current request, p95 x request_margin)",
     memory_request_p95},
    {"memory_previous_limit", "the previous revision's memory limit",
     memory_previous_limit},
    {"memory_previous_request", "the previous revision's memory request",
     memory_previous_request},
    {"memory_limit_in_range",
     "the previous limit x 1.25 (or + 100Mi), inside the LimitRange max",
     memory_limit_in_range},
    {"memory_request_fit_node",
     "the previous request, else p95 x request_margin, at most half a node",
     memory_request_fit_node},
    {"cpu_request_p95", "p95 CPU usage (KRR simple), rounded up, capped",
     cpu_request_p95},
    {"cpu_request_for_unlimited",
     "max(current request, p95 usage) for a container without a CPU limit",
     cpu_request_for_unlimited},
    {"cpu_previous_request", "the previous revision's CPU request",
     cpu_previous_request},
    {"cpu_request_fit_node",
     "the previous request, else p95 usage, at most half a node",
     cpu_request_fit_node},
    {"cpu_limit_raise",
     "max(limit x 1.5, p99 x 1.2), at most 3x, capped by LimitRange and "
     "quota",
     cpu_limit_raise},
    {"hpa_max_raise", "ceil(maxReplicas x 1.2), capped by the quota",
     hpa_max_raise},
    {"hpa_min_for_load", "ceil(replicas x p95 usage / request)",
     hpa_min_for_load},
    {"hpa_target_default", "70 % CPU utilisation", hpa_target_default},
    {"startup_period", "the liveness probe's period", startup_period},
    {"startup_failure_threshold",
     "ceil(start-up x 1.5 / period) (remediation.md §5.11)",
     startup_failure_threshold},
    {"liveness_failure_threshold",
     "ceil((start-up x 1.3 - initial delay) / period)",
     liveness_failure_threshold},
    {"readiness_timeout_previous", "the previous revision's readiness timeout",
     readiness_timeout_previous},
    {"ephemeral_limit_raise",
     "max(peak x 1.3, limit x 1.25), at most max(peak x 1.5, 2 x limit)",
     ephemeral_limit_raise},
    {"ephemeral_request_raise", "max(current request, p95 usage)",
     ephemeral_request_raise},
  };
  return methods;
}

caf::expected<sized_value> size(const std::string& name,
                                const sizing_inputs& in) {
  for (const auto& m : sizing_methods())
    if (m.name == name)
      return m.compute(in);
  return make_error(ec::invalid_config, "unknown sizing method " + name);
}

} // namespace kfix::reasoning
