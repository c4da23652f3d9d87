#include "actors/reasoning/signals.hpp"

#include "actors/common/quantity.hpp"
#include "actors/common/time_text.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace kfix::reasoning {

// -- signal values
// --------------------------------------------------------------

std::string signal_value::display() const {
  switch (kind) {
    case flag:
      return on ? "yes" : "no";
    case text:
      return str;
    case number: {
      char buf[64];
      if (std::fabs(num - std::round(num)) < 1e-9 && std::fabs(num) < 1e15)
        std::snprintf(buf, sizeof(buf), "%.0f", num);
      else
        std::snprintf(buf, sizeof(buf), "%.3g", num);
      return buf;
    }
  }
  return {};
}

void signal_map::set(const std::string& name, double value) {
  signal_value v;
  v.kind = signal_value::number;
  v.num = value;
  values_[name] = std::move(v);
}

void signal_map::set(const std::string& name, bool value) {
  signal_value v;
  v.kind = signal_value::flag;
  v.on = value;
  values_[name] = std::move(v);
}

void signal_map::set(const std::string& name, std::string value) {
  signal_value v;
  v.kind = signal_value::text;
  v.str = std::move(value);
  values_[name] = std::move(v);
}

void signal_map::set(const std::string& name, const char* value) {
  set(name, std::string{value});
}

const signal_value* signal_map::find(const std::string& name) const {
  auto i = values_.find(name);
  return i == values_.end() ? nullptr : &i->second;
}

std::string signal_map::text(const std::string& name,
                             const std::string& fallback) const {
  const auto* v = find(name);
  return v ? v->display() : fallback;
}

std::optional<double> signal_map::number(const std::string& name) const {
  const auto* v = find(name);
  if (v == nullptr || v->kind != signal_value::number)
    return std::nullopt;
  return v->num;
}

bool signal_map::flag(const std::string& name) const {
  const auto* v = find(name);
  return v != nullptr && v->kind == signal_value::flag && v->on;
}

// -- helpers
// --------------------------------------------------------------------

