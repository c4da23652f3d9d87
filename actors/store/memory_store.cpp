#include "actors/store/alert_batch.hpp"
#include "actors/store/incident_store.hpp"
#include "actors/system/pipeline_logic.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_set>

namespace kfix::store {

std::string incident_group_key(const enriched_alert& alert) {
  // One incident per monitor and alert cycle; without a cycle key (default
  // payload), per monitor and scope, then per workload.
  const auto& cycle = !alert.cycle_key.empty()    ? alert.cycle_key
                      : !alert.aggreg_key.empty() ? alert.aggreg_key
                                                  : alert.scope;
  auto monitor = alert.monitor_id.empty() ? std::string{"-"} : alert.monitor_id;
  if (!cycle.empty())
    return monitor + "/" + cycle;
  return monitor + "/" + alert.workload.ns + "/" + alert.workload.name;
}

grouping decide_grouping(const enriched_alert& alert,
                         const group_lookup& lookup) {
  grouping result;
  if (pipeline::wants_remediation(alert)) {
    if (lookup.latest_in_group != 0 && lookup.latest_open) {
      result.kind = grouping::join;
      result.incident_id = lookup.latest_in_group;
    } else if (lookup.open_for_workload != 0) {
      result.kind = grouping::join;
      result.incident_id = lookup.open_for_workload;
    } else if (lookup.recently_published != 0) {
      result.kind = grouping::join;
      result.incident_id = lookup.recently_published;
    } else {
      result.kind = grouping::open_new;
    }
    return result;
  }
  if (lookup.latest_in_group == 0) {
    result.kind = grouping::record_only;
    return result;
  }
  result.kind = grouping::join;
  result.incident_id = lookup.latest_in_group;
  result.resolve = alert.transition == "Recovered" && lookup.latest_open
                   && !lookup.latest_published;
  return result;
}

caf::expected<std::vector<accepted_alert>>
memory_store::record_alerts(const std::vector<alert_to_store>& batch) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto keys = lookup_keys(batch);
  batch_lookups known;
  for (const auto& id : keys.deliveries)
    if (auto i = by_delivery_.find(id); i != by_delivery_.end())
      known.deliveries.emplace(id, i->second);
  std::unordered_set<std::string> groups(keys.groups.begin(),
                                         keys.groups.end());
  std::unordered_set<std::string> workloads;
  for (const auto& wk : keys.workloads)
    workloads.insert(wk.text());
  for (const auto& [id, row] : incidents_) {
    if (groups.count(row.group) > 0) {
      auto& g = known.groups[row.group];
      if (id > g.incident_id)
        g = group_state{id, row.open, row.published, row.publication};
    }
    if (workloads.count(row.workload) > 0) {
      auto& w = known.workloads[row.workload];
      if (row.open)
        w.open = std::max(w.open, id);
      // In memory (replay, eval) every publication counts as recent.
      if (row.published)
        w.recently_published = std::max(w.recently_published, id);
    }
  }
  auto plan = plan_alert_batch(batch, known);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < plan.new_incidents.size(); ++i)
    ids.push_back(next_id_++);
  assign_incident_ids(plan, ids);
  for (const auto& row : plan.new_incidents)
    incidents_[row.id] = {row.group_key,
                          workload_key_of(*row.alert).text(),
                          row.open,
                          false,
                          std::nullopt,
                          row.alert->workload.ns,
                          {}};
  for (auto id : plan.resolved)
    incidents_[id].open = false;
  for (const auto& row : plan.progress) {
    auto stage = parse_incident_stage(row.stage);
    stages_[row.incident_id].emplace_back(
      stage.value_or(incident_stage::received), row.detail);
  }
  for (const auto& row : plan.alerts)
    by_delivery_[batch[row.index].alert->delivery_id] = row.incident_id;
  return std::move(plan.results);
}

caf::error memory_store::record_stage(int64_t incident_id, incident_stage stage,
                                      const std::string& detail) {
  std::lock_guard<std::mutex> guard{mtx_};
  stages_[incident_id].emplace_back(stage, detail);
  if (auto i = incidents_.find(incident_id); i != incidents_.end()) {
    if (stage == incident_stage::published) {
      i->second.published = true;
      i->second.published_at = std::chrono::system_clock::now();
    }
    if (stage == incident_stage::published || stage == incident_stage::failed
        || stage == incident_stage::closed)
      i->second.open = false;
  }
  return caf::none;
}

caf::error memory_store::record_result(const incident_result& r) {
  std::lock_guard<std::mutex> guard{mtx_};
  results_[r.incident_id] = nlohmann::json(r).dump();
  if (auto i = incidents_.find(r.incident_id);
      i != incidents_.end() && r.publication)
    i->second.publication = r.publication;
  return caf::none;
}

caf::expected<std::string> memory_store::incident_json(int64_t incident_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = stages_.find(incident_id);
  if (i == stages_.end())
    return make_error(ec::not_found,
                      "no incident " + std::to_string(incident_id));
  nlohmann::json j{{"id", incident_id}};
  j["progress"] = nlohmann::json::array();
  for (const auto& [stage, detail] : i->second)
    j["progress"].push_back({{"stage", to_string(stage)}, {"detail", detail}});
  j["stage"] = i->second.empty()
                 ? "received"
                 : std::string{to_string(i->second.back().first)};
  auto r = results_.find(incident_id);
  j["result"] = r == results_.end()
                  ? nlohmann::json(nullptr)
                  : nlohmann::json::parse(r->second, nullptr, false);
  return j.dump();
}

caf::error memory_store::ping() {
  return caf::none;
}

caf::expected<int64_t>
memory_store::count_recent_publications(const std::string& ns,
                                        int64_t seconds) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto since = std::chrono::system_clock::now() - std::chrono::seconds{seconds};
  int64_t n = 0;
  for (const auto& [id, row] : incidents_)
    if (row.published && row.ns == ns && row.published_at >= since)
      ++n;
  return n;
}

std::vector<incident_stage> memory_store::stages(int64_t incident_id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<incident_stage> result;
  if (auto i = stages_.find(incident_id); i != stages_.end())
    for (const auto& step : i->second)
      result.push_back(step.first);
  return result;
}

caf::error memory_store::record_llm_call(const llm_call_record& r) {
  std::lock_guard<std::mutex> guard{mtx_};
  llm_calls_.push_back(r);
  return caf::none;
}

std::vector<llm_call_record>
memory_store::llm_calls(int64_t incident_id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<llm_call_record> result;
  for (const auto& call : llm_calls_)
    if (call.incident_id == incident_id)
      result.push_back(call);
  return result;
}

} // namespace kfix::store
