#include "actors/common/log.hpp"
#include "actors/store/incident_store.hpp"
#include "actors/system/pipeline_logic.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

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
  };
  return list;
}

class pg_store : public incident_store {
public:
  explicit pg_store(std::string dsn) : dsn_(std::move(dsn)) {}

  caf::expected<std::vector<accepted_alert>>
  record_alerts(const std::vector<alert_to_store>& batch) override {
    return run<std::vector<accepted_alert>>([&](pqxx::connection& c) {
      // One transaction, one commit, for the whole batch (group commit).
      pqxx::work tx{c};
      std::vector<accepted_alert> results;
      results.reserve(batch.size());
      for (const auto& item : batch)
        results.push_back(store_one(tx, *item.alert, item.raw_payload));
      tx.commit();
      return results;
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

  caf::error ping() override {
    auto done = run<bool>([](pqxx::connection& c) {
      pqxx::nontransaction tx{c};
      tx.exec("SELECT 1");
      return true;
    });
    return done ? caf::none : done.error();
  }

private:
  /// The hot statements of the intake, parsed once per connection.
  static void prepare_statements(pqxx::connection& c) {
    c.prepare("kfix_alert_by_delivery",
              "SELECT incident_id FROM alerts WHERE delivery_id = $1");
    c.prepare("kfix_latest_in_group",
              "SELECT id, open, stage = 'published' FROM incidents WHERE "
              "group_key = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE");
    c.prepare("kfix_workload_incidents",
              "SELECT coalesce(max(id) FILTER (WHERE open), 0), "
              "coalesce(max(id) FILTER (WHERE stage = 'published' AND "
              "updated_at > now() - make_interval(secs => $4)), 0) FROM "
              "incidents WHERE cluster = $1 AND namespace = $2 AND "
              "workload_name = $3");
    c.prepare("kfix_insert_alert",
              "INSERT INTO alerts (delivery_id, incident_id, monitor_id, "
              "cycle_key, transition, alert_type, event_date, payload, "
              "enriched) VALUES ($1,$2,$3,$4,$5,$6, to_timestamp($7::double "
              "precision / 1000.0), $8, $9::jsonb)");
  }

  /// Stores one alert inside the batch's transaction.
  accepted_alert store_one(pqxx::work& tx, const enriched_alert& alert,
                           std::string_view raw_payload) {
    auto dup = tx.exec_prepared("kfix_alert_by_delivery", alert.delivery_id);
    if (!dup.empty())
      return accepted_alert{dup[0][0].as<int64_t>(), true, false, false};
    auto group = incident_group_key(alert);
    group_lookup lookup;
    auto latest = tx.exec_prepared("kfix_latest_in_group", group);
    if (!latest.empty()) {
      lookup.latest_in_group = latest[0][0].as<int64_t>();
      lookup.latest_open = latest[0][1].as<bool>();
      lookup.latest_published = latest[0][2].as<bool>();
    }
    // The workload's other incidents matter only for an alert that would
    // otherwise open a new incident.
    bool may_open = pipeline::wants_remediation(alert)
                    && !(lookup.latest_in_group != 0 && lookup.latest_open);
    if (may_open && !alert.workload.name.empty()) {
      auto same_workload = tx.exec_prepared(
        "kfix_workload_incidents", alert.cluster, alert.workload.ns,
        alert.workload.name, static_cast<double>(flapping_cooldown_seconds));
      lookup.open_for_workload = same_workload[0][0].as<int64_t>();
      lookup.recently_published = same_workload[0][1].as<int64_t>();
    }
    auto g = decide_grouping(alert, lookup);
    accepted_alert result;
    if (g.kind == grouping::join) {
      result.incident_id = g.incident_id;
      if (g.resolve) {
        tx.exec_params("UPDATE incidents SET open = FALSE, stage = 'closed', "
                       "updated_at = now() WHERE id = $1",
                       g.incident_id);
        tx.exec_params(
          "INSERT INTO incident_progress (incident_id, stage, detail) VALUES "
          "($1, 'closed', $2)",
          g.incident_id,
          "recovered before a fix was published (alert " + alert.delivery_id
            + ")");
        result.resolved = true;
      }
    } else {
      bool open = g.kind == grouping::open_new;
      std::string stage = open ? "received" : "closed";
      auto row = tx.exec_params1(
        "INSERT INTO incidents (group_key, namespace, workload_kind, "
        "workload_name, container, alert_type, env, cluster, team, stage, "
        "open) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
        group, alert.workload.ns, alert.workload.kind, alert.workload.name,
        alert.container, std::string{to_string(alert.type)}, alert.env,
        alert.cluster, alert.team, stage, open);
      result.incident_id = row[0].as<int64_t>();
      result.new_incident = open;
      tx.exec_params(
        "INSERT INTO incident_progress (incident_id, stage, detail) "
        "VALUES ($1, $2, $3)",
        result.incident_id, stage,
        open ? "alert " + alert.delivery_id
             : "recorded " + alert.transition + " alert " + alert.delivery_id);
    }
    nlohmann::json enriched = alert;
    tx.exec_prepared(
      "kfix_insert_alert", alert.delivery_id, result.incident_id,
      alert.monitor_id, alert.cycle_key, alert.transition,
      std::string{to_string(alert.type)}, std::to_string(alert.date_ms),
      std::string{raw_payload},
      enriched.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return result;
  }

  /// Runs `fn` on a live connection, reconnecting once after a broken one;
  /// libpqxx exceptions become errors here.
  template <class T, class Fn>
  caf::expected<T> run(Fn fn) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!conn_ || !conn_->is_open()) {
          conn_ = std::make_unique<pqxx::connection>(dsn_);
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
