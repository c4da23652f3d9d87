#pragma once

#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Kubernetes label and field selectors, as the API server parses and
/// applies them on LIST.
namespace kfix::sim {

/// One requirement of a label selector.
struct label_requirement {
  enum class op { equals, not_equals, in, not_in, exists, not_exists };
  std::string key;
  op operation = op::exists;
  std::vector<std::string> values;
};

/// Parses `app=checkout,tier in (web,api),!canary`; errors carry the API
/// server's "unable to parse requirement: ..." text.
[[nodiscard]] caf::expected<std::vector<label_requirement>>
parse_label_selector(std::string_view text);

/// True when `labels` (a JSON object or null) satisfies every requirement.
bool matches(const std::vector<label_requirement>& selector,
             const nlohmann::json& labels);

/// One requirement of a field selector.
struct field_requirement {
  std::string field;
  bool negated = false;
  std::string value;
};

/// Parses `metadata.name=x,status.phase!=Running` (`=`, `==`, `!=`;
/// `\,` escapes a comma in a value).
[[nodiscard]] caf::expected<std::vector<field_requirement>>
parse_field_selector(std::string_view text);

/// The selectable value of `field` on an object of `resource` in `group`
/// ("" for core), or nullopt when the API server does not support that field
/// label for the resource. Absent fields give "".
std::optional<std::string> field_value(std::string_view group,
                                       std::string_view resource,
                                       const nlohmann::json& obj,
                                       std::string_view field);

} // namespace kfix::sim
