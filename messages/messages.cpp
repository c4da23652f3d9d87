#include "messages/alert.hpp"
#include "messages/context.hpp"
#include "messages/incident.hpp"
#include "messages/patch.hpp"
#include "messages/plan.hpp"
#include "messages/verdict.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <utility>

namespace kfix {

namespace {

template <class Enum, size_t N>
std::optional<Enum>
parse_enum(const std::array<std::pair<Enum, std::string_view>, N>& names,
           std::string_view name) {
  for (const auto& [value, text] : names)
    if (text == name)
      return value;
  return std::nullopt;
}

template <class Enum, size_t N>
std::string_view
name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
        Enum value) {
  for (const auto& [candidate, text] : names)
    if (candidate == value)
      return text;
  return "unknown";
}

constexpr std::array<std::pair<alert_type, std::string_view>, 14>
  alert_type_names{{
    {alert_type::oom_killed, "oom_killed"},
    {alert_type::memory_pressure, "memory_pressure"},
    {alert_type::cpu_throttling, "cpu_throttling"},
    {alert_type::cpu_saturation, "cpu_saturation"},
    {alert_type::hpa_maxed, "hpa_maxed"},
    {alert_type::crash_loop, "crash_loop"},
    {alert_type::error_rate, "error_rate"},
    {alert_type::latency, "latency"},
    {alert_type::image_pull, "image_pull"},
    {alert_type::probe_failure, "probe_failure"},
    {alert_type::pending_pods, "pending_pods"},
    {alert_type::quota_exceeded, "quota_exceeded"},
    {alert_type::ephemeral_storage, "ephemeral_storage"},
    {alert_type::unknown, "unknown"},
  }};

constexpr std::array<std::pair<action_type, std::string_view>, 9>
  action_type_names{{
    {action_type::set_resources, "set_resources"},
    {action_type::scale_replicas, "scale_replicas"},
    {action_type::set_hpa, "set_hpa"},
    {action_type::rollback, "rollback"},
    {action_type::set_probe, "set_probe"},
    {action_type::set_image, "set_image"},
    {action_type::restart, "restart"},
    {action_type::set_env, "set_env"},
    {action_type::escalate, "escalate"},
  }};

constexpr std::array<std::pair<decision_kind, std::string_view>, 3>
  decision_names{{
    {decision_kind::fix, "fix"},
    {decision_kind::escalate, "escalate"},
    {decision_kind::no_action, "no_action"},
  }};

} // namespace

// -- enums --------------------------------------------------------------------

std::string_view to_string(alert_type type) {
  return name_of(alert_type_names, type);
}

std::optional<alert_type> parse_alert_type(std::string_view name) {
  return parse_enum(alert_type_names, name);
}

std::string_view to_string(action_type type) {
  return name_of(action_type_names, type);
}

std::optional<action_type> parse_action_type(std::string_view name) {
  return parse_enum(action_type_names, name);
}

std::string_view to_string(decision_kind kind) {
  return name_of(decision_names, kind);
}

std::optional<decision_kind> parse_decision_kind(std::string_view name) {
  return parse_enum(decision_names, name);
}

std::string_view to_string(source_status status) {
  switch (status) {
    case source_status::ok:
      return "ok";
    case source_status::partial:
      return "partial";
    case source_status::timeout:
      return "timeout";
    case source_status::error:
      return "error";
    case source_status::skipped:
      return "skipped";
  }
  return "unknown";
}

std::string_view to_string(incident_stage stage) {
  switch (stage) {
    case incident_stage::received:
      return "received";
    case incident_stage::context:
      return "context";
    case incident_stage::planned:
      return "planned";
    case incident_stage::validated:
      return "validated";
    case incident_stage::published:
      return "published";
    case incident_stage::failed:
      return "failed";
    case incident_stage::closed:
      return "closed";
  }
  return "unknown";
}

std::optional<incident_stage> parse_incident_stage(std::string_view name) {
  for (auto stage : {incident_stage::received, incident_stage::context,
                     incident_stage::planned, incident_stage::validated,
                     incident_stage::published, incident_stage::failed,
                     incident_stage::closed})
    if (to_string(stage) == name)
      return stage;
  return std::nullopt;
}

// -- accessors ----------------------------------------------------------------

