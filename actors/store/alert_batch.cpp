#include "actors/store/alert_batch.hpp"

#include "actors/system/pipeline_logic.hpp"

#include <unordered_set>

namespace kfix::store {

std::string workload_key::text() const {
  return cluster + "/" + ns + "/" + name;
}

workload_key workload_key_of(const enriched_alert& alert) {
  return {alert.cluster, alert.workload.ns, alert.workload.name};
}

namespace {

/// Whether an alert could open an incident, and so needs its workload's
/// other incidents looked up.
bool may_open_incident(const enriched_alert& alert) {
  return pipeline::wants_remediation(alert) && !alert.workload.name.empty();
}

} // namespace

batch_keys lookup_keys(const std::vector<alert_to_store>& batch) {
  batch_keys keys;
  std::unordered_set<std::string> seen_groups;
  std::unordered_set<std::string> seen_workloads;
  for (const auto& item : batch) {
    const auto& alert = *item.alert;
    keys.deliveries.push_back(alert.delivery_id);
    auto group = incident_group_key(alert);
    if (seen_groups.insert(group).second)
      keys.groups.push_back(std::move(group));
    if (may_open_incident(alert)) {
      auto wk = workload_key_of(alert);
      if (seen_workloads.insert(wk.text()).second)
        keys.workloads.push_back(std::move(wk));
    }
  }
  return keys;
}

namespace {

/// The lookups with the batch's own effects layered on top.
class batch_view {
public:
  explicit batch_view(const batch_lookups& known) : known_(known) {}

  const int64_t* delivery(const std::string& id) const {
    if (auto i = deliveries_.find(id); i != deliveries_.end())
      return &i->second;
    if (auto i = known_.deliveries.find(id); i != known_.deliveries.end())
      return &i->second;
    return nullptr;
  }

  group_state& group(const std::string& key) {
    auto [i, added] = groups_.try_emplace(key);
    if (added)
      if (auto k = known_.groups.find(key); k != known_.groups.end())
        i->second = k->second;
    return i->second;
  }

  workload_incidents& workload(const std::string& key) {
    auto [i, added] = workloads_.try_emplace(key);
    if (added)
      if (auto k = known_.workloads.find(key); k != known_.workloads.end())
        i->second = k->second;
    return i->second;
  }

  void add_delivery(const std::string& id, int64_t incident) {
    deliveries_.emplace(id, incident);
  }

private:
  const batch_lookups& known_;
  std::unordered_map<std::string, int64_t> deliveries_;
  std::unordered_map<std::string, group_state> groups_;
  std::unordered_map<std::string, workload_incidents> workloads_;
};

} // namespace

batch_plan plan_alert_batch(const std::vector<alert_to_store>& batch,
                            const batch_lookups& known) {
  batch_plan plan;
  plan.results.reserve(batch.size());
  plan.alerts.reserve(batch.size());
  batch_view view{known};
  int64_t next_provisional = -1;
  for (size_t index = 0; index < batch.size(); ++index) {
    const auto& alert = *batch[index].alert;
    accepted_alert result;
    if (const auto* incident = view.delivery(alert.delivery_id)) {
      result.incident_id = *incident;
      result.duplicate_delivery = true;
      plan.results.push_back(std::move(result));
      continue;
    }
    auto group_key = incident_group_key(alert);
    auto& group = view.group(group_key);
    group_lookup lookup;
    lookup.latest_in_group = group.incident_id;
    lookup.latest_open = group.open;
    lookup.latest_published = group.published;
    workload_incidents* workload = nullptr;
    if (may_open_incident(alert)) {
      workload = &view.workload(workload_key_of(alert).text());
      lookup.open_for_workload = workload->open;
      lookup.recently_published = workload->recently_published;
    }
    auto g = decide_grouping(alert, lookup);
    if (g.kind == grouping::join) {
      result.incident_id = g.incident_id;
      if (g.resolve) {
        result.resolved = true;
        group.open = false;
        // A later alert of the workload must not join the closed incident.
        if (!alert.workload.name.empty())
          if (auto& w = view.workload(workload_key_of(alert).text());
              w.open == g.incident_id)
            w.open = 0;
        plan.resolved.push_back(g.incident_id);
        plan.progress.push_back({g.incident_id, "closed",
                                 "recovered before a fix was published "
                                 "(alert "
                                   + alert.delivery_id + ")"});
      } else if (alert.transition == "Recovered" && group.published
                 && group.incident_id == g.incident_id) {
        result.recovered_after_publication = true;
        result.publication = group.publication;
        plan.progress.push_back({g.incident_id, "published",
                                 "recovered after its fix was published (alert "
                                   + alert.delivery_id
                                   + "); the merge request gets a note"});
      }
    } else {
      bool open = g.kind == grouping::open_new;
      result.incident_id = next_provisional--;
      result.new_incident = open;
      plan.new_incidents.push_back(
        {result.incident_id, group_key, &alert, open});
      plan.progress.push_back({result.incident_id, open ? "received" : "closed",
                               open ? "alert " + alert.delivery_id
                                    : "recorded " + alert.transition + " alert "
                                        + alert.delivery_id});
      group = group_state{result.incident_id, open, false, std::nullopt};
      if (open && workload != nullptr)
        workload->open = result.incident_id;
    }
    view.add_delivery(alert.delivery_id, result.incident_id);
    plan.alerts.push_back({index, result.incident_id});
    plan.results.push_back(std::move(result));
  }
  return plan;
}

void assign_incident_ids(batch_plan& plan, const std::vector<int64_t>& ids) {
  auto real = [&](int64_t& id) {
    // Provisional ids are -1, -2, ... in the order of new_incidents.
    if (id < 0)
      id = ids.at(static_cast<size_t>(-id - 1));
  };
  for (auto& r : plan.results)
    real(r.incident_id);
  for (auto& row : plan.new_incidents)
    real(row.id);
  for (auto& id : plan.resolved)
    real(id);
  for (auto& row : plan.progress)
    real(row.incident_id);
  for (auto& row : plan.alerts)
    real(row.incident_id);
}

} // namespace kfix::store
