#pragma once

#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace YAML {
class Node;
} // namespace YAML

/// Minimal-diff edits of YAML text: the original text is patched at the
/// marks yaml-cpp reports, never re-emitted, so comments, blank lines, key
/// order, quoting, indentation and line endings outside the edited keys stay
/// byte for byte (yaml-cpp's emitter drops comments and quotes, see
/// shared/reference/toolchain.md). Every edit is verified by parsing the text
/// before and after.
namespace kfix::patching {

// -- paths --------------------------------------------------------------------

/// One step of a path into a YAML document: a map key, the item of a
/// sequence whose `match_key` (dotted for nested keys: `resource.name`) is
/// `match_value`, or the item at `index`.
struct path_step {
  std::string key;
  std::string match_key;
  std::string match_value;
  std::optional<size_t> index;

  bool is_key() const {
    return match_key.empty() && !index;
  }
  bool is_match() const {
    return !match_key.empty();
  }
};

using yaml_path = std::vector<path_step>;

/// The path of map keys `keys`.
yaml_path keys_path(std::initializer_list<const char*> keys);

/// `p` followed by the map keys `keys`.
yaml_path with_keys(yaml_path p, std::initializer_list<std::string> keys);

/// `p` followed by the sequence item whose `match_key` is `value`.
yaml_path with_item(yaml_path p, std::string match_key, std::string value);

/// `p` followed by the sequence item at `index`.
yaml_path with_index(yaml_path p, size_t index);

/// "spec.template.spec.containers[name=app].image".
std::string to_string(const yaml_path& p);

/// The JSON value at `p` in a document converted by `yaml_to_json`, or
/// nullptr when a step is missing (the value may itself be null).
const nlohmann::json* find_in_json(const nlohmann::json& doc,
                                   const yaml_path& p);

/// Whether `p` leads to a key present in `doc` (its value may be null).
bool has_in_json(const nlohmann::json& doc, const yaml_path& p);

// -- values -------------------------------------------------------------------

/// How a new scalar is written.
enum class scalar_style : uint8_t {
  /// Always plain (integers: replicas, probe fields, HPA bounds).
  number,
  /// Plain or quoted like the neighbouring values (Kubernetes quantities,
  /// safe as plain text).
  quantity,
  /// Like the neighbours, and quoted whenever plain text would not read
  /// back as the same string (`"20"`, `"true"`, `": "`).
  text,
  /// Always double-quoted when new (env values, annotations).
  quoted_text,
  /// `raw` holds the token exactly as written elsewhere (copies).
  raw,
};

/// A value to write: a scalar, null, or a map or sequence of values.
struct yaml_value {
  enum class shape : uint8_t { scalar, null, map, sequence };
  shape type = shape::scalar;
  /// The scalar's value (unquoted).
  std::string scalar;
  scalar_style style = scalar_style::text;
  /// The token as written, for `scalar_style::raw`.
  std::string raw;
  /// Maps and sequences copied from flow style stay flow.
  bool flow = false;
  std::vector<std::pair<std::string, yaml_value>> entries;
  std::vector<yaml_value> items;

