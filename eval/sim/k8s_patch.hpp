#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

/// The PATCH flavours of the Kubernetes API, applied to JSON objects.
namespace kfix::sim {

/// The outcome of applying a patch: the patched object, or the HTTP status
/// (400 malformed patch, 422 failed `test` / missing path) and message.
struct patch_outcome {
  std::optional<nlohmann::json> value;
  int status = 200;
  std::string message;
};

/// Kubernetes strategic merge patch for built-in types: maps merge
/// recursively, `null` deletes a key, lists with a merge key (containers,
/// initContainers, env, volumes, imagePullSecrets by `name`; volumeMounts by
/// `mountPath`; container ports by `containerPort`, Service ports by
/// `port`; conditions by `type`; ownerReferences by `uid`) merge item by
/// item, `$patch: delete|replace|merge`, `$retainKeys`,
/// `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`
/// directives; other lists are replaced. `kind` is the object's kind.
patch_outcome strategic_merge_patch(const nlohmann::json& original,
                                    const nlohmann::json& patch,
                                    std::string_view kind);

/// RFC 7386 JSON merge patch.
patch_outcome json_merge_patch(const nlohmann::json& original,
                               const nlohmann::json& patch);

/// RFC 6902 JSON patch (add, remove, replace, move, copy, test).
patch_outcome json_patch(const nlohmann::json& original,
                         const nlohmann::json& operations);

} // namespace kfix::sim
