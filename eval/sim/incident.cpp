#include "eval/sim/incident.hpp"

#include "eval/sim/quantity.hpp"
#include "eval/sim/state.hpp"
#include "eval/sim/util.hpp"
#include "eval/sim/yaml_json.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace kfix::sim {

namespace {

namespace fs = std::filesystem;

using problem_list = std::vector<std::string>;

const std::map<std::string, std::set<std::string>>& action_params() {
  static const std::map<std::string, std::set<std::string>> params{
    {"set_resources",
     {"container", "cpu_request", "cpu_limit", "memory_request", "memory_limit",
      "ephemeral_storage_request", "ephemeral_storage_limit"}},
    {"scale_replicas", {"replicas"}},
    {"set_hpa",
     {"min_replicas", "max_replicas", "target_cpu_utilization",
      "target_memory_utilization"}},
    {"rollback", {"to_revision", "image", "container"}},
    {"set_probe",
     {"container", "probe", "initial_delay_seconds", "period_seconds",
      "timeout_seconds", "failure_threshold", "success_threshold", "remove"}},
    {"set_image", {"container", "image"}},
    {"restart", {}},
    {"set_env", {"container", "name", "value"}},
    {"escalate", {"reason"}},
  };
  return params;
}

bool valid_id(std::string_view id) {
  if (id.empty())
    return false;
  auto ok_first = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!ok_first(id[0]))
    return false;
  return std::all_of(id.begin(), id.end(), [&](char c) {
    return ok_first(c) || c == '-';
  });
}

// JSON truthiness as Python sees it.
bool truthy(const nlohmann::json& value) {
  if (value.is_null())
    return false;
  if (value.is_boolean())
    return value.get<bool>();
  if (value.is_number())
    return value.get<double>() != 0;
  if (value.is_string() || value.is_array() || value.is_object())
    return !value.empty();
  return true;
}

std::string json_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Reads a required (or optional) non-empty string field of `obj`.
std::string string_field(const nlohmann::json& obj, const std::string& key,
                         const std::string& path, bool required,
                         problem_list& problems) {
  auto where = "incident.yaml: " + path;
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) {
    if (required)
      problems.push_back(where + ": missing");
    return {};
  }
  const auto& value = obj[key];
  if (!value.is_string()) {
    problems.push_back(where + ": must be a string, got " + value.dump());
    return {};
  }
  auto text = value.get<std::string>();
  if (required && trim(text).empty())
    problems.push_back(where + ": must not be empty");
  return text;
}

