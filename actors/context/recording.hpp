#pragma once

#include "actors/common/http_client.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

/// Recording of outgoing exchanges (shared/spec/incident-format.md): the
/// cassette.jsonl lines, and the incident's `state/` derived from the
/// responses. Pure: the caller writes the files.
namespace kfix::context {

/// Masks secret-looking values in a JSON document, in place: values of
/// secret-named keys (password, token, secret, api key, private key,
/// credentials, ...), the `value` of an env entry whose `name` is
/// secret-named, the `data` and `stringData` values of Secrets and the
/// `data` values of ConfigMaps (keys stay), the embedded
/// last-applied-configuration, and in every other string what `redact`
/// finds (bearer tokens, credentials in URLs, keys, e-mail addresses, ...).
void mask_secrets(nlohmann::json& doc);

/// One cassette line (as JSON) for an exchange with `service`: the request
/// (method, the path below `base_url`, the decoded query, the body as JSON,
/// a string, or null) and the response (status, the non-credential headers
/// content-type, retry-after, x-ratelimit-*, warning; the body as JSON or a
/// string). Credentials are never written (no request headers at all) and
/// bodies are masked with `mask_secrets`.
nlohmann::json cassette_entry(const http::outgoing& req,
                              const http::incoming& res,
                              const std::string& base_url);

/// Builds `state/` from the exchanges of a recording: the Kubernetes
/// objects of every 2xx GET and list page (list items get their
/// apiVersion and kind back; one per apiVersion, kind, namespace and name),
/// masked; the Datadog metric series of every query answer (one per metric
/// and tag set from the series' scope, points in seconds, the finest
/// interval winning where windows overlap); the log events of every search
/// page (one per id, masked), oldest first.
class state_recorder {
public:
  /// Feeds one exchange; non-2xx answers and unknown paths are ignored.
  void add(const http::outgoing& req, const http::incoming& res);

  /// The Kubernetes objects, sorted by apiVersion, kind, namespace, name.
  std::vector<nlohmann::json> kubernetes_objects() const;

  /// `{"series": [...]}` of metrics.json.
  nlohmann::json metrics() const;

  /// The log events of logs.jsonl: the reverse of the order the (newest
  /// first) answers gave them, so that a replay gives them in that order.
  std::vector<nlohmann::json> logs() const;

  /// The exchanges seen, and those ignored.
  size_t exchanges() const {
    return exchanges_;
  }

private:
  void add_kubernetes(nlohmann::json body);
  void add_metrics(const nlohmann::json& body);
  void add_logs(nlohmann::json body);

  struct series {
    std::string metric;
    std::vector<std::string> tags;
    std::string unit;
    int64_t interval = 0;
    /// timestamp (s) -> (value, interval of the answer it came from)
    std::map<int64_t, std::pair<double, int64_t>> points;
  };

  size_t exchanges_ = 0;
  std::map<std::string, nlohmann::json> objects_;
  std::map<std::string, series> series_;
  std::map<std::string, nlohmann::json> logs_;
  std::vector<std::string> log_order_;
};

} // namespace kfix::context
