#include "actors/store/incident_store.hpp"
#include "actors/system/pipeline_logic.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

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

namespace {

std::string workload_key(const enriched_alert& alert) {
  return alert.cluster + "/" + alert.workload.ns + "/" + alert.workload.name;
}

} // namespace

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
  std::vector<accepted_alert> results;
  for (const auto& item : batch) {
    const auto& alert = *item.alert;
    if (auto i = by_delivery_.find(alert.delivery_id);
        i != by_delivery_.end()) {
      results.push_back({i->second, true, false, false});
      continue;
    }
    auto group = incident_group_key(alert);
    auto workload = workload_key(alert);
    group_lookup lookup;
    for (const auto& [id, row] : incidents_) {
      if (row.group == group && id > lookup.latest_in_group) {
        lookup.latest_in_group = id;
        lookup.latest_open = row.open;
        lookup.latest_published = row.published;
      }
      if (row.workload == workload && row.open)
        lookup.open_for_workload = std::max(lookup.open_for_workload, id);
      // In memory (replay, eval) every publication counts as recent.
      if (row.workload == workload && row.published)
        lookup.recently_published = std::max(lookup.recently_published, id);
    }
    auto g = decide_grouping(alert, lookup);
    accepted_alert result;
    if (g.kind == grouping::join) {
      result.incident_id = g.incident_id;
      if (g.resolve) {
        incidents_[g.incident_id].open = false;
        stages_[g.incident_id].emplace_back(incident_stage::closed,
                                            "recovered before a fix was "
                                            "published");
        result.resolved = true;
      }
    } else {
      result.incident_id = next_id_++;
      auto open = g.kind == grouping::open_new;
      result.new_incident = open;
      incidents_[result.incident_id] = {group, workload, open, false};
      stages_[result.incident_id].emplace_back(
        open ? incident_stage::received : incident_stage::closed,
        open ? "alert " + alert.delivery_id
             : "recorded " + alert.transition + " alert " + alert.delivery_id);
    }
    by_delivery_[alert.delivery_id] = result.incident_id;
    results.push_back(result);
  }
  return results;
}

caf::error memory_store::record_stage(int64_t incident_id, incident_stage stage,
                                      const std::string& detail) {
  std::lock_guard<std::mutex> guard{mtx_};
  stages_[incident_id].emplace_back(stage, detail);
  if (auto i = incidents_.find(incident_id); i != incidents_.end()) {
    if (stage == incident_stage::published)
      i->second.published = true;
    if (stage == incident_stage::published || stage == incident_stage::failed
        || stage == incident_stage::closed)
      i->second.open = false;
  }
  return caf::none;
}

caf::error memory_store::record_result(const incident_result& r) {
  std::lock_guard<std::mutex> guard{mtx_};
  results_[r.incident_id] = nlohmann::json(r).dump();
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

std::vector<incident_stage> memory_store::stages(int64_t incident_id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<incident_stage> result;
  if (auto i = stages_.find(incident_id); i != stages_.end())
    for (const auto& step : i->second)
      result.push_back(step.first);
  return result;
}

} // namespace kfix::store