void check_incident_yaml(const nlohmann::json& doc, const std::string& folder,
                         recorded_incident& out, problem_list& problems) {
  // format, id
  if (!doc.contains("format"))
    problems.push_back("incident.yaml: format: missing");
  else if (doc["format"] != "kfix-incident/v1")
    problems.push_back("incident.yaml: format: must be kfix-incident/v1, got "
                       + json_text(doc["format"]));
  out.id = string_field(doc, "id", "id", true, problems);
  if (!out.id.empty() && out.id != folder)
    problems.push_back("incident.yaml: id: " + out.id
                       + " does not equal the folder name " + folder);
  if (!valid_id(folder))
    problems.push_back("folder name " + folder
                       + " does not match [a-z0-9][a-z0-9-]*");
  // plain strings
  out.title = string_field(doc, "title", "title", true, problems);
  out.env = string_field(doc, "env", "env", true, problems);
  out.source = string_field(doc, "source", "source", true, problems);
  out.cluster = string_field(doc, "cluster", "cluster", false, problems);
  out.notes = string_field(doc, "notes", "notes", false, problems);
  // alert_type
  out.alert_type
    = string_field(doc, "alert_type", "alert_type", true, problems);
  if (!out.alert_type.empty() && !parse_alert_type(out.alert_type))
    problems.push_back("incident.yaml: alert_type: unknown type "
                       + out.alert_type);
  // received_at
  out.received_at
    = string_field(doc, "received_at", "received_at", true, problems);
  if (!out.received_at.empty()) {
    if (auto ms = parse_rfc3339_ms(out.received_at))
      out.received_at_s = *ms >= 0 ? *ms / 1000 : (*ms - 999) / 1000;
    else
      problems.push_back("incident.yaml: received_at: not an RFC 3339 time: "
                         + out.received_at);
  }
  // workload
  if (!doc.contains("workload") || doc["workload"].is_null()) {
    problems.push_back("incident.yaml: workload: missing");
    for (auto key : {"kind", "namespace", "name"})
      problems.push_back(std::string{"incident.yaml: workload."} + key
                         + ": missing");
  } else if (!doc["workload"].is_object()) {
    problems.push_back("incident.yaml: workload: must be a mapping");
  } else {
    const auto& wl = doc["workload"];
    out.workload.kind
      = string_field(wl, "kind", "workload.kind", true, problems);
    out.workload.ns
      = string_field(wl, "namespace", "workload.namespace", true, problems);
    out.workload.name
      = string_field(wl, "name", "workload.name", true, problems);
    const auto& kind = out.workload.kind;
    if (!kind.empty() && kind != "Deployment" && kind != "StatefulSet"
        && kind != "DaemonSet")
      problems.push_back("incident.yaml: workload.kind: must be Deployment, "
                         "StatefulSet or DaemonSet, got "
                         + kind);
  }
  // gitops
  if (doc.contains("gitops") && !doc["gitops"].is_null()) {
    const auto& g = doc["gitops"];
    if (!g.is_object()) {
      problems.push_back("incident.yaml: gitops: must be a mapping");
    } else {
      out.gitops.project
        = string_field(g, "project", "gitops.project", true, problems);
      auto branch = string_field(g, "target_branch", "gitops.target_branch",
                                 false, problems);
      if (!branch.empty())
        out.gitops.target_branch = branch;
    }
  }
  // expected
  if (!doc.contains("expected") || doc["expected"].is_null()) {
    problems.push_back("incident.yaml: expected: missing");
    problems.push_back("incident.yaml: expected.decision: missing");
  } else if (!doc["expected"].is_object()) {
    problems.push_back("incident.yaml: expected: must be a mapping");
  } else {
    const auto& exp = doc["expected"];
    out.expected = exp;
    auto decision
      = exp.contains("decision") ? exp["decision"] : nlohmann::json{};
    if (decision != "fix" && decision != "escalate" && decision != "no_action")
      problems.push_back(
        "incident.yaml: expected.decision: must be fix, escalate or no_action"
        + (decision.is_null() ? std::string{" (missing)"}
                              : ", got " + json_text(decision)));
    for (auto list : {"accept", "reject"}) {
      if (!exp.contains(list) || exp[list].is_null())
        continue;
      if (!exp[list].is_array()) {
        problems.push_back(std::string{"incident.yaml: expected."} + list
                           + ": must be a list");
        continue;
      }
      for (size_t i = 0; i < exp[list].size(); ++i) {
        auto where = std::string{"incident.yaml: expected."} + list + "["
                     + std::to_string(i) + "]";
        for (auto& p : check_expected_entry(exp[list][i], where))
          problems.push_back(std::move(p));
      }
    }
    if (decision == "fix"
        && (!exp.contains("accept") || !exp["accept"].is_array()
            || exp["accept"].empty()))
      problems.push_back("incident.yaml: expected.accept: decision fix needs "
                         "at least one accept entry");
  }
  // outcome
  if (doc.contains("outcome") && !doc["outcome"].is_null()) {
    const auto& o = doc["outcome"];
    if (!o.is_object()) {
      problems.push_back("incident.yaml: outcome: must be a mapping");
    } else {
      if (o.contains("mr_state") && o["mr_state"] != "merged"
          && o["mr_state"] != "closed")
        problems.push_back(
          "incident.yaml: outcome.mr_state: must be merged or closed");
      if (o.contains("resolved") && !o["resolved"].is_boolean())
        problems.push_back("incident.yaml: outcome.resolved: must be a "
                           "boolean");
      if (o.contains("human_fix") && !o["human_fix"].is_string())
        problems.push_back("incident.yaml: outcome.human_fix: must be the "
                           "path of a diff file");
      out.outcome = o;
    }
  }
}

void check_alert_json(const std::string& text, problem_list& problems) {
  nlohmann::json alert;
  try {
    alert = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    problems.push_back(std::string{"alert.json: "} + e.what());
    return;
  }
  if (!alert.is_object()) {
    problems.push_back("alert.json: must be a JSON object");
    return;
  }
  for (auto key : {"id", "alert_id", "alert_transition", "date"})
    if (!alert.contains(key) || !truthy(alert[key]))
      problems.push_back(std::string{"alert.json: "} + key + ": missing");
  auto has = [&](const char* key) {
    return alert.contains(key) && truthy(alert[key]);
  };
  if (!has("alert_query") && !has("alert_metric"))
    problems.push_back("alert.json: neither alert_query nor alert_metric");
  for (auto& [key, value] : alert.items())
    if (key != "org" && !value.is_string())
      problems.push_back("alert.json: " + key + ": must be a string");
}

