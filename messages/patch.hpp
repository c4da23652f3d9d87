#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace kfix {

/// A file of the GitOps repository, as read or as it would be written.
struct repo_file {
  std::string path;
  std::string content;
  /// The commit that last changed the file (GitLab's `last_commit_id`), if
  /// known; publishers use it as an optimistic lock.
  std::string last_commit_id;
};

/// One changed file.
struct file_change {
  std::string path;
  std::string before;
  std::string after;
  std::string last_commit_id;
};

/// An object to PATCH with `?dryRun=All` (server-side dry run) to check one
/// plan: the live object the GitOps change will reach.
struct dry_run_target {
  /// API path of the object, e.g.
  /// `/apis/apps/v1/namespaces/shop/deployments/checkout` or
  /// `/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/checkout`.
  std::string path;
  /// The strategic-merge patch (JSON) that gives the object the plan's
  /// values: containers and env entries merged by name, removals as null.
  std::string patch;
};

/// The concrete change that realises a plan.
struct patch {
  std::string plan_id;
  std::vector<file_change> files;
  /// Unified diff of every file change.
  std::string diff;
  /// Strategic-merge patch of the live workload (the workload's entry of
  /// `dry_run_targets`), empty when the plan changes only other objects.
  std::string k8s_patch;
  /// Every object the plan changes, the workload first.
  std::vector<dry_run_target> dry_run_targets = {};
};

/// Where the GitOps files of a workload come from and go to.
struct gitops_target {
  std::string project; // GitLab project path, e.g. shop/deploy
  std::string target_branch = "main";
};

void to_json(nlohmann::json& j, const dry_run_target& x);
void to_json(nlohmann::json& j, const file_change& x);
void to_json(nlohmann::json& j, const patch& x);

} // namespace kfix