namespace {

std::optional<int64_t> bytes_of(const resource_map& m, const char* key) {
  auto i = m.find(key);
  if (i == m.end())
    return std::nullopt;
  auto q = parse_quantity(i->second);
  if (!q)
    return std::nullopt;
  return q->bytes();
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

double quantity_value(const std::string& text, bool memory) {
  auto q = parse_quantity(text);
  if (!q)
    return 0;
  return memory ? static_cast<double>(q->bytes())
                : static_cast<double>(q->millis()) / 1000.0;
}

bool is_memory_resource(const std::string& resource) {
  return resource.find("memory") != std::string::npos
         || resource.find("storage") != std::string::npos;
}

std::optional<window_stats> summary(const context_bundle& b, const char* metric,
                                    const std::string& container,
                                    const char* window) {
  const auto* s = b.find_metric(metric, container, window);
  if (s == nullptr || s->samples == 0)
    return std::nullopt;
  return stats_of(*s);
}

std::optional<window_stats> service_summary(const context_bundle& b,
                                            const std::string& metric,
                                            const std::string& service,
                                            const char* window) {
  const series_summary* found = nullptr;
  for (const auto& s : b.metrics)
    if (s.metric == metric && s.window == window && !s.service.empty()
        && (service.empty() || s.service == service))
      found = &s;
  if (found == nullptr || found->samples == 0)
    return std::nullopt;
  return stats_of(*found);
}

/// The first APM summary whose metric name matches `re` (latency metrics
/// are named after the span: trace.<span>.duration.by.service.99p).
std::optional<window_stats>
service_summary_re(const context_bundle& b, const RE2& re, const char* window) {
  for (const auto& s : b.metrics)
    if (s.window == window && !s.service.empty() && s.samples > 0
        && RE2::PartialMatch(s.metric, re))
      return stats_of(s);
  return std::nullopt;
}

std::optional<double> hours_between(const std::string& from_rfc3339,
                                    int64_t to_s) {
  auto ms = parse_rfc3339_ms(from_rfc3339);
  if (!ms || to_s == 0)
    return std::nullopt;
  return (static_cast<double>(to_s) * 1000.0 - static_cast<double>(*ms))
         / 3'600'000.0;
}

const container_status* status_of(const pod_state& p, const std::string& c) {
  for (const auto& s : p.containers)
    if (s.name == c)
      return &s;
  return nullptr;
}

std::string mem_text(double bytes) {
  return describe_memory(static_cast<int64_t>(bytes));
}

std::string cores_text(double cores) {
  return format_cpu(static_cast<int64_t>(std::llround(cores * 1000.0)));
}

std::string pct_text(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f%%", fraction * 100.0);
  return buf;
}

std::string num_text(double x) {
  signal_value v;
  v.num = x;
  return v.display();
}

int count_matches(const std::vector<log_pattern>& logs, const RE2& re) {
  int64_t n = 0;
  for (const auto& lp : logs)
    if (RE2::PartialMatch(lp.pattern, re) || RE2::PartialMatch(lp.example, re))
      n += std::max<int64_t>(lp.count, 1);
  return static_cast<int>(n);
}

int count_events(const std::vector<event_record>& events, const char* reason,
                 const RE2* message = nullptr) {
  int n = 0;
  for (const auto& e : events)
    if ((reason == nullptr || e.reason == reason)
        && (message == nullptr || RE2::PartialMatch(e.message, *message)))
      n += std::max(e.count, 1);
  return n;
}

/// A case-insensitive pattern, compiled once per call site.
#define KFIX_RE(name, pattern)                                                 \
  static const RE2 name {                                                      \
    "(?i)" pattern                                                             \
  }

} // namespace

container_resources resources_of(const container_spec& spec) {
  container_resources r;
  r.memory_request = bytes_of(spec.requests, "memory");
  r.memory_limit = bytes_of(spec.limits, "memory");
  r.cpu_request_m = millis_of(spec.requests, "cpu");
  r.cpu_limit_m = millis_of(spec.limits, "cpu");
  r.ephemeral_request = bytes_of(spec.requests, "ephemeral-storage");
  r.ephemeral_limit = bytes_of(spec.limits, "ephemeral-storage");
  return r;
}

window_stats stats_of(const series_summary& s) {
  double scale = s.unit == "nanocore" ? 1e-9 : 1.0;
  window_stats w;
  w.samples = s.samples;
  w.p50 = s.p50 * scale;
  w.p95 = s.p95 * scale;
  w.p99 = s.p99 * scale;
  w.max = s.max * scale;
  w.last = s.last * scale;
  return w;
}

std::string pick_target_container(const enriched_alert& alert,
                                  const context_bundle& bundle) {
  const auto& containers = bundle.workload.containers;
  if (!alert.container.empty() && bundle.workload.container(alert.container))
    return alert.container;
  if (containers.size() == 1)
    return containers.front().name;
  // The container in the most trouble across the pods.
  std::string best;
  int best_score = 0;
  for (const auto& spec : containers) {
    int score = 0;
    for (const auto& p : bundle.pods)
      if (const auto* s = status_of(p, spec.name)) {
        if (s->last_termination_reason == "OOMKilled")
          score += 100;
        if (!s->waiting_reason.empty())
          score += 50;
        score += std::min(s->restart_count, 40);
      }
    if (score > best_score) {
      best_score = score;
      best = spec.name;
    }
  }
  if (!best.empty())
    return best;
  return containers.empty() ? std::string{} : containers.front().name;
}

namespace {

// -- the signal groups
// ------------------------------------------------------------

void alert_signals(const enriched_alert& a, incident_signals& out) {
  auto& v = out.values;
  v.set("alert.type", std::string{to_string(a.type)});
  v.set("alert.transition", a.transition);
  v.set("alert.recovered", a.transition == "Recovered");
  v.set("alert.no_data", a.transition.find("No Data") != std::string::npos);
  v.set("alert.warn", a.transition.find("Warn") != std::string::npos);
  v.set("alert.metric", a.metric);
  if (a.value)
    v.set("alert.value", *a.value);
  if (a.threshold)
    v.set("alert.threshold", *a.threshold);
  v.set("alert.env", a.env);
}

void workload_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  auto& f = out.facts;
  const auto& w = b.workload;
  v.set("workload.found", b.workload_found);
  v.set("workload.kind", w.ref.kind);
  v.set("workload.name", w.ref.name);
  v.set("workload.namespace", w.ref.ns);
  v.set("workload.replicas", static_cast<double>(w.replicas));
  v.set("workload.ready_replicas", static_cast<double>(w.ready_replicas));
  v.set("workload.containers", static_cast<double>(w.containers.size()));
  v.set("workload.hpa", b.hpa() != nullptr);
  f.replicas = w.replicas;
  // Rollout surge: DaemonSets surge 0 by default; Deployments 25 % (rounded
  // up) unless set.
  int32_t surge = 0;
  if (w.ref.kind == "Deployment") {
    const auto& s = w.max_surge;
    if (s.empty())
      surge = (w.replicas + 3) / 4;
    else if (s.back() == '%')
      surge = static_cast<int32_t>(std::ceil(
        w.replicas * std::atof(s.substr(0, s.size() - 1).c_str()) / 100.0));
    else
      surge = std::atoi(s.c_str());
  }
  f.rollout_peak_pods = std::max(1, w.replicas + std::max(surge, 0));
  v.set("workload.rollout_peak_pods", static_cast<double>(f.rollout_peak_pods));
}

void memory_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  auto& f = out.facts;
  const auto& c = f.container;
  f.working_set_7d = summary(b, metric_names::memory_working_set, c, "7d");
  f.working_set_1h = summary(b, metric_names::memory_working_set, c, "1h");
  if (f.resources.memory_limit)
    v.set("memory.limit", static_cast<double>(*f.resources.memory_limit));
  v.set("memory.limit_set", f.resources.memory_limit.has_value());
  if (f.resources.memory_request)
    v.set("memory.request", static_cast<double>(*f.resources.memory_request));
  double peak = 0;
  for (const auto& w : {f.working_set_7d, f.working_set_1h})
    if (w)
      peak = std::max(peak, w->max);
  if (peak > 0) {
    f.memory_peak = static_cast<int64_t>(peak);
    v.set("memory.peak", peak);
  }
  if (f.working_set_7d) {
    v.set("memory.ws_p50_7d", f.working_set_7d->p50);
    v.set("memory.ws_p95_7d", f.working_set_7d->p95);
    v.set("memory.ws_max_7d", f.working_set_7d->max);
    if (f.working_set_7d->p50 > 0)
      v.set("memory.variation_7d",
            f.working_set_7d->max / f.working_set_7d->p50);
  }
  if (f.working_set_1h) {
    v.set("memory.ws_p50_1h", f.working_set_1h->p50);
    v.set("memory.ws_max_1h", f.working_set_1h->max);
  }
  if (f.working_set_7d && f.working_set_1h && f.working_set_7d->p50 > 0)
    v.set("memory.regression_ratio",
          f.working_set_1h->p50 / f.working_set_7d->p50);
  if (f.resources.memory_limit && *f.resources.memory_limit > 0) {
    auto limit = static_cast<double>(*f.resources.memory_limit);
    if (peak > 0)
      v.set("memory.peak_utilization", peak / limit);
    if (f.working_set_1h)
      v.set("memory.utilization_1h", f.working_set_1h->p50 / limit);
    if (f.working_set_7d)
      v.set("memory.utilization_p50_7d", f.working_set_7d->p50 / limit);
  }
  // OOM kills: the pods' last terminations, the kernel's events.
  int oom_pods = 0;
  int other_oom = 0;
  for (const auto& p : b.pods)
    for (const auto& s : p.containers)
      if (s.last_termination_reason == "OOMKilled")
        (s.name == c ? oom_pods : other_oom) += 1;
  KFIX_RE(oom_message, "out of memory|oom");
  int oom_events = count_events(b.events, "OOMKilling")
                   + count_events(b.events, "Killing", &oom_message);
  v.set("memory.oom_pods", static_cast<double>(oom_pods));
  v.set("memory.oom_other_containers", static_cast<double>(other_oom));
  v.set("memory.oom_events", static_cast<double>(oom_events));
  v.set("memory.oom", oom_pods > 0);
  std::string text;
  if (f.working_set_7d)
    text += "working set of " + c + " over 7 d: p50 "
            + mem_text(f.working_set_7d->p50) + ", p95 "
            + mem_text(f.working_set_7d->p95) + ", max "
            + mem_text(f.working_set_7d->max) + " ("
            + std::to_string(f.working_set_7d->samples) + " samples)";
  if (f.working_set_1h)
    text += std::string{text.empty() ? "" : "; "} + "last hour: p50 "
            + mem_text(f.working_set_1h->p50) + ", max "
            + mem_text(f.working_set_1h->max);
  if (f.resources.memory_limit)
    text += std::string{text.empty() ? "" : "; "} + "memory limit "
            + mem_text(static_cast<double>(*f.resources.memory_limit));
  if (f.resources.memory_request)
    text += ", request "
            + mem_text(static_cast<double>(*f.resources.memory_request));
  if (oom_pods > 0)
    text += "; " + std::to_string(oom_pods)
            + " pod(s) last terminated OOMKilled (exit 137)";
  if (oom_events > 0)
    text += "; " + std::to_string(oom_events) + " OOM kill event(s)";
  out.evidence["memory"] = text;
}

