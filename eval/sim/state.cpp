#include "eval/sim/state.hpp"

#include "eval/sim/util.hpp"
#include "eval/sim/yaml_json.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace kfix::sim {

namespace {

caf::error problem(const std::string& where, const std::string& what) {
  return make_error(ec::invalid_input, where + ": " + what);
}

std::string describe(const nlohmann::json& obj) {
  auto kind = obj.contains("kind") && obj["kind"].is_string()
                ? obj["kind"].get<std::string>()
                : std::string{"?"};
  return kind;
}

// Checks one Kubernetes object; `where` names the file and line.
caf::error check_object(const nlohmann::json& obj, const std::string& where) {
  if (!obj.is_object())
    return problem(where, "a Kubernetes object must be a mapping");
  auto non_empty_string = [&](const char* key) {
    return obj.contains(key) && obj[key].is_string()
           && !obj[key].get_ref<const std::string&>().empty();
  };
  if (!non_empty_string("apiVersion"))
    return problem(where, "object without apiVersion (" + describe(obj) + ")");
  if (!non_empty_string("kind"))
    return problem(where, "object without kind");
  if (!obj.contains("metadata") || !obj["metadata"].is_object())
    return problem(where, "object without metadata (" + describe(obj) + ")");
  const auto& md = obj["metadata"];
  if (!md.contains("name") || !md["name"].is_string()
      || md["name"].get_ref<const std::string&>().empty())
    return problem(where,
                   "object without metadata.name (" + describe(obj) + ")");
  if (md.contains("namespace") && !md["namespace"].is_string()
      && !md["namespace"].is_null())
    return problem(where, "metadata.namespace must be a string");
  for (const char* key : {"labels", "annotations"})
    if (md.contains(key) && !md[key].is_null()) {
      if (!md[key].is_object())
        return problem(where,
                       std::string{"metadata."} + key + " must be a mapping");
      for (auto& [k, v] : md[key].items())
        if (!v.is_string())
          return problem(where, std::string{"metadata."} + key + "." + k
                                  + " must be a string");
    }
  return {};
}

caf::error check_unique(const std::vector<nlohmann::json>& objects,
                        const std::string& file) {
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  for (const auto& obj : objects) {
    const auto& md = obj["metadata"];
    auto ns = md.contains("namespace") && md["namespace"].is_string()
                ? md["namespace"].get<std::string>()
                : std::string{};
    auto key = std::make_tuple(obj["apiVersion"].get<std::string>(),
                               obj["kind"].get<std::string>(), ns,
                               md["name"].get<std::string>());
    if (!seen.insert(key).second)
      return problem(file, "duplicate object " + std::get<1>(key) + " "
                             + (ns.empty() ? "" : ns + "/") + std::get<3>(key));
  }
  return {};
}

} // namespace

caf::expected<std::string> read_text_file(const std::filesystem::path& path,
                                          const std::string& display_name) {
  std::error_code err;
  if (!std::filesystem::is_regular_file(path, err))
    return make_error(ec::io_error, display_name + ": missing");
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(ec::io_error, display_name + ": cannot be read");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad())
    return make_error(ec::io_error, display_name + ": read error");
  return buffer.str();
}

caf::expected<std::vector<nlohmann::json>>
parse_kubernetes_yaml(const std::string& text, const std::string& file) {
  auto docs = parse_yaml_documents(text, file);
  if (!docs)
    return docs.error();
  std::vector<nlohmann::json> result;
  size_t index = 0;
  for (auto& doc : *docs) {
    ++index;
    if (doc.value.is_null())
      continue;
    auto where = file + ":" + std::to_string(doc.line) + ": document "
                 + std::to_string(index);
    if (auto err = check_object(doc.value, where))
      return err;
    result.push_back(std::move(doc.value));
  }
  if (auto err = check_unique(result, file))
    return err;
  return result;
}

caf::expected<std::vector<nlohmann::json>>
parse_kubernetes_json(const std::string& text, const std::string& file) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return problem(file, e.what());
  }
  if (!doc.is_array())
    return problem(file, "must be a JSON array of objects");
  std::vector<nlohmann::json> result;
  for (size_t i = 0; i < doc.size(); ++i) {
    if (doc[i].is_null())
      continue;
    if (auto err = check_object(doc[i], file + ": [" + std::to_string(i) + "]"))
      return err;
    result.push_back(std::move(doc[i]));
  }
  if (auto err = check_unique(result, file))
    return err;
  return result;
}

