#pragma once

#include "actors/patch/manifest_edit.hpp"
#include "actors/patch/yaml_edit.hpp"
#include "messages/error.hpp"
#include "messages/patch.hpp"
#include "messages/pipeline.hpp"
#include "messages/plan.hpp"

#include <cstdint>
#include <string>
#include <vector>

/// Patch synthesis: a plan's actions (the v1 vocabulary of
/// shared/spec/incident-format.md) as minimal-diff edits of the GitOps files
/// (see yaml_edit.hpp), in the file that sets each field's effective value
/// (see kustomize.hpp), plus the dry-run patches of the live objects.
namespace kfix::patching {

/// What synthesis needs to know about the incident beyond the plan.
struct synthesis_options {
  /// The incident's environment ("prod", "staging", "dev"...): picks the
  /// kustomize overlay whose folder path names it (`env_class`).
  std::string env;
  /// The value `restart` writes to the pod template annotation
  /// `kubectl.kubernetes.io/restartedAt` (RFC 3339, e.g. the alert time);
  /// `restart` is an error without it.
  std::string restart_timestamp;
};

/// The options for an incident's alert: its `env`, and its time (`date`) as
/// the restart timestamp.
synthesis_options options_for(const enriched_alert& alert);

/// One change a plan makes to the workload or to its HPA, as an edit of the
/// object's document (paths from its root, containers and env entries
/// selected by name).
struct object_change {
  enum class target : uint8_t { workload, hpa };
  enum class field : uint8_t {
    /// A value the edit says all about.
    plain,
    /// A container image: an `images:` entry may set it.
    image,
    /// `spec.replicas`: a `replicas:` entry may set it.
    replicas,
    /// A probe's fields (the edit's value is a map of them, its path the
    /// probe): set one by one, or as a new block with a copied handler.
    probe_fields,
    /// An env entry's value: refused when the entry uses `valueFrom`.
    env_value,
    /// An HPA utilization target for the resource named by `detail`; the
    /// path depends on the HPA's API version.
    hpa_target,
  };
  target on = target::workload;
  field what = field::plain;
  yaml_edit edit;
  /// The action, for messages ("set_env of container `app`").
  std::string action;
  std::string container;
  /// `env_value`: the variable; `hpa_target`: cpu or memory.
  std::string detail;
};

/// The changes of a plan's actions on a workload of `kind` (escalate adds
/// none). Errors (`ec::invalid_input`) name the action and what is wrong
/// with it: a missing container or parameter, an unknown parameter, a
/// malformed value, an action the kind has no field for, and a rollback
/// without an image.
[[nodiscard]] caf::expected<std::vector<object_change>>
plan_changes(const plan& p, const std::string& kind,
             const synthesis_options& options = {});

/// The API path of an object: `/apis/apps/v1/namespaces/<ns>/deployments/
/// <name>` for Deployment, StatefulSet, DaemonSet and ReplicaSet, batch/v1
/// for Job and CronJob, `/api/v1/...` for Pod, and `api_version` (default
/// autoscaling/v2) for HorizontalPodAutoscaler; empty for other kinds.
std::string api_path(const std::string& kind, const std::string& api_version,
                     const std::string& ns, const std::string& name);

/// The strategic-merge patch of the live workload for a plan's workload
/// changes, from the plan alone (containers and env entries merged by name,
/// `unset` and removed probes as null). A new startupProbe's handler is
/// copied from the manifest, which only `synthesize_patch` reads: here it is
/// missing. Errors as for `plan_changes`, and `ec::invalid_input` when the
/// plan does not change the workload.
[[nodiscard]] caf::expected<std::string>
strategic_patch_of(const plan& p, const workload_ref& workload);

/// Edits the GitOps files for one plan, with minimal diffs: each change goes
/// to the file that sets the field's effective value for `options.env` (an
/// overlay patch, `images:` or `replicas:` entry, else the manifest); a
/// field nobody sets goes into the overlay's patch of the object when there
/// is one, else into the manifest; a removal of a value an overlay patch
/// overrides becomes null there. Several actions apply together; several
/// files may change. Every file is verified (yaml_edit.hpp) and so is the
/// result: the rendered object after the edits must be the rendered object
/// before with exactly the plan's changes.
///
/// Errors name the plan and its actions: no manifest of the workload, no
/// HPA manifest targeting it (`set_hpa`), an unknown container, a
/// `valueFrom` env entry, a startupProbe without a liveness or readiness
/// handler to copy, a layout that cannot be edited (naming the file and
/// why), a failed verification, and a plan whose values the files already
/// hold.
[[nodiscard]] caf::expected<patch>
synthesize_patch(const plan& p, const workload_ref& workload,
                 const std::vector<repo_file>& files,
                 const synthesis_options& options = {});

/// Patches for the plans of a fix decision, in order; a plan that cannot be
/// realised is in `failures` with the reason. A plan whose actions are all
/// `escalate` needs no patch and is in neither list (nothing failed); other
/// decisions give an empty set.
patch_set synthesize_all(const decision& d, const workload_ref& workload,
                         const std::vector<repo_file>& files,
                         const synthesis_options& options = {});

} // namespace kfix::patching