std::string workload_ref::display() const {
  return kind + " " + ns + "/" + name;
}

const container_spec* workload_state::container(const std::string& name) const {
  for (const auto& c : containers)
    if (c.name == name)
      return &c;
  return nullptr;
}

const series_summary*
context_bundle::find_metric(const std::string& metric,
                            const std::string& container,
                            const std::string& window) const {
  for (const auto& s : metrics)
    if (s.metric == metric && s.container == container && s.window == window
        && s.service.empty())
      return &s;
  return nullptr;
}

const series_summary*
context_bundle::find_service_metric(const std::string& metric,
                                    const std::string& service,
                                    const std::string& window) const {
  for (const auto& s : metrics)
    if (s.metric == metric && s.service == service && s.window == window)
      return &s;
  return nullptr;
}

const source_report*
context_bundle::find_source(const std::string& source) const {
  for (const auto& s : sources)
    if (s.source == source)
      return &s;
  return nullptr;
}

const revision_state* context_bundle::current_revision() const {
  for (const auto& r : revisions)
    if (r.current)
      return &r;
  return nullptr;
}

const revision_state* context_bundle::newest_revision() const {
  const revision_state* result = nullptr;
  for (const auto& r : revisions)
    if (result == nullptr || r.revision > result->revision)
      result = &r;
  return result;
}

const hpa_state* context_bundle::hpa() const {
  return hpas.empty() ? nullptr : &hpas.front();
}

const condition_state* pod_state::condition(const std::string& type) const {
  for (const auto& c : conditions)
    if (c.type == type)
      return &c;
  return nullptr;
}

std::string action::param(const std::string& key) const {
  auto i = params.find(key);
  return i == params.end() ? std::string{} : i->second;
}

std::string verdict::reasons() const {
  std::string result;
  for (const auto& c : checks) {
    if (c.passed || c.skipped)
      continue;
    if (!result.empty())
      result += "; ";
    result += c.rule + ": " + c.detail;
  }
  return result;
}

// -- JSON ---------------------------------------------------------------------

namespace {

template <class T>
void put_optional(nlohmann::json& j, const char* key,
                  const std::optional<T>& x) {
  if (x)
    j[key] = *x;
  else
    j[key] = nullptr;
}

} // namespace

void to_json(nlohmann::json& j, const workload_ref& x) {
  j = {{"kind", x.kind}, {"namespace", x.ns}, {"name", x.name}};
}

void to_json(nlohmann::json& j, const enriched_alert& x) {
  j = {{"delivery_id", x.delivery_id},
       {"monitor_id", x.monitor_id},
       {"cycle_key", x.cycle_key},
       {"aggreg_key", x.aggreg_key},
       {"transition", x.transition},
       {"event_type", x.event_type},
       {"priority", x.priority},
       {"title", x.title},
       {"date_ms", x.date_ms},
       {"query", x.query},
       {"metric", x.metric},
       {"scope", x.scope},
       {"comparator", x.comparator},
       {"workload", x.workload},
       {"pod", x.pod},
       {"container", x.container},
       {"cluster", x.cluster},
       {"env", x.env},
       {"team", x.team},
       {"service", x.service},
       {"tags", x.tags},
       {"type", to_string(x.type)},
       {"missing", x.missing}};
  put_optional(j, "value", x.value);
  put_optional(j, "threshold", x.threshold);
  put_optional(j, "warn_threshold", x.warn_threshold);
}

void to_json(nlohmann::json& j, const source_report& x) {
  j = {{"source", x.source},
       {"status", to_string(x.status)},
       {"reason", x.reason},
       {"duration_ms", x.duration_ms},
       {"http_status", x.http_status}};
}

void to_json(nlohmann::json& j, const condition_state& x) {
  j = {{"type", x.type},
       {"status", x.status},
       {"reason", x.reason},
       {"message", x.message},
       {"last_transition", x.last_transition}};
}

void to_json(nlohmann::json& j, const probe_spec& x) {
  j = {{"handler", x.handler},
       {"initial_delay_seconds", x.initial_delay_seconds},
       {"period_seconds", x.period_seconds},
       {"timeout_seconds", x.timeout_seconds},
       {"failure_threshold", x.failure_threshold},
       {"success_threshold", x.success_threshold}};
}