  static yaml_value number(std::string v);
  static yaml_value quantity(std::string v);
  static yaml_value text(std::string v);
  static yaml_value quoted(std::string v);
  static yaml_value null();
  static yaml_value map(std::vector<std::pair<std::string, yaml_value>> es);
  static yaml_value sequence(std::vector<yaml_value> xs);
};

/// The value of a parsed node, every scalar kept as written (`raw` style),
/// flow collections kept flow. Errors for block scalars, multi-line plain
/// scalars and aliases, which cannot be copied as tokens.
[[nodiscard]] caf::expected<yaml_value> copy_node(std::string_view text,
                                                  const YAML::Node& node);

/// The JSON of a value: scalars as strings, or, when `typed`, numbers as
/// numbers and plain copied tokens resolved (`true`, `3`).
nlohmann::json to_json(const yaml_value& v, bool typed);

// -- edits --------------------------------------------------------------------

enum class edit_op : uint8_t {
  /// Sets the value at the path, inserting missing keys and sequence items
  /// (an item gets its `match_key` first); a path ending in an item
  /// selector appends the value as a new item when none matches.
  set,
  /// Removes the key at the path; nothing when it is absent.
  remove,
  /// Replaces the value at the path by `null` (a strategic-merge deletion
  /// in a kustomize patch).
  set_null,
};

/// One edit of a YAML document.
struct yaml_edit {
  edit_op op = edit_op::set;
  yaml_path path;
  yaml_value value;
  /// remove: how many enclosing maps that the removal leaves empty go too.
  size_t prune = 0;
  /// set: the map (and its child maps) whose values give the quote style of
  /// new values that have none of their own; empty: the map the value goes
  /// into.
  yaml_path quote_from;
  /// set, when a new key goes into a block map: before the first of these
  /// keys the map has (with the comment lines above it), else after the
  /// last of `place_after` it has, else after its last entry.
  std::vector<std::string> place_before = {};
  std::vector<std::string> place_after = {};
};

/// Applies `edits` in order to document `document` of `text` and returns the
/// new text. New keys go after the last entry of their map at its
/// indentation, new sequence items after the last item at its dash column;
/// flow maps and sequences are edited inside their brackets, an empty `{}`
/// under a block key becomes a block and a null value (`key:`) gets one.
/// Blocks are indented like the document (its indentation step and whether
/// its block sequences are indented under their key); new lines take the
/// file's line ending.
///
/// Verification parses both texts: every other document must be unchanged
/// and the edited one must equal the original with the edits applied (as
/// `apply_edits_to_json` does), every new string must read back as a
/// string.
///
/// Errors: `ec::invalid_input` for unparsable YAML or a document index out
/// of range; `ec::unspecified` for layouts the text cannot be patched in
/// (naming the construct) and failed verifications.
[[nodiscard]] caf::expected<std::string>
apply_yaml_edits(std::string_view text, size_t document,
                 const std::vector<yaml_edit>& edits);

/// Like `apply_yaml_edits` for a YAML document held in the literal block
/// scalar (`patch: |`) at `at` of document `document`: an inline kustomize
/// patch. The block's lines are edited in place, keeping its indentation.
///
/// Errors as above, and `ec::unspecified` when the value at `at` is not a
/// literal block scalar (quoted or folded inline patches).
[[nodiscard]] caf::expected<std::string>
apply_embedded_yaml_edits(std::string_view text, size_t document,
                          const yaml_path& at,
                          const std::vector<yaml_edit>& edits);

/// What an edit means for the document as JSON. Without `patch_mode` this is
/// the meaning verification checks against (a removal prunes emptied maps);
/// with `patch_mode` it builds a strategic-merge patch: missing maps are
/// created, a removal writes null, and sequence items are written as
/// `{match_key: value, ...}` to be merged by that key.
void apply_edit_to_json(nlohmann::json& doc, const yaml_edit& e,
                        bool patch_mode, bool typed);

// -- reading ------------------------------------------------------------------

/// Parses every document (yaml-cpp throws; this is the boundary).
[[nodiscard]] caf::expected<std::vector<YAML::Node>>
load_yaml_documents(std::string_view text);

/// A node as JSON with every scalar a string (maps compare regardless of
/// order), or, when `typed`, plain scalars resolved to numbers, booleans and
/// null as the Kubernetes API server reads YAML.
nlohmann::json yaml_to_json(const YAML::Node& n, bool typed = false);

/// Whether a string needs quotes to read back as the same string.
bool needs_quotes(std::string_view s);

/// `map[key]` without inserting and without throwing on non-maps
/// (undefined when missing).
YAML::Node yaml_child(const YAML::Node& map, const char* key);

/// The node's scalar, or an empty string for other nodes.
std::string yaml_scalar(const YAML::Node& n);

/// The entries of a map in document order (none for other nodes).
std::vector<std::pair<YAML::Node, YAML::Node>>
yaml_entries(const YAML::Node& map);

/// The node at `p` (undefined when a step is missing).
YAML::Node yaml_find(const YAML::Node& doc, const yaml_path& p);

// -- text ---------------------------------------------------------------------

/// "`s`", for names in messages.
std::string backticked(std::string_view s);

/// The strings joined by `sep`.
std::string join(const std::vector<std::string>& xs, std::string_view sep);

} // namespace kfix::patching