void pod_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  const auto& c = out.facts.container;
  int pods = 0, ready = 0, pending = 0, crash = 0, image_pull = 0;
  int config = 0, restarts = 0, max_restarts = 0, evicted = 0;
  int evicted_ephemeral = 0, evicted_by_node = 0, unschedulable = 0;
  std::map<int, int> exit_codes;
  std::map<std::string, int> termination_reasons;
  // The kubelet words a pod that outgrew its own limit ("Pod ephemeral
  // local storage usage exceeds the total limit of containers") apart from
  // a node under pressure ("The node was low on resource:
  // ephemeral-storage").
  KFIX_RE(ephemeral_re, "ephemeral.{0,20}storage.{0,40}exceeds");
  KFIX_RE(node_pressure_re, "the node was low on resource");
  for (const auto& p : b.pods) {
    ++pods;
    if (p.phase == "Pending")
      ++pending;
    if (p.reason == "Evicted") {
      ++evicted;
      if (RE2::PartialMatch(p.message, ephemeral_re))
        ++evicted_ephemeral;
      if (RE2::PartialMatch(p.message, node_pressure_re))
        ++evicted_by_node;
    }
    if (const auto* sched = p.condition("PodScheduled");
        sched && sched->status == "False")
      ++unschedulable;
    const auto* s = status_of(p, c);
    if (s == nullptr)
      continue;
    if (s->ready)
      ++ready;
    restarts += s->restart_count;
    max_restarts = std::max(max_restarts, s->restart_count);
    const auto& w = s->waiting_reason;
    if (w == "CrashLoopBackOff")
      ++crash;
    if (w == "ImagePullBackOff" || w == "ErrImagePull"
        || w == "InvalidImageName")
      ++image_pull;
    if (w == "CreateContainerConfigError" || w == "CreateContainerError")
      ++config;
    if (!s->last_termination_reason.empty() && s->restart_count > 0) {
      exit_codes[s->last_exit_code] += 1;
      termination_reasons[s->last_termination_reason] += 1;
    }
  }
  v.set("pods.count", static_cast<double>(pods));
  v.set("pods.ready", static_cast<double>(ready));
  v.set("pods.not_ready", static_cast<double>(pods - ready));
  v.set("pods.pending", static_cast<double>(pending));
  v.set("pods.unschedulable", static_cast<double>(unschedulable));
  v.set("pods.evicted", static_cast<double>(evicted));
  v.set("pods.evicted_ephemeral", static_cast<double>(evicted_ephemeral));
  v.set("pods.evicted_by_node_pressure", static_cast<double>(evicted_by_node));
  v.set("restarts.total", static_cast<double>(restarts));
  v.set("restarts.max", static_cast<double>(max_restarts));
  v.set("crash.pods", static_cast<double>(crash));
  v.set("waiting.image_pull", static_cast<double>(image_pull));
  v.set("waiting.config", static_cast<double>(config));
  int code = -1, code_count = 0;
  for (const auto& [k, n] : exit_codes)
    if (n > code_count) {
      code = k;
      code_count = n;
    }
  if (code >= 0)
    v.set("crash.exit_code", static_cast<double>(code));
  std::string reason;
  int reason_count = 0;
  for (const auto& [k, n] : termination_reasons)
    if (n > reason_count) {
      reason = k;
      reason_count = n;
    }
  v.set("crash.reason", reason);
  std::string text
    = std::to_string(ready) + " of " + std::to_string(pods) + " pod(s) ready";
  if (crash > 0)
    text += ", " + std::to_string(crash) + " in CrashLoopBackOff";
  if (image_pull > 0)
    text += ", " + std::to_string(image_pull) + " failing to pull the image";
  if (config > 0)
    text += ", " + std::to_string(config) + " in CreateContainerConfigError";
  if (pending > 0)
    text += ", " + std::to_string(pending) + " Pending";
  if (evicted > 0)
    text += ", " + std::to_string(evicted) + " evicted";
  if (restarts > 0)
    text += "; " + std::to_string(restarts) + " restart(s) of " + c;
  if (code >= 0)
    text += ", last exit code " + std::to_string(code) + " ("
            + (reason.empty() ? "?" : reason) + ")";
  out.evidence["pods"] = text;
}

