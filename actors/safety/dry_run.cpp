#include "actors/safety/dry_run.hpp"

#include <nlohmann/json.hpp>

namespace kfix::safety {

std::string workload_path(const workload_ref& w) {
  std::string resource;
  if (w.kind == "Deployment")
    resource = "deployments";
  else if (w.kind == "StatefulSet")
    resource = "statefulsets";
  else if (w.kind == "DaemonSet")
    resource = "daemonsets";
  else
    return {};
  return "/apis/apps/v1/namespaces/" + http::url_encode(w.ns) + "/" + resource
         + "/" + http::url_encode(w.name);
}

check_result
dry_run_patch(http::client& client, const std::string& base_url,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const workload_ref& workload, const std::string& patch_json,
              std::chrono::milliseconds timeout) {
  check_result result;
  result.rule = "dry_run";
  auto path = workload_path(workload);
  if (path.empty()) {
    result.detail = "no dry-run for workload kind " + workload.kind;
    return result;
  }
  http::outgoing req;
  req.service = "kubernetes";
  req.method = "PATCH";
  req.url = base_url + path + "?dryRun=All&fieldManager=k-fix";
  req.headers = headers;
  req.headers.emplace_back("Content-Type",
                           "application/strategic-merge-patch+json");
  req.headers.emplace_back("Accept", "application/json");
  req.body = patch_json;
  req.timeout = timeout;
  auto answer = client.send(req);
  if (!answer) {
    result.detail = "server-side dry run failed: " + render(answer.error());
    return result;
  }
  if (answer->ok()) {
    result.passed = true;
    result.detail = "server-side dry run (dryRun=All) accepted the patch";
    return result;
  }
  // A Status object explains the refusal.
  auto status = nlohmann::json::parse(answer->body, nullptr, false);
  std::string message = status.is_object() && status.contains("message")
                            && status["message"].is_string()
                          ? status["message"].get<std::string>()
                          : answer->body.substr(0, 300);
  result.detail = "server-side dry run refused (HTTP "
                  + std::to_string(answer->status) + "): " + message;
  return result;
}

} // namespace kfix::safety