void to_json(nlohmann::json& j, const env_var& x) {
  j = {{"name", x.name},
       {"source", x.source},
       {"ref_name", x.ref_name},
       {"ref_key", x.ref_key},
       {"optional", x.optional}};
}

void to_json(nlohmann::json& j, const env_from_source& x) {
  j = {{"kind", x.kind},
       {"name", x.name},
       {"prefix", x.prefix},
       {"optional", x.optional}};
}

void to_json(nlohmann::json& j, const container_spec& x) {
  j = {{"name", x.name},     {"image", x.image}, {"requests", x.requests},
       {"limits", x.limits}, {"env", x.env},     {"env_from", x.env_from}};
  put_optional(j, "liveness", x.liveness);
  put_optional(j, "readiness", x.readiness);
  put_optional(j, "startup", x.startup);
}

void to_json(nlohmann::json& j, const workload_state& x) {
  j = {{"ref", x.ref},
       {"uid", x.uid},
       {"resource_version", x.resource_version},
       {"replicas", x.replicas},
       {"max_surge", x.max_surge},
       {"max_unavailable", x.max_unavailable},
       {"strategy", x.strategy},
       {"revision", x.revision},
       {"selector", x.selector},
       {"selector_text", x.selector_text},
       {"template_labels", x.template_labels},
       {"containers", x.containers},
       {"init_containers", x.init_containers},
       {"creation_timestamp", x.creation_timestamp},
       {"generation", x.generation},
       {"observed_generation", x.observed_generation},
       {"ready_replicas", x.ready_replicas},
       {"available_replicas", x.available_replicas},
       {"updated_replicas", x.updated_replicas},
       {"unavailable_replicas", x.unavailable_replicas},
       {"paused", x.paused},
       {"revision_history_limit", x.revision_history_limit},
       {"service_account", x.service_account},
       {"current_revision_name", x.current_revision_name},
       {"update_revision_name", x.update_revision_name},
       {"conditions", x.conditions}};
}

void to_json(nlohmann::json& j, const revision_state& x) {
  j = {{"kind", x.kind},
       {"name", x.name},
       {"revision", x.revision},
       {"created_at", x.created_at},
       {"template_hash", x.template_hash},
       {"replicas", x.replicas},
       {"ready_replicas", x.ready_replicas},
       {"available_replicas", x.available_replicas},
       {"current", x.current},
       {"change_cause", x.change_cause},
       {"containers", x.containers}};
}

void to_json(nlohmann::json& j, const container_status& x) {
  j = {{"name", x.name},
       {"image", x.image},
       {"restart_count", x.restart_count},
       {"ready", x.ready},
       {"started", x.started},
       {"state", x.state},
       {"state_started_at", x.state_started_at},
       {"waiting_reason", x.waiting_reason},
       {"waiting_message", x.waiting_message},
       {"last_termination_reason", x.last_termination_reason},
       {"last_exit_code", x.last_exit_code},
       {"last_termination_message", x.last_termination_message},
       {"last_started_at", x.last_started_at},
       {"last_finished_at", x.last_finished_at}};
}

void to_json(nlohmann::json& j, const pod_state& x) {
  j = {{"name", x.name},
       {"phase", x.phase},
       {"node", x.node},
       {"containers", x.containers},
       {"init_containers", x.init_containers},
       {"created_at", x.created_at},
       {"start_time", x.start_time},
       {"reason", x.reason},
       {"message", x.message},
       {"qos_class", x.qos_class},
       {"owner_kind", x.owner_kind},
       {"owner_name", x.owner_name},
       {"template_hash", x.template_hash},
       {"requests", x.requests},
       {"conditions", x.conditions}};
}

void to_json(nlohmann::json& j, const event_record& x) {
  j = {{"type", x.type},
       {"reason", x.reason},
       {"message", x.message},
       {"involved_kind", x.involved_kind},
       {"involved_name", x.involved_name},
       {"count", x.count},
       {"first_seen", x.first_seen},
       {"last_seen", x.last_seen},
       {"namespace", x.ns},
       {"source", x.source}};
}

void to_json(nlohmann::json& j, const quota_state& x) {
  j = {
    {"name", x.name}, {"hard", x.hard}, {"used", x.used}, {"scopes", x.scopes}};
}