void event_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  KFIX_RE(liveness_re, "liveness probe failed");
  KFIX_RE(readiness_re, "readiness probe failed");
  KFIX_RE(startup_re, "startup probe failed");
  KFIX_RE(killed_liveness_re, "failed liveness probe");
  KFIX_RE(not_found_re, "not found|manifest unknown|does not exist");
  KFIX_RE(auth_re, "unauthorized|authentication required|pull access "
                   "denied|denied|401|403");
  KFIX_RE(platform_re, "no match for platform|exec format");
  KFIX_RE(insufficient_cpu_re, "insufficient cpu");
  KFIX_RE(insufficient_memory_re, "insufficient memory");
  KFIX_RE(selector_re,
          "didn't match pod's node (affinity|selector)|node\\(s\\) "
          "didn't match|node affinity");
  KFIX_RE(taint_re, "untolerated taint|had taint");
  KFIX_RE(quota_re, "exceeded quota");
  KFIX_RE(limitrange_re, "(maximum|minimum) (cpu|memory|ephemeral-storage) "
                         "usage per (container|pod)|limit to request ratio");
  KFIX_RE(scale_limit_re, "max node group size reached|max.*size reached");
  KFIX_RE(disk_pressure_re, "diskpressure|low on resource: ephemeral-storage|"
                            "the node was low on resource");
  v.set("probe.liveness_failures",
        static_cast<double>(count_events(b.events, "Unhealthy", &liveness_re)));
  v.set("probe.readiness_failures", static_cast<double>(count_events(
                                      b.events, "Unhealthy", &readiness_re)));
  v.set("probe.startup_failures",
        static_cast<double>(count_events(b.events, "Unhealthy", &startup_re)));
  v.set("probe.liveness_kills", static_cast<double>(count_events(
                                  b.events, "Killing", &killed_liveness_re)));
  // Image pull causes from the kubelet's Failed events.
  std::string cause;
  for (const auto& e : b.events) {
    if (e.reason != "Failed" && e.reason != "ErrImagePull"
        && e.reason != "InspectFailed")
      continue;
    if (RE2::PartialMatch(e.message, platform_re))
      cause = "platform";
    else if (RE2::PartialMatch(e.message, auth_re) && cause != "platform")
      cause = "unauthorized";
    else if (RE2::PartialMatch(e.message, not_found_re) && cause.empty())
      cause = "not_found";
  }
  v.set("image_pull.cause", cause);
  v.set("pending.insufficient_cpu",
        count_events(b.events, "FailedScheduling", &insufficient_cpu_re) > 0);
  v.set("pending.insufficient_memory",
        count_events(b.events, "FailedScheduling", &insufficient_memory_re)
          > 0);
  v.set("pending.selector_mismatch",
        count_events(b.events, "FailedScheduling", &selector_re) > 0);
  v.set("pending.taint",
        count_events(b.events, "FailedScheduling", &taint_re) > 0);
  v.set("pending.autoscaler_limit",
        count_events(b.events, nullptr, &scale_limit_re) > 0);
  v.set("quota.failed_create",
        count_events(b.events, "FailedCreate", &quota_re) > 0);
  v.set("limitrange.violation",
        count_events(b.events, "FailedCreate", &limitrange_re) > 0);
  v.set("node.disk_pressure_events",
        count_events(b.events, nullptr, &disk_pressure_re) > 0);
  std::string text;
  std::map<std::string, int> warnings;
  for (const auto& e : b.events)
    if (e.type == "Warning")
      warnings[e.reason] += std::max(e.count, 1);
  for (const auto& [reason, n] : warnings)
    text += std::string{text.empty() ? "" : ", "} + reason + " x"
            + std::to_string(n);
  if (!text.empty())
    out.evidence["events"] = "warning events: " + text;
  // The most telling warning message, quoted.
  for (const auto& e : b.events)
    if (e.type == "Warning" && e.reason != "BackOff") {
      auto msg = e.message.substr(0, 200);
      out.evidence["event_message"] = e.reason + ": \"" + msg + "\"";
      break;
    }
}

