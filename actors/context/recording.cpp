#include "actors/context/recording.hpp"

#include "actors/common/http.hpp"
#include "actors/context/log_redaction.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace kfix::context {

namespace {

using json = nlohmann::json;

/// Key names whose values are secrets (`DB_PASSWORD`, `apiKey`,
/// `client_secret`), but not `secretName` or `tokens`.
bool secret_key(const std::string& key) {
  static const RE2 pattern{
    R"re((?i)^[a-z0-9_.\-]*(password|passwd|pwd|secret|token|api[_\-]?key|)re"
    R"re(apikey|access[_\-]?key|private[_\-]?key|credentials?|auth)$)re"};
  return RE2::FullMatch(key, pattern);
}

void mask_strings(json& doc);

/// A string that holds a JSON object (last-applied-configuration) is masked
/// as JSON.
void mask_string(json& value) {
  auto text = value.get<std::string>();
  if (text.size() > 1 && text.front() == '{') {
    auto inner = json::parse(text, nullptr, false);
    if (!inner.is_discarded() && inner.is_object()) {
      mask_secrets(inner);
      value = inner.dump();
      return;
    }
  }
  auto redacted = redact(text);
  if (redacted != text)
    value = std::move(redacted);
}

void mask_strings(json& doc) {
  if (doc.is_string()) {
    mask_string(doc);
  } else if (doc.is_array()) {
    for (auto& x : doc)
      mask_strings(x);
  } else if (doc.is_object()) {
    // An env entry {name: DB_PASSWORD, value: ...}.
    auto name = doc.find("name");
    auto value = doc.find("value");
    if (name != doc.end() && value != doc.end() && name->is_string()
        && value->is_string() && secret_key(name->get<std::string>()))
      *value = std::string{redacted_marker};
    for (auto& [key, x] : doc.items()) {
      if (x.is_string() && secret_key(key) && !x.get<std::string>().empty())
        x = std::string{redacted_marker};
      else
        mask_strings(x);
    }
  }
}

/// Masks the values of a Secret's or ConfigMap's data maps.
void mask_data(json& obj) {
  auto kind = obj.value("kind", "");
  std::vector<const char*> maps;
  if (kind == "Secret")
    maps = {"data", "stringData"};
  else if (kind == "ConfigMap")
    maps = {"data", "binaryData"};
  for (auto part : maps) {
    auto i = obj.find(part);
    if (i != obj.end() && i->is_object())
      for (auto& [key, value] : i->items())
        value = std::string{redacted_marker};
  }
}

/// The body as JSON; a string when it is not JSON; null when empty.
json body_json(const std::string& body) {
  if (body.empty())
    return nullptr;
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return body;
  return doc;
}

/// The path and query of `url` below `base_url`.
std::pair<std::string, std::string> split_url(const std::string& url,
                                              const std::string& base_url) {
  std::string rest = url;
  auto base = base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  if (!base.empty() && rest.compare(0, base.size(), base) == 0) {
    rest = rest.substr(base.size());
  } else {
    auto scheme = rest.find("://");
    if (scheme != std::string::npos) {
      auto slash = rest.find('/', scheme + 3);
      rest = slash == std::string::npos ? "/" : rest.substr(slash);
    }
  }
  auto q = rest.find('?');
  if (q == std::string::npos)
    return {rest.empty() ? "/" : rest, {}};
  return {rest.substr(0, q), rest.substr(q + 1)};
}

bool starts_with(const std::string& x, const char* prefix) {
  return x.rfind(prefix, 0) == 0;
}

std::string object_key(const json& obj) {
  const auto& md = obj.contains("metadata") ? obj["metadata"] : json{};
  auto str = [](const json& x, const char* key) {
    return x.is_object() && x.contains(key) && x[key].is_string()
             ? x[key].get<std::string>()
             : std::string{};
  };
  return str(obj, "apiVersion") + "\x1f" + str(obj, "kind") + "\x1f"
         + str(md, "namespace") + "\x1f" + str(md, "name");
}

} // namespace

void mask_secrets(json& doc) {
  if (doc.is_object())
    mask_data(doc);
  if (doc.is_object() && doc.contains("items") && doc["items"].is_array())
    for (auto& item : doc["items"])
      if (item.is_object())
        mask_data(item);
  mask_strings(doc);
}

json cassette_entry(const http::outgoing& req, const http::incoming& res,
                    const std::string& base_url) {
  auto [path, query_text] = split_url(req.url, base_url);
  json query = json::object();
  for (const auto& [key, value] : http::parse_query(query_text)) {
    json v = redact(value);
    if (!query.contains(key))
      query[key] = std::move(v);
    else if (query[key].is_array())
      query[key].push_back(std::move(v));
    else
      query[key] = json::array({query[key], std::move(v)});
  }
  auto request_body = body_json(req.body);
  mask_secrets(request_body);
  json headers = json::object();
  for (const auto& [name, value] : res.headers)
    // A fixed list: no credential header can slip through.
    if (name == "content-type" || name == "retry-after" || name == "warning"
        || starts_with(name, "x-ratelimit-"))
      headers[name] = value;
  auto response_body = body_json(res.body);
  mask_secrets(response_body);
  return json{{"service", req.service},
              {"request",
               {{"method", req.method},
                {"path", path},
                {"query", std::move(query)},
                {"body", std::move(request_body)}}},
              {"response",
               {{"status", res.status},
                {"headers", std::move(headers)},
                {"body", std::move(response_body)}}}};
}

// -- state_recorder -----------------------------------------------------------

