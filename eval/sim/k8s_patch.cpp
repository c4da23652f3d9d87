#include "eval/sim/k8s_patch.hpp"

#include "eval/sim/util.hpp"

#include <algorithm>
#include <vector>

namespace kfix::sim {

namespace {

using json = nlohmann::json;

struct patch_failure {
  std::string message;
};

bool is_container_list(std::string_view field) {
  return field == "containers" || field == "initContainers"
         || field == "ephemeralContainers";
}

// The merge key of a list field, "" for atomic lists, "*" for primitive
// lists merged as sets.
std::string merge_key(std::string_view field, std::string_view parent,
                      std::string_view kind) {
  if (is_container_list(field) || field == "volumes" || field == "env"
      || field == "imagePullSecrets" || field == "resourceClaims"
      || field == "secrets")
    return "name";
  if (field == "volumeMounts")
    return "mountPath";
  if (field == "volumeDevices")
    return "devicePath";
  if (field == "ports") {
    if (is_container_list(parent))
      return "containerPort";
    if (kind == "Service" && parent == "spec")
      return "port";
    return "";
  }
  if (field == "hostAliases")
    return "ip";
  if (field == "topologySpreadConstraints")
    return "topologyKey";
  if (field == "conditions")
    return "type";
  if (field == "ownerReferences")
    return "uid";
  if (field == "finalizers")
    return "*";
  if (field == "resizePolicy")
    return "resourceName";
  return "";
}

std::string merge_key_error(const json& item, const std::string& key) {
  return "map: " + item.dump() + " does not contain declared merge key: " + key;
}

json strip_directives(const json& value) {
  if (value.is_object()) {
    json result = json::object();
    for (auto& [k, v] : value.items())
      if (k.empty() || k[0] != '$')
        result[k] = strip_directives(v);
    return result;
  }
  if (value.is_array()) {
    json result = json::array();
    for (auto& v : value)
      result.push_back(strip_directives(v));
    return result;
  }
  return value;
}

class merger {
public:
  explicit merger(std::string_view kind) : kind_(kind) {}

  // Returns nullopt when the map patch says `$patch: delete`.
  std::optional<json> merge_map(const json& original, const json& patch,
                                std::string_view field, size_t depth) {
    auto directive = patch.value("$patch", std::string{});
    if (!directive.empty() && directive != "merge" && directive != "replace"
        && directive != "delete")
      throw patch_failure{"unknown patch type: " + directive};
    if (directive == "delete")
      return std::nullopt;
    if (directive == "replace")
      return strip_directives(patch);
    json result = original.is_object() ? original : json::object();
    for (auto& [key, value] : patch.items()) {
      if (key == "$patch" || key == "$retainKeys"
          || starts_with(key, "$setElementOrder/"))
        continue;
      if (starts_with(key, "$deleteFromPrimitiveList/")) {
        auto target
          = key.substr(std::string_view{"$deleteFromPrimitiveList/"}.size());
        if (!value.is_array())
          throw patch_failure{"invalid patch: " + key + " must be a list"};
        if (result.contains(target) && result[target].is_array()) {
          json kept = json::array();
          for (auto& item : result[target])
            if (std::find(value.begin(), value.end(), item) == value.end())
              kept.push_back(item);
          result[target] = std::move(kept);
        }
        continue;
      }
      if (!key.empty() && key[0] == '$')
        throw patch_failure{"unknown patch directive: " + key};
      if (value.is_null()) {
        result.erase(key);
      } else if (value.is_object()) {
        auto merged
          = merge_map(result.contains(key) ? result[key] : json::object(),
                      value, key, depth + 1);
        if (merged)
          result[key] = std::move(*merged);
        else
          result.erase(key);
      } else if (value.is_array()) {
        result[key]
          = merge_list(result.contains(key) ? result[key] : json::array(),
                       value, key, field, depth + 1);
      } else {
        result[key] = value;
      }
    }
    if (patch.contains("$retainKeys")) {
      const auto& retain = patch["$retainKeys"];
      if (!retain.is_array())
        throw patch_failure{"invalid patch: $retainKeys must be a list"};
      json kept = json::object();
      for (auto& [k, v] : result.items())
        if (std::find(retain.begin(), retain.end(), k) != retain.end())
          kept[k] = v;
      result = std::move(kept);
    }
    return result;
  }