void to_json(nlohmann::json& j, const limit_range_item& x) {
  j = {{"type", x.type},
       {"default", x.default_limits},
       {"default_request", x.default_requests},
       {"min", x.min},
       {"max", x.max},
       {"max_limit_request_ratio", x.max_limit_request_ratio}};
}

void to_json(nlohmann::json& j, const limit_range_state& x) {
  j = {{"name", x.name}, {"items", x.items}};
}

void to_json(nlohmann::json& j, const hpa_metric& x) {
  j = {{"type", x.type},           {"name", x.name},
       {"container", x.container}, {"target_type", x.target_type},
       {"target", x.target},       {"current", x.current}};
}

void to_json(nlohmann::json& j, const hpa_state& x) {
  j = {{"name", x.name},
       {"target_kind", x.target_kind},
       {"target_name", x.target_name},
       {"min_replicas", x.min_replicas},
       {"max_replicas", x.max_replicas},
       {"current_replicas", x.current_replicas},
       {"desired_replicas", x.desired_replicas},
       {"last_scale_time", x.last_scale_time},
       {"metrics", x.metrics},
       {"conditions", x.conditions}};
}

void to_json(nlohmann::json& j, const pdb_state& x) {
  j = {{"name", x.name},
       {"min_available", x.min_available},
       {"max_unavailable", x.max_unavailable},
       {"selector", x.selector},
       {"current_healthy", x.current_healthy},
       {"desired_healthy", x.desired_healthy},
       {"disruptions_allowed", x.disruptions_allowed},
       {"expected_pods", x.expected_pods},
       {"conditions", x.conditions}};
}

void to_json(nlohmann::json& j, const node_summary& x) {
  j = {{"name", x.name},
       {"allocatable_cpu_cores", x.allocatable_cpu_cores},
       {"allocatable_memory_bytes", x.allocatable_memory_bytes},
       {"allocatable_pods", x.allocatable_pods},
       {"requested_cpu_cores", x.requested_cpu_cores},
       {"requested_memory_bytes", x.requested_memory_bytes},
       {"pods", x.pods},
       {"unschedulable", x.unschedulable},
       {"taints", x.taints},
       {"conditions", x.conditions},
       {"allocatable", x.allocatable}};
}

void to_json(nlohmann::json& j, const config_reference& x) {
  j = {{"kind", x.kind},       {"name", x.name},         {"key", x.key},
       {"used_by", x.used_by}, {"optional", x.optional}, {"status", x.status},
       {"reason", x.reason}};
}

void to_json(nlohmann::json& j, const series_summary& x) {
  j = {{"metric", x.metric},   {"container", x.container},
       {"service", x.service}, {"window", x.window},
       {"unit", x.unit},       {"aggregation", x.aggregation},
       {"samples", x.samples}, {"p50", x.p50},
       {"p95", x.p95},         {"p99", x.p99},
       {"max", x.max},         {"last", x.last}};
}

void to_json(nlohmann::json& j, const log_pattern& x) {
  j = {{"pattern", x.pattern},       {"count", x.count},
       {"first_seen", x.first_seen}, {"last_seen", x.last_seen},
       {"status", x.status},         {"service", x.service},
       {"example", x.example}};
}

void to_json(nlohmann::json& j, const log_record& x) {
  j = {{"timestamp", x.timestamp},
       {"status", x.status},
       {"service", x.service},
       {"message", x.message}};
}

void to_json(nlohmann::json& j, const context_bundle& x) {
  j = {{"workload_found", x.workload_found},
       {"workload", x.workload},
       {"revisions", x.revisions},
       {"pods", x.pods},
       {"events", x.events},
       {"quotas", x.quotas},
       {"limit_ranges", x.limit_ranges},
       {"hpas", x.hpas},
       {"pdbs", x.pdbs},
       {"nodes", x.nodes},
       {"config_refs", x.config_refs},
       {"metrics", x.metrics},
       {"logs", x.logs},
       {"log_patterns", x.log_patterns},
       {"startup_logs", x.startup_logs},
       {"log_events_read", x.log_events_read},
       {"sources", x.sources}};
}

