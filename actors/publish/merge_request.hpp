#pragma once

#include "messages/alert.hpp"
#include "messages/incident.hpp"
#include "messages/patch.hpp"
#include "messages/plan.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kfix::publish {

/// GitLab's limit on a merge request description, in characters.
inline constexpr size_t max_description_chars = 1'048'576;

/// GitLab's limit on a merge request title, in characters.
inline constexpr size_t max_title_chars = 255;

/// Everything a publisher needs to open a merge request.
struct mr_content {
  std::string title;
  /// GitLab Markdown.
  std::string description;
  /// Source branch, a valid git ref name below `k-fix/`.
  std::string branch;
  std::string commit_message;
  std::vector<std::string> labels;
};

/// What the alert told about where the workload runs. `incident_result`
/// does not carry these, so callers that hold the alert pass them along.
struct alert_facts {
  std::string env;
  std::string cluster;
  std::string team;
  /// The monitor's title, shown in the summary when present.
  std::string title;
};

/// Extracts the facts of an enriched alert.
alert_facts facts_of(const enriched_alert& alert);

/// Renders the merge request for `chosen` (realised by `p`) of incident `r`:
/// branch `k-fix/<namespace>-<workload>-<incident id>`, title
/// `K-Fix: <plan title> (<namespace>/<workload>)`, `base_labels` plus
/// `env::`, `team::` and `alert::` labels, and a Markdown description with
/// the sections Summary, Evidence and justification, Proposed change,
/// Alternatives considered, Rollback plan, Safety checks, Risk and a footer.
mr_content render_merge_request(const incident_result& r, const plan& chosen,
                                const patch& p, const gitops_target& target,
                                const std::vector<std::string>& base_labels,
                                const alert_facts& facts);

/// As above, without alert facts (env, cluster and team show as unknown and
/// their labels are left out).
mr_content render_merge_request(const incident_result& r, const plan& chosen,
                                const patch& p, const gitops_target& target,
                                const std::vector<std::string>& base_labels);

/// `k-fix/<namespace>-<workload>-<incident id>`, sanitised to a valid git
/// ref name (lower case, `[a-z0-9._-]` inside the component, no `..`, no
/// `.lock` suffix, at most 200 characters).
std::string branch_name(const workload_ref& workload, int64_t incident_id);

/// Turns arbitrary text into one valid git ref component.
std::string sanitize_ref_component(std::string_view text);

/// Whether `name` is a valid branch name by git's check-ref-format rules.
bool is_valid_ref_name(std::string_view name);

/// A code fence (backticks) longer than any backtick run inside `body`,
/// at least three long.
std::string fence_for(std::string_view body);

/// Escapes free text (plan prose, reasons) for a Markdown paragraph: no
/// headings, fences, HTML, quick actions (`/merge`) or @-mentions can leak
/// out of it.
std::string escape_markdown_text(std::string_view text);

/// Escapes text for one Markdown table cell (pipes, newlines, HTML).
std::string escape_table_cell(std::string_view text);

/// Truncates `text` to at most `max_bytes` bytes without splitting a UTF-8
/// sequence.
std::string truncate_utf8(std::string_view text, size_t max_bytes);

} // namespace kfix::publish