caf::expected<std::vector<nlohmann::json>>
parse_metrics_json(const std::string& text, const std::string& file) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return problem(file, e.what());
  }
  if (!doc.is_object())
    return problem(file, "must be a JSON object with a series array");
  std::vector<nlohmann::json> result;
  if (!doc.contains("series"))
    return result;
  if (!doc["series"].is_array())
    return problem(file, "series must be an array");
  auto& series = doc["series"];
  for (size_t i = 0; i < series.size(); ++i) {
    auto where = file + ": series[" + std::to_string(i) + "]";
    auto& s = series[i];
    if (!s.is_object())
      return problem(where, "must be an object");
    if (!s.contains("metric") || !s["metric"].is_string()
        || s["metric"].get_ref<const std::string&>().empty())
      return problem(where, "series without metric");
    if (!s.contains("points") || !s["points"].is_array())
      return problem(where, "series without points");
    for (size_t j = 0; j < s["points"].size(); ++j) {
      auto& p = s["points"][j];
      if (!p.is_array() || p.size() != 2 || !p[0].is_number()
          || !(p[1].is_number() || p[1].is_null()))
        return problem(where, "points[" + std::to_string(j)
                                + "] must be [timestamp, value]");
    }
    if (s.contains("tags")) {
      if (!s["tags"].is_array())
        return problem(where, "tags must be an array of strings");
      for (auto& t : s["tags"])
        if (!t.is_string())
          return problem(where, "tags must be an array of strings");
    }
    if (s.contains("interval") && !s["interval"].is_number()
        && !s["interval"].is_null())
      return problem(where, "interval must be a number of seconds");
    if (s.contains("unit") && !s["unit"].is_string() && !s["unit"].is_null())
      return problem(where, "unit must be a string");
    result.push_back(std::move(s));
  }
  return result;
}

caf::expected<std::vector<nlohmann::json>>
parse_logs_jsonl(const std::string& text, const std::string& file) {
  std::vector<nlohmann::json> result;
  std::istringstream in{text};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (trim(line).empty())
      continue;
    auto where = file + ":" + std::to_string(number);
    nlohmann::json event;
    try {
      event = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      return problem(where, e.what());
    }
    if (!event.is_object() || !event.contains("attributes"))
      return problem(where, "no attributes");
    auto& attrs = event["attributes"];
    if (!attrs.is_object())
      return problem(where, "attributes must be an object");
    if (!attrs.contains("timestamp"))
      return problem(where, "no attributes.timestamp");
    auto& ts = attrs["timestamp"];
    if (!(ts.is_number()
          || (ts.is_string()
              && parse_rfc3339_ms(ts.get_ref<const std::string&>()))))
      return problem(where, "attributes.timestamp is not an ISO-8601 time");
    if (attrs.contains("tags") && !attrs["tags"].is_array())
      return problem(where, "attributes.tags must be an array");
    if (event.contains("id") && !event["id"].is_string())
      return problem(where, "id must be a string");
    result.push_back(std::move(event));
  }
  return result;
}

caf::expected<cluster_state>
load_state(const std::filesystem::path& state_dir) {
  cluster_state result;
  std::error_code err;
  if (!std::filesystem::is_directory(state_dir, err))
    return make_error(ec::invalid_input, "state/: missing");
  auto yaml_path = state_dir / "kubernetes.yaml";
  auto json_path = state_dir / "kubernetes.json";
  if (std::filesystem::exists(yaml_path, err)) {
    auto text = read_text_file(yaml_path, "state/kubernetes.yaml");
    if (!text)
      return text.error();
    auto objects = parse_kubernetes_yaml(*text, "state/kubernetes.yaml");
    if (!objects)
      return objects.error();
    result.objects = std::move(*objects);
  } else if (std::filesystem::exists(json_path, err)) {
    auto text = read_text_file(json_path, "state/kubernetes.json");
    if (!text)
      return text.error();
    auto objects = parse_kubernetes_json(*text, "state/kubernetes.json");
    if (!objects)
      return objects.error();
    result.objects = std::move(*objects);
  } else {
    return make_error(ec::invalid_input, "state/kubernetes.yaml: missing");
  }
  auto metrics
    = read_text_file(state_dir / "metrics.json", "state/metrics.json");
  if (!metrics)
    return metrics.error();
  auto series = parse_metrics_json(*metrics, "state/metrics.json");
  if (!series)
    return series.error();
  result.metric_series = std::move(*series);
  auto logs = read_text_file(state_dir / "logs.jsonl", "state/logs.jsonl");
  if (!logs)
    return logs.error();
  auto events = parse_logs_jsonl(*logs, "state/logs.jsonl");
  if (!events)
    return events.error();
  result.logs = std::move(*events);
  return result;
}

} // namespace kfix::sim
