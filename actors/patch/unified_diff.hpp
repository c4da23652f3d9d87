#pragma once

#include "messages/patch.hpp"

#include <string>
#include <vector>

namespace kfix::patching {

/// Returns the unified diff (3 lines of context) that turns `before` into
/// `after`, with `--- a/<path>` and `+++ b/<path>` headers and hunk headers
/// in `git diff` form (`@@ -12,7 +12,7 @@`, a count of 1 omitted). Returns an
/// empty string when both texts are equal. An empty `before` is a new file
/// (`--- /dev/null`), an empty `after` a deleted one (`+++ /dev/null`). A last
/// line without newline is followed by `\ No newline at end of file`.
/// Computed with libgit2 (`git_diff_buffers`); thread-safe.
std::string unified_diff(const std::string& path, const std::string& before,
                         const std::string& after);

/// Concatenates the unified diffs of every change, in the given order.
std::string unified_diff(const std::vector<file_change>& changes);

} // namespace kfix::patching
