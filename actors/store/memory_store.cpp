#include "actors/store/incident_store.hpp"

#include <nlohmann/json.hpp>

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

caf::expected<accepted_alert>
memory_store::record_alert(const enriched_alert& alert, std::string_view) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = by_delivery_.find(alert.delivery_id); i != by_delivery_.end())
    return accepted_alert{i->second, true, false};
  accepted_alert result;
  auto group = incident_group_key(alert);
  if (auto i = open_by_group_.find(group); i != open_by_group_.end()) {
    result.incident_id = i->second;
  } else {
    result.incident_id = next_id_++;
    result.new_incident = true;
    open_by_group_[group] = result.incident_id;
    stages_[result.incident_id].emplace_back(incident_stage::received,
                                             "alert " + alert.delivery_id);
  }
  by_delivery_[alert.delivery_id] = result.incident_id;
  return result;
}

caf::error memory_store::record_stage(int64_t incident_id, incident_stage stage,
                                      const std::string& detail) {
  std::lock_guard<std::mutex> guard{mtx_};
  stages_[incident_id].emplace_back(stage, detail);
  if (stage == incident_stage::published || stage == incident_stage::failed
      || stage == incident_stage::closed)
    for (auto i = open_by_group_.begin(); i != open_by_group_.end();)
      i = i->second == incident_id ? open_by_group_.erase(i) : std::next(i);
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
