#pragma once

#include "messages/error.hpp"
#include "messages/incident.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
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
  /// A new incident was opened that needs processing (else the alert joined
  /// an incident, or only records a transition).
  bool new_incident = false;
  /// A Recovered alert closed an incident before its fix was published:
  /// plans not yet published are cancelled.
  bool resolved = false;
  /// A Recovered alert for an incident whose fix is already published: its
  /// merge request gets a note (`publication`).
  bool recovered_after_publication = false;
  std::optional<kfix::publication> publication;
};

/// One alert of a batch to store.
struct alert_to_store {
  const enriched_alert* alert = nullptr;
  std::string_view raw_payload;
};

/// The key grouping the alerts of one incident: monitor and alert cycle.
std::string incident_group_key(const enriched_alert& alert);

/// What is known about earlier incidents when an alert arrives.
struct group_lookup {
  /// The newest incident of the alert's group (monitor and cycle).
  int64_t latest_in_group = 0;
  bool latest_open = false;
  bool latest_published = false;
  /// An open incident of the same workload (another monitor).
  int64_t open_for_workload = 0;
  /// An incident of the same workload published within the cooldown.
  int64_t recently_published = 0;
};

/// How an alert joins the incidents.
struct grouping {
  enum kind_t { join, open_new, record_only } kind = open_new;
  int64_t incident_id = 0; // for join
  /// The joined incident is closed as recovered.
  bool resolve = false;
};

/// Storm discipline: one incident per monitor and cycle, one per workload
/// across monitors, and at most one merge request for a flapping alert (a
/// re-trigger within the cooldown after publication joins that incident).
/// Recovered closes an incident whose fix is not yet published; Warn and No
/// Data are recorded only.
grouping decide_grouping(const enriched_alert& alert,
                         const group_lookup& lookup);

/// How long after a publication a re-triggered alert of the same workload
/// joins that incident instead of opening a new one.
constexpr int64_t flapping_cooldown_seconds = 3600;

/// The audit of one LLM call (or of a recorded one replayed by the eval).
struct llm_call_record {
  int64_t incident_id = 0;
  std::string provider; // openai | anthropic
  std::string model;
  std::string prompt_version;
  /// answer | repair
  std::string purpose;
  /// The request body as sent, after redaction (never the API key).
  std::string request;
  /// The response body as received; empty when none came.
  std::string response;
  int http_status = 0;
  /// ok | invalid | refused | truncated | rate_limited | timeout | error |
  /// unavailable | stale
  std::string outcome;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  double cost_usd = 0;
  int64_t latency_ms = 0;
};

/// Durable record of alerts, incidents and their progress. Implementations
/// are not thread-safe: each actor owns its own instance.
class incident_store {
public:
  virtual ~incident_store() = default;

  /// Stores a batch of alerts in one transaction (group commit): all are
  /// stored, or none and the error says why. Results in batch order.
  [[nodiscard]] virtual caf::expected<std::vector<accepted_alert>>
  record_alerts(const std::vector<alert_to_store>& batch) = 0;

  /// Stores one alert (a batch of one).
  [[nodiscard]] caf::expected<accepted_alert>
  record_alert(const enriched_alert& alert, std::string_view raw_payload) {
    auto result = record_alerts({{&alert, raw_payload}});
    if (!result)
      return result.error();
    return result->front();
  }

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

  /// How many incidents of namespace `ns` were published in the last
  /// `seconds` (the policy's circuit breaker).
  [[nodiscard]] virtual caf::expected<int64_t>
  count_recent_publications(const std::string& ns, int64_t seconds) = 0;

  /// Appends the audit record of one LLM call.
  [[nodiscard]] virtual caf::error record_llm_call(const llm_call_record& r)
    = 0;
};

/// PostgreSQL store (libpqxx). Reconnects after a lost connection.
std::unique_ptr<incident_store> make_pg_store(std::string dsn);

/// Applies the schema migrations (idempotent; serialised by an advisory
/// lock so that replicas can start together).
[[nodiscard]] caf::error migrate(const std::string& dsn);

/// In-memory store for offline replay and eval; shared state, thread-safe.
class memory_store : public incident_store {
public:
  caf::expected<std::vector<accepted_alert>>
  record_alerts(const std::vector<alert_to_store>& batch) override;
  caf::error record_stage(int64_t incident_id, incident_stage stage,
                          const std::string& detail) override;
  caf::error record_result(const incident_result& r) override;
  caf::expected<std::string> incident_json(int64_t incident_id) override;
  caf::error ping() override;
  caf::expected<int64_t> count_recent_publications(const std::string& ns,
                                                   int64_t seconds) override;
  caf::error record_llm_call(const llm_call_record& r) override;

  /// The stages recorded for an incident, in order.
  std::vector<incident_stage> stages(int64_t incident_id) const;

  /// The LLM calls audited for an incident, in order.
  std::vector<llm_call_record> llm_calls(int64_t incident_id) const;

private:
  mutable std::mutex mtx_;
  int64_t next_id_ = 1;
  struct incident_row {
    std::string group;
    std::string workload;
    bool open = true;
    bool published = false;
    std::optional<kfix::publication> publication;
    std::string ns;
    std::chrono::system_clock::time_point published_at;
  };
  std::unordered_map<std::string, int64_t> by_delivery_;
  std::unordered_map<int64_t, incident_row> incidents_;
  std::unordered_map<int64_t,
                     std::vector<std::pair<incident_stage, std::string>>>
    stages_;
  std::unordered_map<int64_t, std::string> results_;
  std::vector<llm_call_record> llm_calls_;
};

/// A view of a shared memory_store, so that several actors can each own a
/// store while writing to one place.
class shared_store : public incident_store {
public:
  explicit shared_store(std::shared_ptr<memory_store> target)
    : target_(std::move(target)) {}
  caf::expected<std::vector<accepted_alert>>
  record_alerts(const std::vector<alert_to_store>& batch) override {
    return target_->record_alerts(batch);
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
  caf::expected<int64_t> count_recent_publications(const std::string& ns,
                                                   int64_t seconds) override {
    return target_->count_recent_publications(ns, seconds);
  }
  caf::error ping() override {
    return target_->ping();
  }
  caf::error record_llm_call(const llm_call_record& r) override {
    return target_->record_llm_call(r);
  }

private:
  std::shared_ptr<memory_store> target_;
};

} // namespace kfix::store