void rollout_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  auto& f = out.facts;
  const auto* cur = b.current_revision();
  if (cur == nullptr)
    cur = b.newest_revision();
  const revision_state* prev = nullptr;
  if (cur != nullptr)
    for (const auto& r : b.revisions)
      if (r.revision < cur->revision
          && (prev == nullptr || r.revision > prev->revision))
        prev = &r;
  f.current_revision = cur;
  f.previous_revision = prev;
  v.set("rollout.has_previous", prev != nullptr);
  if (cur == nullptr)
    return;
  v.set("rollout.revision", static_cast<double>(cur->revision));
  f.rollout_age_hours = hours_between(cur->created_at, f.alert_time_s);
  if (f.rollout_age_hours)
    v.set("rollout.age_hours", *f.rollout_age_hours);
  // Pods by revision.
  int new_pods = 0, new_failing = 0, old_pods = 0, old_ready = 0;
  for (const auto& p : b.pods) {
    bool is_new
      = !p.template_hash.empty() && p.template_hash == cur->template_hash;
    const auto* s = status_of(p, f.container);
    bool ok = s != nullptr && s->ready && s->waiting_reason.empty();
    if (is_new) {
      ++new_pods;
      if (!ok || p.phase == "Pending")
        ++new_failing;
    } else if (!p.template_hash.empty()) {
      ++old_pods;
      if (ok)
        ++old_ready;
    }
  }
  v.set("rollout.new_pods", static_cast<double>(new_pods));
  v.set("rollout.new_pods_failing", static_cast<double>(new_failing));
  v.set("rollout.old_pods", static_cast<double>(old_pods));
  v.set("rollout.old_pods_ready", static_cast<double>(old_ready));
  bool stalled = false;
  for (const auto& c : b.workload.conditions)
    if (c.type == "Progressing" && c.status == "False")
      stalled = true;
  v.set("rollout.stalled", stalled);
  if (prev == nullptr)
    return;
  v.set("rollout.previous_revision", static_cast<double>(prev->revision));
  // What the rollout changed in the target container (and the others).
  bool image = false, resources = false, env = false, probes = false;
  bool other_container = false;
  auto find = [](const revision_state& r, const std::string& name) {
    const container_spec* c = nullptr;
    for (const auto& x : r.containers)
      if (x.name == name)
        c = &x;
    return c;
  };
  for (const auto& now : cur->containers) {
    const auto* was = find(*prev, now.name);
    if (was == nullptr) {
      other_container = true;
      continue;
    }
    bool target = now.name == f.container;
    auto env_key = [](const container_spec& c) {
      std::vector<std::string> keys;
      for (const auto& e : c.env)
        keys.push_back(e.name + "=" + e.source + ":" + e.ref_name + ":"
                       + e.ref_key);
      return keys;
    };
    auto probe_key = [](const std::optional<probe_spec>& p) {
      if (!p)
        return std::string{"-"};
      return p->handler + "/" + std::to_string(p->initial_delay_seconds) + "/"
             + std::to_string(p->period_seconds) + "/"
             + std::to_string(p->timeout_seconds) + "/"
             + std::to_string(p->failure_threshold);
    };
    bool img = now.image != was->image;
    bool res = now.requests != was->requests || now.limits != was->limits;
    bool en = env_key(now) != env_key(*was);
    bool pr = probe_key(now.liveness) != probe_key(was->liveness)
              || probe_key(now.readiness) != probe_key(was->readiness)
              || probe_key(now.startup) != probe_key(was->startup);
    if (target) {
      image = img;
      resources = res;
      env = en;
      probes = pr;
      v.set("rollout.current_image", now.image);
      v.set("rollout.previous_image", was->image);
    } else if (img || res || en || pr) {
      other_container = true;
    }
  }
  v.set("rollout.image_changed", image);
  v.set("rollout.resources_changed", resources);
  v.set("rollout.env_changed", env);
  v.set("rollout.probes_changed", probes);
  v.set("rollout.other_containers_changed", other_container);
  std::string text = "revision " + std::to_string(cur->revision) + " created "
                     + cur->created_at;
  if (f.rollout_age_hours)
    text += " (" + num_text(std::round(*f.rollout_age_hours * 10) / 10)
            + " h before the alert)";
  text += ", previous revision " + std::to_string(prev->revision);
  std::vector<std::string> changed;
  if (image)
    changed.push_back("image " + v.text("rollout.previous_image") + " -> "
                      + v.text("rollout.current_image"));
  if (resources)
    changed.push_back("resources");
  if (env)
    changed.push_back("environment");
  if (probes)
    changed.push_back("probes");
  if (!changed.empty()) {
    text += "; the rollout changed ";
    for (size_t i = 0; i < changed.size(); ++i)
      text += (i ? ", " : "") + changed[i];
  }
  if (new_pods > 0)
    text += "; " + std::to_string(new_failing) + " of "
            + std::to_string(new_pods) + " pod(s) of the new revision failing"
            + (old_pods > 0 ? ", " + std::to_string(old_ready)
                                + " pod(s) of the previous one ready"
                            : std::string{});
  out.evidence["rollout"] = text;
}

