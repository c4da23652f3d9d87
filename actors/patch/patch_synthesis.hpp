#pragma once

#include "actors/patch/manifest_edit.hpp"
#include "messages/error.hpp"
#include "messages/patch.hpp"
#include "messages/pipeline.hpp"
#include "messages/plan.hpp"

#include <string>
#include <vector>

namespace kfix::patching {

/// The manifest edits that realise a plan's `set_resources` actions; an
/// error names an action that patch synthesis cannot express.
[[nodiscard]] caf::expected<std::vector<resource_edit>>
resource_edits_of(const plan& p);

/// The strategic-merge patch of the live workload for a plan's resource
/// changes (containers merged by name; `unset` becomes null).
[[nodiscard]] caf::expected<std::string>
strategic_patch_of(const plan& p, const workload_ref& workload);

/// Edits the workload's manifest in the GitOps files for one plan, with a
/// minimal diff.
[[nodiscard]] caf::expected<patch>
synthesize_patch(const plan& p, const workload_ref& workload,
                 const std::vector<repo_file>& files);

/// Patches for every plan of a decision that has actions; the failures say
/// why a plan could not be realised.
patch_set synthesize_all(const decision& d, const workload_ref& workload,
                         const std::vector<repo_file>& files);

} // namespace kfix::patching
