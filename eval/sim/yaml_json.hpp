#pragma once

#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

/// YAML to JSON conversion that keeps scalar types right: quoted scalars
/// stay strings; plain scalars resolve as PyYAML's YAML 1.1 resolver does
/// (null, booleans including yes/no/on/off, ints in decimal, octal `0644`,
/// hex and binary, floats with a dot, `.inf`, `.nan`); everything else is a
/// string.
namespace kfix::sim {

/// One parsed YAML document and the (1-based) line it starts on.
struct yaml_document {
  nlohmann::json value;
  int line = 0;
};

/// Parses every document of a YAML stream. Errors name `file` and the line:
/// "state/kubernetes.yaml:12:3: end of map not found". Never throws.
[[nodiscard]] caf::expected<std::vector<yaml_document>>
parse_yaml_documents(const std::string& text, std::string_view file);

/// Parses a single-document YAML text (an empty text gives null).
[[nodiscard]] caf::expected<nlohmann::json> parse_yaml(const std::string& text,
                                                       std::string_view file);

/// Resolves a plain (unquoted) YAML scalar to its typed JSON value.
nlohmann::json resolve_plain_scalar(std::string_view text);

} // namespace kfix::sim
