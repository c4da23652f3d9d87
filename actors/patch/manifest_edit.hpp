#pragma once

#include "actors/patch/yaml_edit.hpp"
#include "messages/alert.hpp"
#include "messages/error.hpp"
#include "messages/patch.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Note: the namespace is `kfix::patching` because `kfix::patch` is the
// message struct of messages/patch.hpp and cannot also be a namespace.
namespace kfix::patching {

/// Where a workload's manifest lives in the GitOps files.
struct manifest_location {
  /// Path of the file, as in `repo_file::path`.
  std::string path;
  /// Index of the document in the (multi-document) file, counted like
  /// `YAML::LoadAll` counts them.
  size_t document = 0;
};

/// The path of the pod spec in a document of `kind`: `spec` for Pod,
/// `spec.template.spec` for Deployment, StatefulSet, DaemonSet, ReplicaSet,
/// ReplicationController and Job, `spec.jobTemplate.spec.template.spec` for
/// CronJob; nothing for other kinds.
std::optional<yaml_path> pod_spec_path(const std::string& kind);

/// The path of container `name` below a pod spec.
yaml_path container_path(const yaml_path& pod_spec, const std::string& name);

/// What `find_manifest` looks for.
struct manifest_query {
  /// Case-insensitive; empty accepts any workload kind.
  std::string kind;
  /// `metadata.name`; empty accepts any.
  std::string name;
  /// The namespace the object must (be able to) land in; empty accepts any.
  std::string ns;
  /// Further condition on the document (an HPA's `scaleTargetRef`).
  std::function<bool(const YAML::Node&)> accept;
  /// The object as errors name it ("Deployment shop/checkout").
  std::string what;
};

/// The one manifest document that matches `q`, chosen as
/// `find_workload_manifest` describes.
[[nodiscard]] caf::expected<manifest_location>
find_manifest(const std::vector<repo_file>& files, const manifest_query& q);

/// Finds the manifest of `w` among the `*.yaml`/`*.yml` files: a document
/// whose `kind` (case-insensitive; an empty `w.kind` accepts any workload
/// kind) and `metadata.name` match and whose namespace is `w.ns` or absent.
/// The namespaces of a document are those the kustomizations that build its
/// file give it (see `kustomize_namespaces`), else the `namespace:` of a
/// kustomization.yaml in the same folder if there is one (kustomize
/// overrides the documents' own), else its `metadata.namespace`. An exact
/// namespace match beats a document without namespace. Files a
/// kustomization uses as patches are not manifests, and files that do not
/// parse (Helm templates, broken YAML) are skipped.
///
/// Errors: `ec::not_found` naming the workload when nothing matches;
/// `ec::invalid_input` listing the paths when two documents match equally
/// well.
[[nodiscard]] caf::expected<manifest_location>
find_workload_manifest(const std::vector<repo_file>& files,
                       const workload_ref& w);

/// One change of a container's `resources`.
struct resource_edit {
  /// The container's `name`.
  std::string container;
  /// "requests" or "limits".
  std::string field;
  /// "memory", "cpu" or "ephemeral-storage".
  std::string resource;
  /// A Kubernetes quantity ("768Mi", "500m", "1"), or "unset" to remove
  /// the key.
  std::string value;
};

/// Checks one resource edit: field, resource and quantity (`ec::invalid_input`
/// naming the problem).
[[nodiscard]] caf::error check_resource_edit(const resource_edit& e);

/// The YAML edit of a resource edit for the container at `container`
/// (`unset` removes the key and the `limits`/`requests`/`resources` maps it
/// empties).
yaml_edit to_yaml_edit(const resource_edit& e, const yaml_path& container);

/// Applies `edits` (in order) to document `document` of the manifest `text`
/// and returns the new text. Works for Pod (`spec.containers`), Deployment,
/// StatefulSet, DaemonSet, ReplicaSet, Job (`spec.template.spec.containers`)
/// and CronJob (`spec.jobTemplate.spec.template.spec.containers`).
///
/// The original text is patched, never re-emitted: only changed lines
/// change, and comments, blank lines, key order, quoting, indentation and
/// line endings (CRLF too) elsewhere stay byte for byte. An existing value
/// keeps its quote style; a missing key, `limits:`/`requests:` block or
/// `resources:` block is inserted after the last entry of its map at that
/// map's indentation (new values take the quote style of the container's
/// other resource values). Non-empty flow maps (`limits: {memory: 1Gi}`) are
/// edited inside the braces; an empty `{}` under a block key becomes a
/// block. `unset` removes the key's lines, and the lines of a `limits`,
/// `requests` or `resources` map it leaves empty; unsetting a missing key
/// changes nothing.
///
/// The result is checked by parsing both texts: every other document and
/// container, and everything outside the edited keys, must be semantically
/// unchanged and the edited keys must hold the requested values.
///
/// Errors: `ec::invalid_input` for unparsable YAML, a document index out of
/// range, an unsupported kind or an invalid edit (unknown field or resource,
/// malformed quantity, memory in `m` units); `ec::not_found` for an unknown
/// container, naming the containers present; `ec::unspecified` when the
/// layout is not supported or the verification fails.
[[nodiscard]] caf::expected<std::string>
apply_resource_edits(std::string_view text, size_t document,
                     const std::vector<resource_edit>& edits);

/// The `resources` of one container as written in the manifest, e.g.
/// `{"limits": {"memory": "768Mi"}, "requests": {"cpu": "250m"}}` (quotes
/// removed). Only map-valued entries of `resources` appear; a container
/// without `resources` gives an empty map.
///
/// Errors as for `apply_resource_edits`.
[[nodiscard]] caf::expected<
  std::map<std::string, std::map<std::string, std::string>>>
read_container_resources(std::string_view text, size_t document,
                         const std::string& container);

} // namespace kfix::patching
