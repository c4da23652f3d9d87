#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kfix::publish {

/// The API base for a configured GitLab URL: `https://host` becomes
/// `https://host/api/v4`; a URL already ending in `/api/v4` stays as is.
std::string gitlab_api_base(std::string_view url);

/// The `:id` path parameter for a project: numeric ids as they are, paths
/// URL-encoded (`shop/deploy` -> `shop%2Fdeploy`).
std::string gitlab_project_id(std::string_view project);

/// The human-readable message of a GitLab error body: `message` as a string,
/// an array (joined with "; ") or an object (`field: a, b`), else `error`
/// (with `error_description`), else the body itself (shortened).
std::string gitlab_error_message(std::string_view body);

/// The `iid` in "Another open merge request already exists for this source
/// branch: !7", or nullopt.
std::optional<int64_t> parse_duplicate_mr_iid(std::string_view message);

/// `j[key]` when it is a string, else "" (never throws).
std::string json_string(const nlohmann::json& j, const char* key);

/// `j[key]` when it is an integer, else `fallback` (never throws).
int64_t json_int(const nlohmann::json& j, const char* key,
                 int64_t fallback = 0);

/// Whether a file path names a YAML manifest (`.yaml` or `.yml`).
bool is_yaml_path(std::string_view path);

} // namespace kfix::publish
