#pragma once

#include "actors/store/incident_store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

/// Group commit, planned without I/O: which alerts of a batch are duplicate
/// deliveries, which join an incident, which open one, which close one. A
/// store looks up what it knows for the batch's keys (a few queries for the
/// whole batch, not per alert), plans, then writes the plan in one
/// transaction. PostgreSQL and the in-memory store share this code, so they
/// group alerts the same way.
namespace kfix::store {

/// A workload as incidents are grouped by it: cluster, namespace, name.
struct workload_key {
  std::string cluster;
  std::string ns;
  std::string name;

  /// "eu-1/shop/checkout".
  std::string text() const;
};

workload_key workload_key_of(const enriched_alert& alert);

/// The newest incident of a group (monitor and cycle) before the batch.
struct group_state {
  int64_t incident_id = 0;
  bool open = false;
  bool published = false;
  /// Where its fix was published, when it was.
  std::optional<kfix::publication> publication;
};

/// The incidents of a workload an alert of another monitor may join.
struct workload_incidents {
  /// The newest open incident, 0 for none.
  int64_t open = 0;
  /// The newest incident published within the flapping cooldown, 0 for none.
  int64_t recently_published = 0;
};

/// The keys a store looks up before planning a batch.
struct batch_keys {
  std::vector<std::string> deliveries;
  std::vector<std::string> groups;
  /// Only for alerts that may open an incident (a remediation transition
  /// with a workload): the others never consult their workload.
  std::vector<workload_key> workloads;
};

batch_keys lookup_keys(const std::vector<alert_to_store>& batch);

/// What the store knew before the batch, by key. Absent keys mean nothing
/// known (a new delivery, group or workload).
struct batch_lookups {
  /// Delivery id -> incident id.
  std::unordered_map<std::string, int64_t> deliveries;
  /// incident_group_key -> its newest incident.
  std::unordered_map<std::string, group_state> groups;
  /// workload_key::text -> its incidents.
  std::unordered_map<std::string, workload_incidents> workloads;
};

/// An incident the batch opens (or records closed, for a transition that
/// needs no remediation and belongs to no incident).
struct incident_row {
  int64_t id = 0;
  std::string group_key;
  const enriched_alert* alert = nullptr;
  bool open = true;
};

/// A line of an incident's progress.
struct progress_row {
  int64_t incident_id = 0;
  std::string stage;
  std::string detail;
};

/// An alert to store, by its index in the batch.
struct alert_row {
  size_t index = 0;
  int64_t incident_id = 0;
};

/// Everything a batch writes. Incident ids of the incidents it opens are
/// provisional (negative) until `assign_incident_ids`.
struct batch_plan {
  /// One per alert of the batch, in batch order.
  std::vector<accepted_alert> results;
  std::vector<incident_row> new_incidents;
  /// Incidents closed because their alert recovered before publication.
  std::vector<int64_t> resolved;
  std::vector<progress_row> progress;
  /// Every alert but the duplicate deliveries, in batch order.
  std::vector<alert_row> alerts;
};

/// Plans a batch as if its alerts were stored one after the other: a later
/// alert sees the incidents an earlier one opened or closed, a delivery
/// repeated inside the batch is a duplicate of its first copy.
batch_plan plan_alert_batch(const std::vector<alert_to_store>& batch,
                            const batch_lookups& known);

/// Replaces the provisional ids of `plan.new_incidents` by `ids` (one per new
/// incident, in order) everywhere in the plan.
void assign_incident_ids(batch_plan& plan, const std::vector<int64_t>& ids);

} // namespace kfix::store
