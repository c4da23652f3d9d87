#pragma once

#include "messages/alert.hpp"
#include "messages/context.hpp"
#include "messages/error.hpp"
#include "messages/plan.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

/// Prompts: versioned template files (config/prompts/) filled with an
/// incident. Everything taken from the incident (alert, context, events,
/// logs, the rules' candidates, similar incidents) is redacted and placed
/// inside labelled data fences that its own text cannot close; only the
/// template's text instructs the model.
namespace kfix::reasoning {

/// A prompt template file, parsed: `version: <name>` and the sections
/// `=== system ===`, `=== user ===`, `=== task llm ===`,
/// `=== task hybrid ===`, `=== repair ===`.
struct prompt_template {
  std::string version;
  std::string system;
  std::string user;
  std::string task_llm;
  std::string task_hybrid;
  std::string repair;
};

/// Parses a template. Errors name `origin` and the line: unknown or
/// repeated sections, unknown placeholders, a data placeholder missing from
/// the user section or appearing outside it, no version.
[[nodiscard]] caf::expected<prompt_template>
parse_prompt_template(std::string_view text, const std::string& origin);

/// Reads and parses a template file.
[[nodiscard]] caf::expected<prompt_template>
load_prompt_template(const std::string& path);

/// A past incident like this one (the incident memory fills these in a
/// later issue; empty until then).
struct similar_incident {
  std::string id;
  std::string summary;
  std::string fix;
  std::string outcome;
};

/// What a prompt is filled with.
struct prompt_inputs {
  const enriched_alert* alert = nullptr;
  const context_bundle* bundle = nullptr;
  /// The rules' decision: its plans are the candidates.
  const decision* rules = nullptr;
  /// llm | hybrid (chooses the task section).
  std::string strategy = "llm";
  std::vector<similar_incident> similar;
  /// Estimated tokens of system and user text together.
  int64_t token_budget = 24'000;
};

/// A filled prompt and what was cut to fit the budget (a log line shown
/// with its repeats counts as all of them).
struct filled_prompt {
  std::string version;
  std::string system;
  std::string user;
  size_t logs_shown = 0;
  size_t logs_total = 0;
  size_t events_shown = 0;
  size_t events_total = 0;
  int64_t estimated_tokens = 0;
};

/// Fills the template. Logs and events are ranked by relevance and the
/// most relevant kept while the estimate stays within the budget; the kept
/// ones are shown oldest first.
filled_prompt fill_prompt(const prompt_template& tpl,
                          const prompt_inputs& inputs);

/// The repair section with `problems` (one "- " line each) filled in.
std::string fill_repair(const prompt_template& tpl,
                        const std::string& problems);

/// A conservative token estimate: one token per 3 bytes (English prose is
/// nearer 4, JSON nearer 3).
int64_t estimate_tokens(std::string_view text);

/// Wraps untrusted `content` in a fence:
/// `<<<DATA kind=<kind> id=<id>[ <attrs>]>>>` ... `<<<END DATA id=<id>>>`,
/// the id derived from the content (deterministic, unguessable by text
/// inside it). `content` must be defanged.
std::string fence(std::string_view kind, std::string_view content,
                  std::string_view attrs = {});

/// Makes text unable to forge a fence: every `<<<` and `>>>` gets its middle
/// character JSON-escaped (`<\u003c<`), which is what the JSON the fences
/// hold would decode to anyway.
std::string defang(std::string_view text);

/// Log lines by relevance, best first (indices into `logs`): error and
/// worse before warnings before the rest, lines of the workload's service,
/// lines naming failures (OOM, panic, exception, timeout, refused, ...),
/// then the newest. Repeats of a message (digits ignored) rank after the
/// other lines.
std::vector<size_t> rank_logs(const std::vector<log_record>& logs,
                              const enriched_alert& alert);

/// Events by relevance, best first: Warning before Normal, failure reasons
/// (OOMKilling, BackOff, Unhealthy, FailedScheduling, Evicted, ...), about
/// the workload's objects, higher counts, newer.
std::vector<size_t> rank_events(const std::vector<event_record>& events,
                                const workload_ref& workload);

} // namespace kfix::reasoning
