#pragma once

#include "actors/common/http_client.hpp"
#include "messages/alert.hpp"
#include "messages/patch.hpp"
#include "messages/verdict.hpp"

#include <string>
#include <utility>
#include <vector>

namespace kfix::safety {

/// The API path of a workload ("/apis/apps/v1/namespaces/shop/deployments/
/// checkout"); empty for an unknown kind.
std::string workload_path(const workload_ref& w);

/// Sends each target's strategic-merge patch with `?dryRun=All` (server-side
/// dry run: admission and validation run, nothing is stored) and reports
/// them as one `dry_run` check, passed when the server accepts every patch;
/// the detail names the objects (and the first refusal).
check_result
dry_run_targets(http::client& client, const std::string& base_url,
                const std::vector<std::pair<std::string, std::string>>& headers,
                const std::vector<dry_run_target>& targets,
                std::chrono::milliseconds timeout);

/// `dry_run_targets` for one strategic-merge patch of the workload.
check_result
dry_run_patch(http::client& client, const std::string& base_url,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const workload_ref& workload, const std::string& patch_json,
              std::chrono::milliseconds timeout);

} // namespace kfix::safety
