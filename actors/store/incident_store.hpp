#pragma once

#include "messages/error.hpp"
#include "messages/incident.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kfix::store {

/// What storing an alert did.
struct accepted_alert {
  int64_t incident_id = 0;
  /// The same delivery ($ID) was stored before: nothing new was written.
  bool duplicate_delivery = false;
  /// A new incident was opened (else the alert joined an open one).
  bool new_incident = false;
};

/// The key grouping the alerts of one incident: monitor and alert cycle.
std::string incident_group_key(const enriched_alert& alert);

/// Durable record of alerts, incidents and their progress. Implementations
/// are not thread-safe: each actor owns its own instance.
class incident_store {
public:
  virtual ~incident_store() = default;

  /// Stores the alert and opens or joins its incident, atomically.
  [[nodiscard]] virtual caf::expected<accepted_alert>
  record_alert(const enriched_alert& alert, std::string_view raw_payload) = 0;

  /// Appends a progress step (received, context, ..., failed) with detail.
  [[nodiscard]] virtual caf::error record_stage(int64_t incident_id,
                                                incident_stage stage,
                                                const std::string& detail)
    = 0;

  /// Stores the final result of the pipeline as JSON.
  [[nodiscard]] virtual caf::error record_result(const incident_result& r) = 0;

  /// The incident with its progress and result, as JSON text.
  [[nodiscard]] virtual caf::expected<std::string>
  incident_json(int64_t incident_id) = 0;

  /// Checks that the store is reachable.
  [[nodiscard]] virtual caf::error ping() = 0;
};

/// PostgreSQL store (libpqxx). Reconnects after a lost connection.
std::unique_ptr<incident_store> make_pg_store(std::string dsn);

/// Applies the schema migrations (idempotent; serialised by an advisory
/// lock so that replicas can start together).
[[nodiscard]] caf::error migrate(const std::string& dsn);

/// In-memory store for offline replay and eval; shared state, thread-safe.
class memory_store : public incident_store {
public:
  caf::expected<accepted_alert>
  record_alert(const enriched_alert& alert,
               std::string_view raw_payload) override;
  caf::error record_stage(int64_t incident_id, incident_stage stage,
                          const std::string& detail) override;
  caf::error record_result(const incident_result& r) override;
  caf::expected<std::string> incident_json(int64_t incident_id) override;
  caf::error ping() override;

  /// The stages recorded for an incident, in order.
  std::vector<incident_stage> stages(int64_t incident_id) const;

private:
  mutable std::mutex mtx_;
  int64_t next_id_ = 1;
  std::unordered_map<std::string, int64_t> by_delivery_;
  std::unordered_map<std::string, int64_t> open_by_group_;
  std::unordered_map<int64_t,
                     std::vector<std::pair<incident_stage, std::string>>>
    stages_;
  std::unordered_map<int64_t, std::string> results_;
};

/// A view of a shared memory_store, so that several actors can each own a
/// store while writing to one place.
class shared_store : public incident_store {
public:
  explicit shared_store(std::shared_ptr<memory_store> target)
    : target_(std::move(target)) {}
  caf::expected<accepted_alert>
  record_alert(const enriched_alert& alert,
               std::string_view raw_payload) override {
    return target_->record_alert(alert, raw_payload);
  }
  caf::error record_stage(int64_t incident_id, incident_stage stage,
                          const std::string& detail) override {
    return target_->record_stage(incident_id, stage, detail);
  }
  caf::error record_result(const incident_result& r) override {
    return target_->record_result(r);
  }
  caf::expected<std::string> incident_json(int64_t incident_id) override {
    return target_->incident_json(incident_id);
  }
  caf::error ping() override {
    return target_->ping();
  }

private:
  std::shared_ptr<memory_store> target_;
};

} // namespace kfix::store
