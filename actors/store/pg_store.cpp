#include "actors/common/log.hpp"
#include "actors/common/time_text.hpp"
#include "actors/store/alert_batch.hpp"
#include "actors/store/incident_store.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>

namespace kfix::store {

namespace {

/// Schema migrations, applied in order; never edit a shipped one.
const std::vector<std::pair<int, const char*>>& migrations() {
  static const std::vector<std::pair<int, const char*>> list{
    {1, R"sql(
CREATE TABLE incidents (
  id            BIGSERIAL PRIMARY KEY,
  group_key     TEXT NOT NULL,
  namespace     TEXT NOT NULL DEFAULT '',
  workload_kind TEXT NOT NULL DEFAULT '',
  workload_name TEXT NOT NULL DEFAULT '',
  container     TEXT NOT NULL DEFAULT '',
  alert_type    TEXT NOT NULL,
  env           TEXT NOT NULL DEFAULT '',
  cluster       TEXT NOT NULL DEFAULT '',
  team          TEXT NOT NULL DEFAULT '',
  stage         TEXT NOT NULL,
  failure       TEXT,
  open          BOOLEAN NOT NULL DEFAULT TRUE,
  opened_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  result        JSONB
);
-- At most one open incident per monitor and alert cycle.
CREATE UNIQUE INDEX incidents_open_group ON incidents (group_key) WHERE open;
CREATE TABLE alerts (
  id            BIGSERIAL PRIMARY KEY,
  delivery_id   TEXT NOT NULL UNIQUE,
  incident_id   BIGINT NOT NULL REFERENCES incidents (id),
  monitor_id    TEXT NOT NULL DEFAULT '',
  cycle_key     TEXT NOT NULL DEFAULT '',
  transition    TEXT NOT NULL DEFAULT '',
  alert_type    TEXT NOT NULL,
  event_date    TIMESTAMPTZ,
  received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  payload       TEXT NOT NULL,
  enriched      JSONB NOT NULL
);
CREATE INDEX alerts_incident ON alerts (incident_id);
CREATE TABLE incident_progress (
  id          BIGSERIAL PRIMARY KEY,
  incident_id BIGINT NOT NULL REFERENCES incidents (id),
  stage       TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '',
  at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX incident_progress_incident ON incident_progress (incident_id);
)sql"},
    {2, R"sql(
-- Grouping looks up the newest incident of a group and of a workload.
CREATE INDEX incidents_group ON incidents (group_key, id DESC);
CREATE INDEX incidents_workload
  ON incidents (cluster, namespace, workload_name, id DESC);
)sql"},
    {3, R"sql(
-- Where an incident's fix was published, so that a later Recovered alert
-- can comment on its merge request.
ALTER TABLE incidents ADD COLUMN publication JSONB;
-- Payloads are compressed with LZ4 where the server has it (several times
-- cheaper than pglz on the intake's hot path).
-- The enriched alert is what the parser makes of `payload`: derivable, and
-- converting it to jsonb cost more than the rest of an alert's row.
ALTER TABLE alerts DROP COLUMN enriched;
DO $$ BEGIN
  ALTER TABLE alerts ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
)sql"},
    {4, R"sql(
-- The audit of every LLM call: what was sent (after redaction), what came
-- back, tokens, cost and latency. No foreign key: the audit of a call is
-- kept whatever happens to its incident.
CREATE TABLE llm_calls (
  id             BIGSERIAL PRIMARY KEY,
  incident_id    BIGINT NOT NULL,
  provider       TEXT NOT NULL,
  model          TEXT NOT NULL,
  prompt_version TEXT NOT NULL,
  purpose        TEXT NOT NULL,
  request        TEXT NOT NULL,
  response       TEXT NOT NULL,
  http_status    INT NOT NULL,
  outcome        TEXT NOT NULL,
  prompt_tokens  BIGINT NOT NULL,
  output_tokens  BIGINT NOT NULL,
  cost_usd       DOUBLE PRECISION NOT NULL,
  latency_ms     BIGINT NOT NULL,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX llm_calls_incident ON llm_calls (incident_id, id);
DO $$ BEGIN
  ALTER TABLE llm_calls ALTER COLUMN request SET COMPRESSION lz4;
  ALTER TABLE llm_calls ALTER COLUMN response SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
)sql"},
  };
  return list;
}

/// Text PostgreSQL accepts: invalid UTF-8 (a response cut mid-character)
/// becomes U+FFFD, NUL bytes are dropped.
std::string valid_utf8(const std::string& text) {
  auto dumped = nlohmann::json(text).dump(
    -1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto clean = nlohmann::json::parse(dumped).get<std::string>();
  clean.erase(std::remove(clean.begin(), clean.end(), '\0'), clean.end());
  return clean;
}

class pg_store : public incident_store {
public:
  explicit pg_store(std::string dsn) : dsn_(std::move(dsn)) {}

  caf::expected<std::vector<accepted_alert>>
  record_alerts(const std::vector<alert_to_store>& batch) override {
    return run<std::vector<accepted_alert>>([&](pqxx::connection& c) {
      // One transaction, one commit and a fixed number of statements for
      // the whole batch (group commit): look up, plan, then write by COPY.
      pqxx::work tx{c};
      tx.exec_prepared("kfix_intake_lock");
      auto plan = plan_alert_batch(batch, look_up(tx, lookup_keys(batch)));
      if (!plan.new_incidents.empty()) {
        std::vector<int64_t> ids;
        ids.reserve(plan.new_incidents.size());
        for (const auto& row :
             tx.exec_prepared("kfix_incident_ids",
                              static_cast<int64_t>(plan.new_incidents.size())))
          ids.push_back(row[0].as<int64_t>());
        assign_incident_ids(plan, ids);
      }
      write_plan(tx, batch, plan);
      tx.commit();
      return std::move(plan.results);
    });
  }

  caf::error record_stage(int64_t incident_id, incident_stage stage,
                          const std::string& detail) override {
    auto done = run<bool>([&](pqxx::connection& c) {
      pqxx::work tx{c};
      std::string name{to_string(stage)};
      bool closes = stage == incident_stage::published
                    || stage == incident_stage::failed
                    || stage == incident_stage::closed;
      tx.exec_params("INSERT INTO incident_progress (incident_id, stage, "
                     "detail) VALUES ($1, $2, $3)",
                     incident_id, name, detail);
      tx.exec_params(
        "UPDATE incidents SET stage = $2, updated_at = now(), "
        "failure = CASE WHEN $2 = 'failed' THEN $3 ELSE failure END, "
        "open = open AND NOT $4 WHERE id = $1",
        incident_id, name, detail, closes);
      tx.commit();
      return true;
    });
    return done ? caf::none : done.error();
  }

  caf::error record_result(const incident_result& r) override {
    auto done = run<bool>([&](pqxx::connection& c) {
      pqxx::work tx{c};
      nlohmann::json j = r;
      tx.exec_params(
        "UPDATE incidents SET result = $2::jsonb, updated_at = "
        "now() WHERE id = $1",
        r.incident_id,
        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      if (r.publication)
        tx.exec_params(
          "UPDATE incidents SET publication = $2::jsonb WHERE id = $1",
          r.incident_id, nlohmann::json(*r.publication).dump());
      tx.commit();
      return true;
    });
    return done ? caf::none : done.error();
  }

  caf::expected<std::string> incident_json(int64_t incident_id) override {
    auto found = run<std::string>([&](pqxx::connection& c) -> std::string {
      pqxx::read_transaction tx{c};
      auto rows = tx.exec_params(
        "SELECT id, namespace, workload_kind, workload_name, alert_type, env, "
        "stage, coalesce(failure, ''), opened_at::text, updated_at::text, "
        "coalesce(result::text, 'null') FROM incidents WHERE id = $1",
        incident_id);
      if (rows.empty())
        return {};
      const auto& row = rows[0];
      nlohmann::json j{
        {"id", row[0].as<int64_t>()},
        {"workload",
         {{"namespace", row[1].c_str()},
          {"kind", row[2].c_str()},
          {"name", row[3].c_str()}}},
        {"alert_type", row[4].c_str()},
        {"env", row[5].c_str()},
        {"stage", row[6].c_str()},
        {"failure", row[7].c_str()},
        {"opened_at", row[8].c_str()},
        {"updated_at", row[9].c_str()},
        {"result", nlohmann::json::parse(row[10].c_str(), nullptr, false)}};
      auto steps = tx.exec_params("SELECT stage, detail, at::text FROM "
                                  "incident_progress WHERE incident_id = $1 "
                                  "ORDER BY id",
                                  incident_id);
      j["progress"] = nlohmann::json::array();
      for (const auto& s : steps)
        j["progress"].push_back({{"stage", s[0].c_str()},
                                 {"detail", s[1].c_str()},
                                 {"at", s[2].c_str()}});
      auto alerts = tx.exec_params(
        "SELECT delivery_id, transition, received_at::text FROM alerts WHERE "
        "incident_id = $1 ORDER BY id",
        incident_id);
      j["alerts"] = nlohmann::json::array();
      for (const auto& a : alerts)
        j["alerts"].push_back({{"delivery_id", a[0].c_str()},
                               {"transition", a[1].c_str()},
                               {"received_at", a[2].c_str()}});
      return j.dump();
    });
    if (found && found->empty())
      return make_error(ec::not_found,
                        "no incident " + std::to_string(incident_id));
    return found;
  }

  caf::expected<int64_t> count_recent_publications(const std::string& ns,
                                                   int64_t seconds) override {
    return run<int64_t>([&](pqxx::connection& c) {
      pqxx::read_transaction tx{c};
      return tx
        .exec_params1("SELECT count(*) FROM incidents WHERE namespace = $1 "
                      "AND stage = 'published' AND updated_at > now() - "
                      "make_interval(secs => $2)",
                      ns, static_cast<double>(seconds))[0]
        .as<int64_t>();
    });
  }

  caf::error ping() override {
    auto done = run<bool>([](pqxx::connection& c) {
      pqxx::nontransaction tx{c};
      tx.exec("SELECT 1");
      return true;
    });
    return done ? caf::none : done.error();
  }

  caf::error record_llm_call(const llm_call_record& r) override {
    auto done = run<bool>([&](pqxx::connection& c) {
      pqxx::work tx{c};
      tx.exec_params(
        "INSERT INTO llm_calls (incident_id, provider, model, prompt_version, "
        "purpose, request, response, http_status, outcome, prompt_tokens, "
        "output_tokens, cost_usd, latency_ms) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7, $8, $9, $10, $11, $12, $13)",
        r.incident_id, r.provider, r.model, r.prompt_version, r.purpose,
        valid_utf8(r.request), valid_utf8(r.response), r.http_status, r.outcome,
        r.prompt_tokens, r.output_tokens, r.cost_usd, r.latency_ms);
      tx.commit();
      return true;
    });
    return done ? caf::none : done.error();
  }

private:
  /// The hot statements of the intake, parsed once per connection. Key
  /// lists travel as one JSON array parameter.
  static void prepare_statements(pqxx::connection& c) {
    // Intake batches of several replicas take turns, so that two never
    // open an incident for the same group or workload at once.
    c.prepare("kfix_intake_lock", "SELECT pg_advisory_xact_lock(4242002)");
    // Everything known for a batch's keys in one statement: delivery id
    // -> incident (kind d), group -> newest incident (g), workload -> open
    // and recently published incidents (w). $1 delivery ids, $2 group keys,
    // $3 [cluster, namespace, name] triples, $4 the flapping cooldown.
    c.prepare(
      "kfix_batch_lookup",
      "SELECT 'd', delivery_id, incident_id, NULL::bool, NULL::bool, NULL, "
      "NULL, NULL, NULL::bigint FROM alerts WHERE delivery_id = "
      "ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) "
      "UNION ALL SELECT 'g', k, i.id, i.open, i.stage = 'published', "
      "i.publication::text, NULL, NULL, NULL FROM "
      "jsonb_array_elements_text($2::jsonb) AS k CROSS JOIN LATERAL (SELECT "
      "id, open, stage, publication FROM incidents WHERE group_key = k ORDER "
      "BY id DESC LIMIT 1) AS i "
      "UNION ALL SELECT 'w', w->>0, l.open_id, NULL, NULL, NULL, w->>1, "
      "w->>2, l.published_id FROM jsonb_array_elements($3::jsonb) AS w CROSS "
      "JOIN LATERAL (SELECT coalesce(max(id) FILTER (WHERE open), 0) AS "
      "open_id, coalesce(max(id) FILTER (WHERE stage = 'published' AND "
      "updated_at > now() - make_interval(secs => $4)), 0) AS published_id "
      "FROM incidents WHERE cluster = w->>0 AND namespace = w->>1 AND "
      "workload_name = w->>2) AS l");
    c.prepare("kfix_incident_ids",
              "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) "
              "FROM generate_series(1, $1)");
    c.prepare("kfix_resolve_incident",
              "UPDATE incidents SET open = FALSE, stage = 'closed', "
              "updated_at = now() WHERE id = $1");
  }

  /// What the database knows for a batch's keys, in one query.
  static batch_lookups look_up(pqxx::work& tx, const batch_keys& keys) {
    auto workloads = nlohmann::json::array();
    for (const auto& w : keys.workloads)
      workloads.push_back({w.cluster, w.ns, w.name});
    auto rows = tx.exec_prepared(
      "kfix_batch_lookup", nlohmann::json(keys.deliveries).dump(),
      nlohmann::json(keys.groups).dump(), workloads.dump(),
      static_cast<double>(flapping_cooldown_seconds));
    batch_lookups known;
    for (const auto& row : rows) {
      auto kind = row[0].c_str()[0];
      if (kind == 'd') {
        known.deliveries.emplace(row[1].c_str(), row[2].as<int64_t>());
      } else if (kind == 'g') {
        group_state g{row[2].as<int64_t>(), row[3].as<bool>(),
                      row[4].as<bool>(), std::nullopt};
        if (!row[5].is_null())
          if (auto pub = nlohmann::json::parse(row[5].c_str(), nullptr, false);
              pub.is_object())
            g.publication = pub.get<publication>();
        known.groups.emplace(row[1].c_str(), std::move(g));
      } else {
        known.workloads.emplace(
          workload_key{row[1].c_str(), row[6].c_str(), row[7].c_str()}.text(),
          workload_incidents{row[2].as<int64_t>(), row[8].as<int64_t>()});
      }
    }
    return known;
  }

  /// Writes a planned batch: incidents, progress and alerts by COPY.
  static void write_plan(pqxx::work& tx,
                         const std::vector<alert_to_store>& batch,
                         const batch_plan& plan) {
    if (!plan.new_incidents.empty()) {
      pqxx::stream_to out{tx, "incidents",
                          std::vector<std::string>{
                            "id", "group_key", "namespace", "workload_kind",
                            "workload_name", "container", "alert_type", "env",
                            "cluster", "team", "stage", "open"}};
      for (const auto& row : plan.new_incidents) {
        const auto& a = *row.alert;
        out << std::make_tuple(
          row.id, row.group_key, a.workload.ns, a.workload.kind,
          a.workload.name, a.container, std::string{to_string(a.type)}, a.env,
          a.cluster, a.team, std::string{row.open ? "received" : "closed"},
          row.open);
      }
      out.complete();
    }
    for (auto id : plan.resolved)
      tx.exec_prepared("kfix_resolve_incident", id);
    if (!plan.progress.empty()) {
      pqxx::stream_to out{
        tx, "incident_progress",
        std::vector<std::string>{"incident_id", "stage", "detail"}};
      for (const auto& row : plan.progress)
        out << std::make_tuple(row.incident_id, row.stage, row.detail);
      out.complete();
    }
    if (!plan.alerts.empty()) {
      pqxx::stream_to out{tx, "alerts",
                          std::vector<std::string>{"delivery_id", "incident_id",
                                                   "monitor_id", "cycle_key",
                                                   "transition", "alert_type",
                                                   "event_date", "payload"}};
      for (const auto& row : plan.alerts) {
        const auto& item = batch[row.index];
        const auto& a = *item.alert;
        out << std::make_tuple(
          a.delivery_id, row.incident_id, a.monitor_id, a.cycle_key,
          a.transition, std::string{to_string(a.type)},
          format_rfc3339_ms(a.date_ms), std::string{item.raw_payload});
      }
      out.complete();
    }
  }

  /// Runs `fn` on a live connection, reconnecting once after a broken one;
  /// libpqxx exceptions become errors here.
  template <class T, class Fn>
  caf::expected<T> run(Fn fn) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!conn_ || !conn_->is_open()) {
          conn_ = std::make_unique<pqxx::connection>(dsn_);
          // Every statement here is an indexed lookup. Plan each prepared
          // statement once (planning the batch lookup took longer than
          // running it), never as a sequential scan: a plan made while the
          // tables were still small would scan them whole until the next
          // ANALYZE.
          pqxx::nontransaction{*conn_}.exec(
            "SET plan_cache_mode = force_generic_plan; SET enable_seqscan "
            "= off");
          prepare_statements(*conn_);
        }
        return fn(*conn_);
      } catch (const pqxx::broken_connection& e) {
        conn_.reset();
        if (attempt == 1)
          return make_error(ec::unavailable,
                            std::string{"database unreachable: "} + e.what());
      } catch (const pqxx::sql_error& e) {
        return make_error(ec::database_error,
                          std::string{"database error: "} + e.what());
      } catch (const std::exception& e) {
        conn_.reset();
        return make_error(ec::database_error,
                          std::string{"database error: "} + e.what());
      }
    }
    return make_error(ec::unavailable, "database unreachable");
  }

  std::string dsn_;
  std::unique_ptr<pqxx::connection> conn_;
};

} // namespace

std::unique_ptr<incident_store> make_pg_store(std::string dsn) {
  return std::make_unique<pg_store>(std::move(dsn));
}

caf::error migrate(const std::string& dsn) {
  try {
    pqxx::connection c{dsn};
    pqxx::work tx{c};
    // Serialise concurrent migrations of several replicas.
    tx.exec("SELECT pg_advisory_xact_lock(4242001)");
    tx.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INT "
            "PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    auto current = tx.exec1("SELECT coalesce(max(version), 0) FROM "
                            "schema_migrations")[0]
                     .as<int>();
    for (const auto& [version, sql] : migrations()) {
      if (version <= current)
        continue;
      tx.exec(sql);
      tx.exec_params("INSERT INTO schema_migrations (version) VALUES ($1)",
                     version);
      log::info("store", "migration-applied", {{"version", version}});
    }
    tx.commit();
  } catch (const pqxx::broken_connection& e) {
    return make_error(ec::unavailable,
                      std::string{"database unreachable: "} + e.what());
  } catch (const std::exception& e) {
    return make_error(ec::database_error,
                      std::string{"migration failed: "} + e.what());
  }
  return caf::none;
}

} // namespace kfix::store
