#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace kfix {

/// The outcome of one safety rule for one plan.
struct check_result {
  std::string rule; // request_le_limit, memory_increase_cap, quota, dry_run
  bool passed = false;
  bool skipped = false;
  std::string detail;
};

/// The safety layer's judgement of one plan.
struct verdict {
  std::string plan_id;
  bool accepted = false;
  std::vector<check_result> checks;
  /// Whether policy lets its merge request merge without a person, and why.
  bool auto_merge = false;
  std::string auto_merge_reason;

  /// "quota: limits.memory would reach 17Gi of 16Gi; ..." for failed checks.
  std::string reasons() const;
};

/// Where a merge request (or its local equivalent) was published.
struct publication {
  std::string publisher; // gitlab | local-git | captured
  /// The GitLab project path, or the local repository's folder.
  std::string project;
  std::string url;
  std::string branch;
  std::string commit;
  std::string description_path;
  int64_t mr_iid = 0;
  std::string description;
};

void to_json(nlohmann::json& j, const check_result& x);
void to_json(nlohmann::json& j, const verdict& x);
void to_json(nlohmann::json& j, const publication& x);
/// Reads what `to_json` wrote (stored publications); absent fields stay
/// empty.
void from_json(const nlohmann::json& j, publication& x);

} // namespace kfix