void to_json(nlohmann::json& j, const action& x) {
  j = nlohmann::json::object();
  j["action"] = to_string(x.type);
  if (!x.container.empty())
    j["container"] = x.container;
  for (const auto& [key, value] : x.params)
    j[key] = value;
}

void to_json(nlohmann::json& j, const plan& x) {
  j = {{"id", x.id},
       {"title", x.title},
       {"actions", x.actions},
       {"justification", x.justification},
       {"expected_effect", x.expected_effect},
       {"risk", x.risk},
       {"alternatives", x.alternatives},
       {"rollback", x.rollback},
       {"confidence", x.confidence},
       {"source", x.source}};
}

void to_json(nlohmann::json& j, const llm_usage& x) {
  j = {{"calls", x.calls},
       {"prompt_tokens", x.prompt_tokens},
       {"output_tokens", x.output_tokens},
       {"cost_usd", x.cost_usd},
       {"latency_ms", x.latency_ms}};
}

void to_json(nlohmann::json& j, const decision& x) {
  j = {{"decision", to_string(x.kind)},
       {"reason", x.reason},
       {"plans", x.plans},
       {"strategy", x.strategy},
       {"llm_usage", x.usage},
       {"notes", x.notes}};
}

void to_json(nlohmann::json& j, const file_change& x) {
  j = {{"path", x.path}};
}

void to_json(nlohmann::json& j, const dry_run_target& x) {
  j = {{"path", x.path}, {"patch", x.patch}};
}

void to_json(nlohmann::json& j, const patch& x) {
  j = {{"plan_id", x.plan_id},
       {"files", x.files},
       {"diff", x.diff},
       {"k8s_patch", x.k8s_patch},
       {"dry_run_targets", x.dry_run_targets}};
}

void to_json(nlohmann::json& j, const check_result& x) {
  j = {{"rule", x.rule},
       {"passed", x.passed},
       {"skipped", x.skipped},
       {"detail", x.detail}};
}

void to_json(nlohmann::json& j, const verdict& x) {
  j = {{"plan_id", x.plan_id},
       {"accepted", x.accepted},
       {"checks", x.checks},
       {"auto_merge", x.auto_merge},
       {"auto_merge_reason", x.auto_merge_reason}};
}

void to_json(nlohmann::json& j, const publication& x) {
  j = {{"publisher", x.publisher},
       {"project", x.project},
       {"url", x.url},
       {"branch", x.branch},
       {"commit", x.commit},
       {"description_path", x.description_path},
       {"mr_iid", x.mr_iid}};
}

void from_json(const nlohmann::json& j, publication& x) {
  auto text = [&](const char* key) {
    auto i = j.find(key);
    return i != j.end() && i->is_string() ? i->get<std::string>()
                                          : std::string{};
  };
  x.publisher = text("publisher");
  x.project = text("project");
  x.url = text("url");
  x.branch = text("branch");
  x.commit = text("commit");
  x.description_path = text("description_path");
  auto iid = j.find("mr_iid");
  x.mr_iid
    = iid != j.end() && iid->is_number_integer() ? iid->get<int64_t>() : 0;
}

void to_json(nlohmann::json& j, const incident_result& x) {
  j = {{"incident_id", x.incident_id},
       {"stage", to_string(x.stage)},
       {"failure", x.failure},
       {"workload", x.workload},
       {"alert_type", x.alert_type},
       {"alert",
        {{"delivery_id", x.alert.delivery_id},
         {"monitor_id", x.alert.monitor_id},
         {"transition", x.alert.transition},
         {"title", x.alert.title},
         {"env", x.alert.env},
         {"cluster", x.alert.cluster},
         {"team", x.alert.team},
         {"container", x.alert.container}}},
       {"decision", to_string(x.decision.kind)},
       {"decision_reason", x.decision.reason},
       {"sources", x.context.sources},
       {"plans", x.decision.plans},
       {"verdicts", x.verdicts},
       {"chosen_plan", x.chosen_plan},
       {"duration_ms", x.duration_ms}};
  if (x.patch)
    j["patch"] = *x.patch;
  else
    j["patch"] = nullptr;
  if (x.publication)
    j["publication"] = *x.publication;
  else
    j["publication"] = nullptr;
}

} // namespace kfix