void cpu_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  auto& f = out.facts;
  const auto& c = f.container;
  f.cpu_7d = summary(b, metric_names::cpu_usage, c, "7d");
  f.cpu_1h = summary(b, metric_names::cpu_usage, c, "1h");
  f.throttle_7d = summary(b, metric_names::cpu_throttled_ratio, c, "7d");
  f.throttle_1h = summary(b, metric_names::cpu_throttled_ratio, c, "1h");
  if (f.resources.cpu_request_m)
    v.set("cpu.request",
          static_cast<double>(*f.resources.cpu_request_m) / 1000.0);
  if (f.resources.cpu_limit_m)
    v.set("cpu.limit", static_cast<double>(*f.resources.cpu_limit_m) / 1000.0);
  v.set("cpu.limit_set", f.resources.cpu_limit_m.has_value());
  v.set("cpu.request_set", f.resources.cpu_request_m.has_value());
  if (f.cpu_7d) {
    v.set("cpu.usage_p50_7d", f.cpu_7d->p50);
    v.set("cpu.usage_p95_7d", f.cpu_7d->p95);
    v.set("cpu.usage_p99_7d", f.cpu_7d->p99);
    v.set("cpu.usage_max_7d", f.cpu_7d->max);
  }
  if (f.cpu_1h) {
    v.set("cpu.usage_p50_1h", f.cpu_1h->p50);
    v.set("cpu.usage_p95_1h", f.cpu_1h->p95);
    if (f.resources.cpu_request_m && *f.resources.cpu_request_m > 0)
      v.set("cpu.usage_over_request",
            f.cpu_1h->p95 * 1000.0
              / static_cast<double>(*f.resources.cpu_request_m));
    if (f.resources.cpu_limit_m && *f.resources.cpu_limit_m > 0)
      v.set("cpu.usage_over_limit",
            f.cpu_1h->p95 * 1000.0
              / static_cast<double>(*f.resources.cpu_limit_m));
  }
  if (f.throttle_1h)
    v.set("cpu.throttle_1h", f.throttle_1h->p50);
  if (f.throttle_7d) {
    v.set("cpu.throttle_p95_7d", f.throttle_7d->p95);
    v.set("cpu.throttle_p50_7d", f.throttle_7d->p50);
  }
  // Removing a CPU limit is legal only where nothing requires or re-injects
  // one (remediation.md §3 synthesis (b), §6.3, §6.4).
  bool quota_limits_cpu = false;
  for (const auto& q : b.quotas)
    if (q.hard.count("limits.cpu") > 0)
      quota_limits_cpu = true;
  bool range_cpu = false;
  for (const auto& lr : b.limit_ranges)
    for (const auto& item : lr.items)
      if (item.type == "Container"
          && (item.max.count("cpu") > 0 || item.default_limits.count("cpu") > 0
              || item.max_limit_request_ratio.count("cpu") > 0))
        range_cpu = true;
  v.set("quota.tracks_limits_cpu", quota_limits_cpu);
  v.set("limitrange.constrains_cpu", range_cpu);
  v.set("cpu.limit_removable", !quota_limits_cpu && !range_cpu);
  std::string text;
  if (f.cpu_7d)
    text += "CPU usage of " + c + " over 7 d: p50 " + cores_text(f.cpu_7d->p50)
            + ", p95 " + cores_text(f.cpu_7d->p95) + ", p99 "
            + cores_text(f.cpu_7d->p99);
  if (f.cpu_1h)
    text += std::string{text.empty() ? "" : "; "} + "last hour p95 "
            + cores_text(f.cpu_1h->p95);
  if (f.resources.cpu_request_m)
    text += "; request " + format_cpu(*f.resources.cpu_request_m);
  text += f.resources.cpu_limit_m
            ? ", limit " + format_cpu(*f.resources.cpu_limit_m)
            : std::string{", no CPU limit"};
  if (f.throttle_1h)
    text += "; throttled in " + pct_text(f.throttle_1h->p50)
            + " of CFS periods over the last hour (p50)";
  if (!text.empty())
    out.evidence["cpu"] = text;
}

void hpa_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  const auto* h = b.hpa();
  v.set("hpa.present", h != nullptr);
  if (h == nullptr)
    return;
  v.set("hpa.name", h->name);
  v.set("hpa.min", static_cast<double>(h->min_replicas));
  v.set("hpa.max", static_cast<double>(h->max_replicas));
  v.set("hpa.current", static_cast<double>(h->current_replicas));
  v.set("hpa.desired", static_cast<double>(h->desired_replicas));
  v.set("hpa.at_max",
        h->max_replicas > 0 && h->current_replicas >= h->max_replicas);
  bool limited = false;
  for (const auto& c : h->conditions)
    if (c.type == "ScalingLimited" && c.status == "True")
      limited = true;
  v.set("hpa.scaling_limited", limited);
  std::string metric;
  for (const auto& m : h->metrics) {
    if (metric.empty())
      metric = m.name;
    if (m.target_type == "Utilization"
        && (m.name == "cpu" || m.name == "memory")) {
      v.set("hpa.target_" + m.name, std::atof(m.target.c_str()));
      if (!m.current.empty())
        v.set("hpa.current_" + m.name, std::atof(m.current.c_str()));
    }
  }
  v.set("hpa.metric", metric);
  out.evidence["hpa"] = "HPA " + h->name + ": min "
                        + std::to_string(h->min_replicas) + ", max "
                        + std::to_string(h->max_replicas) + ", current "
                        + std::to_string(h->current_replicas) + ", desired "
                        + std::to_string(h->desired_replicas)
                        + (limited ? " (ScalingLimited)" : "");
}

void namespace_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  auto& f = out.facts;
  for (const auto& q : b.quotas)
    for (const auto& [res, hard_text] : q.hard) {
      bool memory = is_memory_resource(res);
      double hard = res == "pods" ? std::atof(hard_text.c_str())
                                  : quantity_value(hard_text, memory);
      double used = 0;
      if (auto u = q.used.find(res); u != q.used.end())
        used = res == "pods" ? std::atof(u->second.c_str())
                             : quantity_value(u->second, memory);
      double headroom = hard - used;
      auto i = f.quota_headroom.find(res);
      if (i == f.quota_headroom.end() || headroom < i->second) {
        f.quota_headroom[res] = headroom;
        f.quota_hard[res] = hard;
      }
    }
  v.set("quota.present", !b.quotas.empty());
  bool full = false;
  for (const auto& [res, room] : f.quota_headroom) {
    v.set("quota.headroom." + res, room);
    if (room <= 0)
      full = true;
  }
  v.set("quota.full", full);
  v.set("quota.pods_full",
        f.quota_headroom.count("pods") > 0 && f.quota_headroom.at("pods") <= 0);
  for (const auto& lr : b.limit_ranges)
    for (const auto& item : lr.items) {
      if (item.type != "Container")
        continue;
      for (const auto& [res, text] : item.max)
        f.limit_range_max[res] = quantity_value(text, is_memory_resource(res));
      for (const auto& [res, text] : item.max_limit_request_ratio)
        f.limit_range_ratio[res] = std::atof(text.c_str());
    }
  for (const auto& [res, value] : f.limit_range_max)
    v.set("limitrange.max." + res, value);
  double node_mem = 0, node_cpu = 0;
  for (const auto& n : b.nodes) {
    node_mem
      = std::max(node_mem, static_cast<double>(n.allocatable_memory_bytes));
    node_cpu = std::max(node_cpu, n.allocatable_cpu_cores);
  }
  if (node_mem > 0) {
    f.node_memory_max = node_mem;
    v.set("node.memory_max", node_mem);
  }
  if (node_cpu > 0) {
    f.node_cpu_max = node_cpu;
    v.set("node.cpu_max", node_cpu);
  }
  bool disk_pressure = false;
  for (const auto& n : b.nodes)
    for (const auto& c : n.conditions)
      if (c.type == "DiskPressure" && c.status == "True")
        disk_pressure = true;
  v.set("node.disk_pressure", disk_pressure);
  std::string text;
  for (const auto& q : b.quotas) {
    text += std::string{text.empty() ? "" : "; "} + "quota " + q.name + ":";
    for (const auto& [res, hard] : q.hard) {
      auto u = q.used.find(res);
      text
        += " " + res + " " + (u == q.used.end() ? "?" : u->second) + "/" + hard;
    }
  }
  if (!text.empty())
    out.evidence["quota"] = text;
}

