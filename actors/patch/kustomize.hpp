#pragma once

#include "actors/patch/yaml_edit.hpp"
#include "messages/error.hpp"
#include "messages/patch.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

/// What kustomize makes of the GitOps files, as far as patch synthesis needs
/// it: which overlay builds a manifest for an environment, and which file
/// sets each field of the object it deploys. Modelled: `resources`,
/// `components`, `patches` (files and inline, strategic merge or JSON 6902,
/// with `target`), `patchesStrategicMerge`, `patchesJson6902`, `images`,
/// `replicas` and `namespace`. Other fields either do not touch the fields
/// K-Fix edits (labels, annotations, generators) or make the effective value
/// unknowable (`replacements` aimed at the object, `transformers`, `vars`):
/// those are errors naming the kustomization.
namespace kfix::patching {

/// Whether the file is a kustomization (`kustomization.yaml`, `.yml`,
/// `Kustomization`).
bool is_kustomization_file(const std::string& path);

/// The folder of a repository path ("" for the top).
std::string parent_dir(const std::string& path);

/// The files kustomizations use as patches: they are not manifests of their
/// own.
std::set<std::string>
kustomize_patch_files(const std::vector<repo_file>& files);

/// The namespaces kustomize gives the documents of each file some
/// kustomization builds: one per build (its outermost `namespace:`, or ""
/// when none sets one and the documents keep their own).
std::map<std::string, std::vector<std::string>>
kustomize_namespaces(const std::vector<repo_file>& files);

/// The environment a folder name stands for: "prod" for prod, production,
/// prd and live; "staging" for staging, stage, stg; "dev" for dev,
/// development, develop; other names as they are (lower case).
std::string env_class(std::string_view name);

/// One source of an object's effective value, in the order kustomize
/// applies them.
struct object_layer {
  enum class kind : uint8_t {
    /// The manifest itself.
    resource,
    /// A strategic-merge patch document.
    strategic_patch,
    /// A JSON 6902 patch (a list of operations); read, never edited.
    json6902_patch,
    /// An entry of a kustomization's `images:`.
    images,
    /// An entry of a kustomization's `replicas:`.
    replicas,
  };
  kind type = kind::resource;
  /// The file holding the layer.
  std::string path;
  /// The document in that file.
  size_t document = 0;
  /// For a patch inline in a kustomization: the block scalar holding it
  /// (`patches[0].patch`); empty for a file of its own.
  yaml_path inline_at;
  /// For `images:` and `replicas:`: the entry's index.
  size_t entry = 0;
  /// The document, patch, operations or entry as JSON (scalars as strings,
  /// or typed as the API server reads them).
  nlohmann::json value;
};

std::string_view to_string(object_layer::kind k);

/// Where one object's effective value comes from.
struct object_sources {
  /// `layers[0]` is the manifest.
  std::vector<object_layer> layers;
  /// The folder of the kustomization whose build was chosen (the overlay);
  /// empty when no kustomization builds the manifest.
  std::string overlay;
  std::string kind;
  std::string name;
  /// Whether the layers' scalars are typed.
  bool typed = false;
};

/// The layers of the object in document `document` of `path` as built for
/// the environment `env`: by the kustomization (not itself used by another)
/// whose folder path names that environment (see `env_class`), else by the
/// only one that names no environment; a manifest no kustomization builds
/// is its own only layer.
///
/// Errors: `ec::invalid_input` when several overlays fit equally or none
/// fits `env` (listing them), when a kustomization or patch does not parse,
/// or when a kustomization uses what cannot be modelled (naming the file
/// and the field).
[[nodiscard]] caf::expected<object_sources>
resolve_sources(const std::vector<repo_file>& files, const std::string& path,
                size_t document, const std::string& env, bool typed = false);

/// The object as kustomize would render it from the first `layers` layers of
/// `s` (all by default): strategic-merge patches (containers, env,
/// volumes... merged by name, null deletes), JSON 6902 operations, image and
/// replica transformers.
[[nodiscard]] caf::expected<nlohmann::json>
render_object(const object_sources& s, size_t layers = SIZE_MAX);

/// Applies a strategic-merge patch: maps merge, null deletes, lists with a
/// merge key (`containers`, `initContainers`, `env`, `volumes`,
/// `imagePullSecrets` by `name`; `volumeMounts` by `mountPath`; `ports` by
/// `containerPort`) merge item by item, other lists are replaced.
void strategic_merge(nlohmann::json& target, const nlohmann::json& patch);

/// An image reference split as kustomize's `images:` sees it.
struct image_ref {
  std::string name;
  std::string tag;
  std::string digest;
  std::string str() const;
};

image_ref parse_image(const std::string& image);

} // namespace kfix::patching