void check_workload_object(const recorded_incident& inc,
                           const cluster_state& state, const std::string& file,
                           problem_list& problems) {
  // Only for a well-formed workload reference (its problems are reported).
  const auto& wl = inc.workload;
  if (wl.name.empty() || wl.ns.empty()
      || (wl.kind != "Deployment" && wl.kind != "StatefulSet"
          && wl.kind != "DaemonSet"))
    return;
  bool kind_seen = false;
  bool found = false;
  for (const auto& obj : state.objects) {
    if (obj.value("kind", "") != wl.kind)
      continue;
    kind_seen = true;
    const auto& md = obj["metadata"];
    if (md.value("name", "") == wl.name && md.value("namespace", "") == wl.ns)
      found = true;
  }
  if (!kind_seen)
    problems.push_back(file + ": no " + wl.kind + " object");
  else if (!found)
    problems.push_back(file + ": the workload object " + wl.kind + " " + wl.ns
                       + "/" + wl.name + " is missing");
}

void load_gitops(const fs::path& dir, recorded_incident& out,
                 problem_list& problems) {
  std::error_code err;
  auto root = dir / "gitops";
  if (!fs::exists(root, err))
    return;
  if (!fs::is_directory(root, err)) {
    problems.push_back("gitops: must be a folder");
    return;
  }
  fs::recursive_directory_iterator it{root, err};
  if (err) {
    problems.push_back("gitops: " + err.message());
    return;
  }
  for (; it != fs::recursive_directory_iterator{}; it.increment(err)) {
    if (err) {
      problems.push_back("gitops: " + err.message());
      return;
    }
    if (!it->is_regular_file(err))
      continue;
    auto rel = it->path().lexically_relative(root).generic_string();
    auto text = read_text_file(it->path(), "gitops/" + rel);
    if (!text) {
      problems.push_back(error_message(text.error()));
      continue;
    }
    auto ext = to_lower(it->path().extension().string());
    if (ext == ".yaml" || ext == ".yml") {
      auto docs = parse_yaml_documents(*text, "gitops/" + rel);
      if (!docs)
        problems.push_back(error_message(docs.error()));
    }
    out.gitops_files.push_back(repo_file{rel, std::move(*text), {}});
  }
  std::sort(out.gitops_files.begin(), out.gitops_files.end(),
            [](const repo_file& x, const repo_file& y) {
              return x.path < y.path;
            });
}

std::string folder_name(const fs::path& dir) {
  auto normal = dir.lexically_normal();
  auto name = normal.filename().string();
  if (name.empty())
    name = normal.parent_path().filename().string();
  return name;
}

std::string join(const problem_list& problems) {
  std::string result;
  for (const auto& p : problems) {
    if (!result.empty())
      result += "; ";
    result += p;
  }
  return result;
}

std::vector<fs::path> incident_dirs(const fs::path& dir, std::error_code& err) {
  std::vector<fs::path> result;
  for (fs::directory_iterator it{dir, err};
       !err && it != fs::directory_iterator{}; it.increment(err)) {
    std::error_code ignored;
    if (it->is_directory(ignored)
        && fs::exists(it->path() / "incident.yaml", ignored))
      result.push_back(it->path());
  }
  std::sort(result.begin(), result.end());
  return result;
}

} // namespace

std::vector<std::string> check_expected_entry(const nlohmann::json& entry,
                                              const std::string& where) {
  std::vector<std::string> problems;
  if (!entry.is_object() || !entry.contains("action")) {
    problems.push_back(where + ": entry without action");
    return problems;
  }
  const auto& action = entry["action"];
  const auto& vocabulary = action_params();
  auto known = action.is_string() ? vocabulary.find(action.get<std::string>())
                                  : vocabulary.end();
  if (known == vocabulary.end()) {
    problems.push_back(where + ": unknown action " + json_text(action));
    return problems;
  }
  const auto& name = known->first;
  for (auto& [key, value] : entry.items()) {
    if (key == "action" || key == "why" || key == "note")
      continue;
    if (known->second.count(key) == 0) {
      problems.push_back(where + ": " + name + " has no parameter " + key);
      continue;
    }
    if (key == "container" && !value.is_string())
      problems.push_back(where + ": container must be a string");
    if (key == "probe") {
      auto ok = [](const nlohmann::json& p) {
        return p == "liveness" || p == "readiness" || p == "startup";
      };
      bool valid = value.is_array()
                     ? std::all_of(value.begin(), value.end(), ok)
                     : ok(value);
      if (!valid)
        problems.push_back(where
                           + ": probe must be liveness, readiness or "
                             "startup");
    }
    if (value.is_object()) {
      if (value.empty())
        problems.push_back(where + ": " + key + " range without min or max");
      for (auto& [bound, limit] : value.items()) {
        if (bound != "min" && bound != "max") {
          problems.push_back(where + ": " + key + " range key " + bound);
          continue;
        }
        if (limit.is_string()) {
          if (!parse_quantity(limit.get<std::string>()))
            problems.push_back(where + ": " + key + "." + bound
                               + " not a quantity: "
                               + limit.get<std::string>());
        } else if (!limit.is_number()) {
          problems.push_back(where + ": " + key + "." + bound
                             + " not a quantity: " + limit.dump());
        }
      }
    }
  }
  return problems;
}