void storage_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  auto& f = out.facts;
  f.ephemeral_7d
    = summary(b, metric_names::ephemeral_storage_usage, f.container, "7d");
  if (!f.ephemeral_7d)
    f.ephemeral_7d
      = summary(b, metric_names::ephemeral_storage_usage, "", "7d");
  if (f.ephemeral_7d)
    v.set("ephemeral.usage_peak", f.ephemeral_7d->max);
  if (f.resources.ephemeral_limit)
    v.set("ephemeral.limit", static_cast<double>(*f.resources.ephemeral_limit));
  if (f.resources.ephemeral_request)
    v.set("ephemeral.request",
          static_cast<double>(*f.resources.ephemeral_request));
  v.set("ephemeral.limit_set", f.resources.ephemeral_limit.has_value());
  if (f.ephemeral_7d && f.resources.ephemeral_limit)
    out.evidence["storage"]
      = "ephemeral storage usage peaked at " + mem_text(f.ephemeral_7d->max)
        + " against a limit of "
        + mem_text(static_cast<double>(*f.resources.ephemeral_limit));
}

void config_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  int missing = 0, unknown = 0;
  std::string text;
  for (const auto& r : b.config_refs) {
    if (r.status == "unknown")
      ++unknown;
    if ((r.status == "missing" || r.status == "key_missing") && !r.optional) {
      ++missing;
      text += std::string{text.empty() ? "" : "; "} + r.kind + " " + r.name
              + (r.key.empty() ? "" : " key " + r.key)
              + (r.status == "missing" ? " does not exist" : " has no such key")
              + " (used by " + r.used_by + ")";
    }
  }
  v.set("config.missing", static_cast<double>(missing));
  v.set("config.unreadable", static_cast<double>(unknown));
  if (!text.empty()) {
    v.set("config.missing_text", text);
    out.evidence["config"] = text;
  }
}

void apm_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  auto& f = out.facts;
  const auto& service = f.alert.service;
  f.error_rate_7d
    = service_summary(b, "trace.http.request.error_rate", service, "7d");
  f.error_rate_1h
    = service_summary(b, "trace.http.request.error_rate", service, "1h");
  static const RE2 latency_re{R"(^trace\..*(duration|latency).*(99p|p99|95p))"};
  f.latency_7d = service_summary_re(b, latency_re, "7d");
  f.latency_1h = service_summary_re(b, latency_re, "1h");
  // Else the span's latency distribution, summarised at p99.
  for (const auto* window : {"7d", "1h"}) {
    auto& slot = std::string{window} == "7d" ? f.latency_7d : f.latency_1h;
    if (slot)
      continue;
    for (const auto& s : b.metrics)
      if (s.window == window && !s.service.empty() && s.samples > 0
          && s.aggregation == "p99" && s.metric.rfind("trace.", 0) == 0)
        slot = stats_of(s);
  }
  // The alert looks at the last minutes: the hour's p95 catches a spike
  // that started a quarter of an hour ago, the p50 would not.
  if (f.error_rate_1h)
    v.set("apm.error_rate_1h", f.error_rate_1h->p95);
  if (f.error_rate_7d)
    v.set("apm.error_rate_7d", f.error_rate_7d->p50);
  if (f.error_rate_1h && f.error_rate_7d)
    v.set("apm.error_ratio",
          f.error_rate_1h->p95 / std::max(f.error_rate_7d->p50, 1e-4));
  if (f.latency_1h)
    v.set("apm.latency_1h", f.latency_1h->p50);
  if (f.latency_7d) {
    v.set("apm.latency_7d", f.latency_7d->p50);
    v.set("apm.latency_p95_7d", f.latency_7d->p95);
  }
  if (f.latency_1h && f.latency_7d && f.latency_7d->p50 > 0)
    v.set("apm.latency_ratio", f.latency_1h->p50 / f.latency_7d->p50);
  std::string text;
  if (f.error_rate_1h && f.error_rate_7d)
    text = "error rate up to " + pct_text(f.error_rate_1h->p95)
           + " over the last hour (p95) against a 7-day median of "
           + pct_text(f.error_rate_7d->p50);
  if (f.latency_1h && f.latency_7d)
    text += std::string{text.empty() ? "" : "; "} + "p99 latency "
            + num_text(f.latency_1h->p50) + " s over the last hour against "
            + num_text(f.latency_7d->p50) + " s over 7 d";
  if (!text.empty())
    out.evidence["apm"] = text;
}