void state_recorder::add(const http::outgoing& req, const http::incoming& res) {
  ++exchanges_;
  if (!res.ok())
    return;
  auto [path, query] = split_url(req.url, {});
  if (req.service == "kubernetes") {
    auto body = json::parse(res.body, nullptr, false);
    if (!body.is_discarded() && body.is_object())
      add_kubernetes(std::move(body));
  } else if (req.service == "datadog") {
    auto body = json::parse(res.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return;
    if (path.size() >= 13
        && path.compare(path.size() - 13, 13, "/api/v1/query") == 0)
      add_metrics(body);
    else if (path.find("/api/v2/logs/events") != std::string::npos)
      add_logs(std::move(body));
  }
}

void state_recorder::add_kubernetes(json body) {
  static const std::set<std::string> skipped{
    "Status", "APIVersions", "APIGroupList", "APIGroup", "APIResourceList"};
  auto kind = body.value("kind", "");
  if (skipped.count(kind) > 0)
    return;
  auto store = [this](json obj) {
    if (!obj.contains("metadata") || !obj["metadata"].is_object()
        || !obj["metadata"].contains("name"))
      return;
    mask_secrets(obj);
    auto key = object_key(obj);
    objects_[key] = std::move(obj);
  };
  if (kind.size() > 4 && kind.compare(kind.size() - 4, 4, "List") == 0
      && body.contains("items")) {
    if (!body["items"].is_array())
      return;
    auto item_kind = kind.substr(0, kind.size() - 4);
    auto api_version = body.value("apiVersion", "");
    for (auto& item : body["items"]) {
      if (!item.is_object())
        continue;
      if (!item.contains("apiVersion"))
        item["apiVersion"] = api_version;
      if (!item.contains("kind"))
        item["kind"] = item_kind;
      store(std::move(item));
    }
    return;
  }
  store(std::move(body));
}

void state_recorder::add_metrics(const json& body) {
  if (!body.contains("series") || !body["series"].is_array())
    return;
  for (const auto& s : body["series"]) {
    if (!s.is_object() || !s.contains("pointlist"))
      continue;
    series out;
    out.metric = s.value("metric", "");
    if (out.metric.empty())
      continue;
    std::set<std::string> tags;
    auto scope = s.value("scope", "");
    size_t pos = 0;
    while (pos <= scope.size()) {
      auto comma = scope.find(',', pos);
      if (comma == std::string::npos)
        comma = scope.size();
      auto tag = scope.substr(pos, comma - pos);
      while (!tag.empty() && tag.front() == ' ')
        tag.erase(tag.begin());
      if (!tag.empty() && tag != "*" && tag.front() != '!'
          && tag.find('*') == std::string::npos)
        tags.insert(tag);
      pos = comma + 1;
    }
    if (s.contains("tag_set") && s["tag_set"].is_array())
      for (const auto& t : s["tag_set"])
        if (t.is_string())
          tags.insert(t.get<std::string>());
    out.tags.assign(tags.begin(), tags.end());
    if (s.contains("unit") && s["unit"].is_array() && !s["unit"].empty()
        && s["unit"][0].is_object())
      out.unit = s["unit"][0].value("name", "");
    out.interval = s.contains("interval") && s["interval"].is_number()
                     ? s["interval"].get<int64_t>()
                     : 0;
    std::string key = out.metric;
    for (const auto& t : out.tags)
      key += "\x1f" + t;
    auto& target = series_[key];
    if (target.metric.empty()) {
      target.metric = out.metric;
      target.tags = out.tags;
      target.unit = out.unit;
      target.interval = out.interval;
    }
    target.interval
      = target.interval == 0
          ? out.interval
          : std::min(target.interval,
                     out.interval > 0 ? out.interval : target.interval);
    for (const auto& p : s["pointlist"]) {
      if (!p.is_array() || p.size() < 2 || !p[0].is_number()
          || !p[1].is_number())
        continue;
      auto ts = static_cast<int64_t>(std::llround(p[0].get<double>() / 1000.0));
      auto value = p[1].get<double>();
      auto i = target.points.find(ts);
      if (i == target.points.end() || out.interval <= i->second.second)
        target.points[ts] = {value, out.interval};
    }
  }
}

void state_recorder::add_logs(json body) {
  if (!body.contains("data") || !body["data"].is_array())
    return;
  for (auto& item : body["data"]) {
    if (!item.is_object())
      continue;
    auto id = item.value("id", "");
    if (id.empty())
      id = item.dump();
    mask_secrets(item);
    if (logs_.count(id) == 0)
      log_order_.push_back(id);
    logs_[id] = std::move(item);
  }
}

std::vector<json> state_recorder::kubernetes_objects() const {
  std::vector<json> result;
  result.reserve(objects_.size());
  for (const auto& [key, obj] : objects_)
    result.push_back(obj);
  return result;
}

json state_recorder::metrics() const {
  json out = json::array();
  for (const auto& [key, s] : series_) {
    json points = json::array();
    for (const auto& [ts, value] : s.points)
      points.push_back(json::array({ts, value.first}));
    json entry{{"metric", s.metric}, {"tags", s.tags}, {"points", points}};
    if (!s.unit.empty())
      entry["unit"] = s.unit;
    if (s.interval > 0)
      entry["interval"] = s.interval;
    out.push_back(std::move(entry));
  }
  return json{{"series", std::move(out)}};
}

std::vector<json> state_recorder::logs() const {
  // The answers came newest first; the reverse order, chronological, makes
  // a replay (newest first, ties by position) return them in the same order.
  std::vector<json> result;
  result.reserve(log_order_.size());
  for (auto i = log_order_.rbegin(); i != log_order_.rend(); ++i)
    result.push_back(logs_.at(*i));
  return result;
}

} // namespace kfix::context