caf::expected<recorded_incident> load_incident(const fs::path& dir) {
  cluster_state ignored;
  return load_incident(dir, ignored);
}

caf::expected<recorded_incident> load_incident(const fs::path& dir,
                                               cluster_state& state_out) {
  std::error_code err;
  if (!fs::is_directory(dir, err))
    return make_error(ec::invalid_input,
                      dir.string() + ": not an incident folder");
  recorded_incident result;
  result.dir = dir;
  problem_list problems;
  // incident.yaml
  auto yaml_text = read_text_file(dir / "incident.yaml", "incident.yaml");
  if (!yaml_text)
    return make_error(ec::invalid_input, error_message(yaml_text.error()));
  auto doc = parse_yaml(*yaml_text, "incident.yaml");
  if (!doc)
    return make_error(ec::invalid_input, error_message(doc.error()));
  if (!doc->is_object())
    return make_error(ec::invalid_input, "incident.yaml: must be a mapping");
  check_incident_yaml(*doc, folder_name(dir), result, problems);
  // alert.json
  auto alert = read_text_file(dir / "alert.json", "alert.json");
  if (!alert) {
    problems.push_back(error_message(alert.error()));
  } else {
    result.alert_json = std::move(*alert);
    check_alert_json(result.alert_json, problems);
  }
  // state/
  auto state = load_state(dir / "state");
  if (!state) {
    problems.push_back(error_message(state.error()));
  } else {
    auto file = fs::exists(dir / "state" / "kubernetes.yaml", err)
                  ? "state/kubernetes.yaml"
                  : "state/kubernetes.json";
    check_workload_object(result, *state, file, problems);
  }
  // gitops/
  load_gitops(dir, result, problems);
  // The human fix (a unified diff against gitops/), when recorded.
  if (result.outcome.contains("human_fix")
      && result.outcome["human_fix"].is_string()) {
    auto name = result.outcome["human_fix"].get<std::string>();
    auto diff = read_text_file(dir / name, name);
    if (diff)
      result.human_fix_diff = std::move(*diff);
    else
      problems.push_back("incident.yaml: outcome.human_fix: "
                         + error_message(diff.error()));
  }
  if (!problems.empty())
    return make_error(ec::invalid_input, join(problems));
  state_out = std::move(*state);
  return result;
}

caf::expected<std::vector<recorded_incident>>
load_dataset(const fs::path& dir) {
  std::error_code err;
  auto dirs = incident_dirs(dir, err);
  if (err)
    return make_error(ec::io_error, dir.string() + ": " + err.message());
  if (dirs.empty())
    return make_error(ec::invalid_input,
                      dir.string() + ": no incident folders");
  std::vector<recorded_incident> result;
  for (const auto& sub : dirs) {
    auto inc = load_incident(sub);
    if (!inc)
      return make_error(ec::invalid_input,
                        folder_name(sub) + ": " + error_message(inc.error()));
    result.push_back(std::move(*inc));
  }
  std::sort(result.begin(), result.end(),
            [](const recorded_incident& x, const recorded_incident& y) {
              return x.id < y.id;
            });
  return result;
}

caf::expected<dataset_load> load_dataset_lenient(const fs::path& dir) {
  std::error_code err;
  auto dirs = incident_dirs(dir, err);
  if (err)
    return make_error(ec::io_error, dir.string() + ": " + err.message());
  dataset_load result;
  for (const auto& sub : dirs) {
    auto inc = load_incident(sub);
    if (inc)
      result.incidents.push_back(std::move(*inc));
    else
      result.failures.push_back(load_failure{sub, inc.error()});
  }
  std::sort(result.incidents.begin(), result.incidents.end(),
            [](const recorded_incident& x, const recorded_incident& y) {
              return x.id < y.id;
            });
  return result;
}

} // namespace kfix::sim