void log_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  auto& f = out.facts;
  KFIX_RE(dependency_re, "econnrefused|connection refused|service "
                         "unavailable|circuit breaker|upstream|connect "
                         "timeout|timed out|no route to host|dial tcp|"
                         "connection reset|unavailable");
  KFIX_RE(auth_re, "authentication failed|password authentication|"
                   "unauthori[sz]ed|access denied|invalid credentials|"
                   "permission denied");
  KFIX_RE(pool_re, "connection is not available|pool exhausted|too many "
                   "connections|remaining connection slots|could not obtain "
                   "connection|pool.*(timeout|timed out)");
  KFIX_RE(oom_re, "outofmemoryerror|out of memory|killed");
  KFIX_RE(config_re, "config|configuration|unmarshal|invalid value|parse");
  KFIX_RE(command_re, "not found|no such file|exec format|permission denied");
  KFIX_RE(injection_re, "ignore (all )?(previous|prior|above) "
                        "instructions|system override|system:|you are "
                        "(now )?authori[sz]ed|disregard (the )?(rules|policy)");
  KFIX_RE(started_in_re, "started (?:.* )?in ([0-9]+(?:\\.[0-9]+)?) ?s");
  KFIX_RE(startup_took_re,
          "start-?up (?:took|completed in|time) ([0-9]+(?:\\.[0-9]+)?)");
  v.set("logs.patterns", static_cast<double>(b.log_patterns.size()));
  v.set("logs.dependency_errors",
        static_cast<double>(count_matches(b.log_patterns, dependency_re)));
  v.set("logs.auth_errors",
        static_cast<double>(count_matches(b.log_patterns, auth_re)));
  v.set("logs.pool_exhausted",
        static_cast<double>(count_matches(b.log_patterns, pool_re)));
  v.set("logs.oom", static_cast<double>(count_matches(b.log_patterns, oom_re)));
  v.set("logs.config_errors",
        static_cast<double>(count_matches(b.log_patterns, config_re)));
  v.set("logs.command_errors",
        static_cast<double>(count_matches(b.log_patterns, command_re)));
  int injections = count_matches(b.log_patterns, injection_re);
  for (const auto& e : b.events)
    if (RE2::PartialMatch(e.message, injection_re))
      ++injections;
  v.set("logs.injection", static_cast<double>(injections));
  // The longest start-up the application logged ("Started X in 84.2
  // seconds").
  double longest = 0;
  auto scan = [&](const std::string& message) {
    for (const auto* re : {&started_in_re, &startup_took_re}) {
      std::string seconds;
      if (RE2::PartialMatch(message, *re, &seconds))
        longest = std::max(longest, std::atof(seconds.c_str()));
    }
  };
  for (const auto& lp : b.log_patterns)
    scan(lp.example);
  for (const auto& rec : b.startup_logs)
    scan(rec.message);
  if (longest > 0) {
    f.startup_seconds = longest;
    v.set("startup.seconds", longest);
  }
  std::string text;
  int shown = 0;
  for (const auto& lp : b.log_patterns) {
    if (shown == 3)
      break;
    if (lp.status != "error" && lp.status != "critical" && shown > 0)
      continue;
    text += std::string{text.empty() ? "" : "; "} + std::to_string(lp.count)
            + "x \"" + lp.pattern.substr(0, 140) + "\"";
    ++shown;
  }
  if (!text.empty())
    out.evidence["logs"] = "log patterns: " + text;
}

void probe_signals(const context_bundle& b, incident_signals& out) {
  auto& v = out.values;
  const auto* spec = b.workload.container(out.facts.container);
  if (spec == nullptr)
    return;
  v.set("probe.has_liveness", spec->liveness.has_value());
  v.set("probe.has_readiness", spec->readiness.has_value());
  v.set("probe.has_startup", spec->startup.has_value());
  if (spec->liveness) {
    const auto& p = *spec->liveness;
    v.set("probe.liveness_window",
          static_cast<double>(p.initial_delay_seconds
                              + p.failure_threshold * p.period_seconds));
    v.set("probe.liveness_period", static_cast<double>(p.period_seconds));
    v.set("probe.liveness_timeout", static_cast<double>(p.timeout_seconds));
    v.set("probe.liveness_failure_threshold",
          static_cast<double>(p.failure_threshold));
  }
  if (spec->readiness) {
    v.set("probe.readiness_timeout",
          static_cast<double>(spec->readiness->timeout_seconds));
    v.set("probe.readiness_period",
          static_cast<double>(spec->readiness->period_seconds));
  }
}

} // namespace

incident_signals gather_signals(const enriched_alert& alert,
                                const context_bundle& bundle) {
  incident_signals out;
  auto& f = out.facts;
  f.alert = alert;
  f.alert_time_s = alert.date_ms / 1000;
  f.workload = bundle.workload_found ? bundle.workload.ref : alert.workload;
  f.workload_found = bundle.workload_found;
  f.container = pick_target_container(alert, bundle);
  if (const auto* spec = bundle.workload.container(f.container))
    f.resources = resources_of(*spec);
  out.values.set("container", f.container);
  alert_signals(alert, out);
  workload_signals(bundle, out);
  memory_signals(bundle, out);
  pod_signals(bundle, out);
  event_signals(bundle, out);
  rollout_signals(bundle, out);
  cpu_signals(bundle, out);
  hpa_signals(bundle, out);
  namespace_signals(bundle, out);
  storage_signals(bundle, out);
  config_signals(bundle, out);
  apm_signals(bundle, out);
  log_signals(bundle, out);
  probe_signals(bundle, out);
  // Every source that did not answer in full, for escalations.
  std::string missing;
  for (const auto& s : bundle.sources)
    if (s.status != source_status::ok && s.status != source_status::skipped)
      missing += std::string{missing.empty() ? "" : ", "} + s.source + " "
                 + std::string{to_string(s.status)};
  out.values.set("context.incomplete", !missing.empty());
  if (!missing.empty())
    out.evidence["sources"] = "incomplete context: " + missing;
  return out;
}

} // namespace kfix::reasoning