  json merge_list(const json& original, const json& patch,
                  std::string_view field, std::string_view parent,
                  size_t depth) {
    auto key = merge_key(field, parent, kind_);
    if (key.empty())
      return strip_directives(patch);
    if (key == "*") {
      json result = original.is_array() ? original : json::array();
      for (auto& item : patch)
        if (std::find(result.begin(), result.end(), item) == result.end())
          result.push_back(item);
      return result;
    }
    json result = original.is_array() ? original : json::array();
    // A `{"$patch": "replace"}` element replaces the whole list.
    for (auto& item : patch) {
      if (item.is_object() && item.value("$patch", "") == "replace") {
        json replaced = json::array();
        for (auto& other : patch)
          if (!(other.is_object() && other.contains("$patch")
                && !other.contains(key)))
            replaced.push_back(strip_directives(other));
        return replaced;
      }
    }
    for (auto& item : patch) {
      if (!item.is_object())
        throw patch_failure{"invalid patch: the items of " + std::string{field}
                            + " must be objects"};
      if (!item.contains(key))
        throw patch_failure{merge_key_error(item, key)};
      const auto& id = item[key];
      auto same = [&](const json& x) {
        return x.is_object() && x.contains(key) && x[key] == id;
      };
      if (item.value("$patch", "") == "delete") {
        result.erase(std::remove_if(result.begin(), result.end(), same),
                     result.end());
        continue;
      }
      auto pos = std::find_if(result.begin(), result.end(), same);
      if (pos != result.end()) {
        auto merged = merge_map(*pos, item, field, depth);
        if (merged)
          *pos = std::move(*merged);
        else
          result.erase(pos);
      } else {
        auto merged = merge_map(json::object(), item, field, depth);
        if (merged)
          result.push_back(std::move(*merged));
      }
    }
    return result;
  }

private:
  std::string kind_;
};

std::string exception_text(const std::exception& e) {
  // Drop nlohmann's "[json.exception.xxx.nnn] " prefix.
  std::string text = e.what();
  if (starts_with(text, "[json.exception.")) {
    auto end = text.find("] ");
    if (end != std::string::npos)
      text = text.substr(end + 2);
  }
  return text;
}

} // namespace

patch_outcome strategic_merge_patch(const json& original, const json& patch,
                                    std::string_view kind) {
  patch_outcome result;
  if (!patch.is_object()) {
    result.status = 400;
    result.message = "the body of the request was in an unknown format: a "
                     "strategic merge patch must be a JSON object";
    return result;
  }
  try {
    merger m{kind};
    auto merged = m.merge_map(original, patch, "", 0);
    if (!merged) {
      result.status = 400;
      result.message = "a strategic merge patch cannot delete the object";
      return result;
    }
    result.value = std::move(*merged);
  } catch (const patch_failure& e) {
    result.status = 400;
    result.message = e.message;
  }
  return result;
}

patch_outcome json_merge_patch(const json& original, const json& patch) {
  patch_outcome result;
  if (!patch.is_object()) {
    result.status = 400;
    result.message = "the body of the request was in an unknown format: a "
                     "merge patch must be a JSON object";
    return result;
  }
  auto copy = original;
  copy.merge_patch(patch);
  result.value = std::move(copy);
  return result;
}

patch_outcome json_patch(const json& original, const json& operations) {
  patch_outcome result;
  if (!operations.is_array()) {
    result.status = 400;
    result.message = "json: cannot unmarshal object into Go value of type "
                     "jsonpatch.Patch";
    return result;
  }
  static const std::vector<std::string> ops{"add",  "remove", "replace",
                                            "move", "copy",   "test"};
  for (const auto& op : operations) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string()
        || !op.contains("path") || !op["path"].is_string()) {
      result.status = 400;
      result.message = "invalid JSON patch operation: " + op.dump();
      return result;
    }
    auto name = op["op"].get<std::string>();
    if (std::find(ops.begin(), ops.end(), name) == ops.end()) {
      result.status = 400;
      result.message = "Unexpected kind: " + name;
      return result;
    }
    if ((name == "add" || name == "replace" || name == "test")
        && !op.contains("value")) {
      result.status = 400;
      result.message = "missing value in " + name + " operation";
      return result;
    }
  }
  try {
    result.value = original.patch(operations);
  } catch (const json::other_error& e) {
    // A failed `test`.
    result.status = 422;
    result.message = "the server rejected our request due to an error in our "
                     "request: testing value failed: "
                     + exception_text(e);
  } catch (const json::exception& e) {
    result.status = 422;
    result.message = "the server rejected our request due to an error in our "
                     "request: "
                     + exception_text(e);
  }
  return result;
}

} // namespace kfix::sim
