#include "actors/safety/dry_run.hpp"

#include "actors/patch/patch_synthesis.hpp"

#include <nlohmann/json.hpp>

namespace kfix::safety {

namespace {

/// Sends one dry-run PATCH; an empty string when the server accepts it, else
/// why not.
std::string
send_dry_run(http::client& client, const std::string& base_url,
             const std::vector<std::pair<std::string, std::string>>& headers,
             const dry_run_target& target, std::chrono::milliseconds timeout) {
  http::outgoing req;
  req.service = "kubernetes";
  req.method = "PATCH";
  req.url = base_url + target.path + "?dryRun=All&fieldManager=k-fix";
  req.headers = headers;
  req.headers.emplace_back("Content-Type",
                           "application/strategic-merge-patch+json");
  req.headers.emplace_back("Accept", "application/json");
  req.body = target.patch;
  req.timeout = timeout;
  auto answer = client.send(req);
  if (!answer)
    return "server-side dry run failed: " + render(answer.error());
  if (answer->ok())
    return {};
  // A Status object explains the refusal.
  auto status = nlohmann::json::parse(answer->body, nullptr, false);
  std::string message = status.is_object() && status.contains("message")
                            && status["message"].is_string()
                          ? status["message"].get<std::string>()
                          : answer->body.substr(0, 300);
  return "server-side dry run refused (HTTP " + std::to_string(answer->status)
         + "): " + message;
}

} // namespace

std::string workload_path(const workload_ref& w) {
  return patching::api_path(w.kind, "", w.ns, w.name);
}

check_result
dry_run_targets(http::client& client, const std::string& base_url,
                const std::vector<std::pair<std::string, std::string>>& headers,
                const std::vector<dry_run_target>& targets,
                std::chrono::milliseconds timeout) {
  check_result result;
  result.rule = "dry_run";
  if (targets.empty()) {
    result.detail = "no object to dry-run";
    return result;
  }
  for (const auto& t : targets) {
    if (t.path.empty()) {
      result.detail = "no dry-run for an object without an API path";
      return result;
    }
    auto refused = send_dry_run(client, base_url, headers, t, timeout);
    if (!refused.empty()) {
      result.detail = targets.size() == 1 ? refused : t.path + ": " + refused;
      return result;
    }
  }
  result.passed = true;
  if (targets.size() == 1) {
    result.detail = "server-side dry run (dryRun=All) accepted the patch";
    return result;
  }
  result.detail = "server-side dry run (dryRun=All) accepted the patches of";
  for (size_t i = 0; i < targets.size(); ++i)
    result.detail += (i == 0 ? " " : ", ") + targets[i].path;
  return result;
}

check_result
dry_run_patch(http::client& client, const std::string& base_url,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const workload_ref& workload, const std::string& patch_json,
              std::chrono::milliseconds timeout) {
  auto path = workload_path(workload);
  if (path.empty()) {
    check_result result;
    result.rule = "dry_run";
    result.detail = "no dry-run for workload kind " + workload.kind;
    return result;
  }
  return dry_run_targets(client, base_url, headers, {{path, patch_json}},
                         timeout);
}

} // namespace kfix::safety
