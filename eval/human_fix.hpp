#pragma once

#include "messages/error.hpp"
#include "messages/patch.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

/// How close a proposed patch is to the fix a human merged, judged on the
/// manifests' fields rather than on diff lines (960Mi and 1Gi in the same
/// field are close; the same value in another file's same field counts).
namespace kfix::eval {

/// Applies a unified diff (`--- a/<path>` / `+++ b/<path>` / `@@` hunks,
/// paths as inside the repository) to `files` (path -> content). Context
/// and removed lines must match; the error names the file and hunk.
[[nodiscard]] caf::expected<std::map<std::string, std::string>>
apply_unified_diff(std::map<std::string, std::string> files,
                   const std::string& diff);

/// The leaf fields of every manifest document in `files`, as
/// `<Kind>/<name>/<path>` -> value, containers keyed by name
/// (`Deployment/checkout/spec/template/spec/containers/app/resources/limits/memory`).
/// Files that are not YAML are skipped.
std::map<std::string, std::string>
manifest_fields(const std::map<std::string, std::string>& files);

/// The fields whose value differs between two sets of files (a removed
/// field maps to "<removed>").
std::map<std::string, std::string>
changed_fields(const std::map<std::string, std::string>& before,
               const std::map<std::string, std::string>& after);

/// Closeness in [0, 1] of two sets of changed fields: over the union of
/// their paths, 1 for a path both change to the same value (quantities
/// within 10 %), 0.5 for a path both change to different values, 0 for a
/// path only one changes. nullopt when neither changes anything.
std::optional<double>
field_closeness(const std::map<std::string, std::string>& human,
                const std::map<std::string, std::string>& proposed);

/// The closeness of `proposed` (the published patch, or none) to the human
/// fix `human_diff`, both against `gitops` (the incident's GitOps files). An
/// error when the human diff does not apply.
[[nodiscard]] caf::expected<double>
human_fix_closeness(const std::vector<repo_file>& gitops,
                    const std::string& human_diff, const patch* proposed);

} // namespace kfix::eval
