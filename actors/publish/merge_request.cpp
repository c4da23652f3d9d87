#include "actors/publish/merge_request.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace kfix::publish {

namespace {

// Prose fields (justification, risk, ...) are capped so that the diff keeps
// most of the description's budget.
constexpr size_t max_prose_bytes = 64 * 1024;

constexpr std::string_view zero_width_space = "\xE2\x80\x8B";

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/// Breaks @-mentions (`@all`, `@user`) with a zero-width space and escapes
/// HTML, for text anywhere in the description.
void append_inline(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '@' && i + 1 < text.size() && is_word_char(text[i + 1])) {
      out += '@';
      out += zero_width_space;
    } else {
      out += c;
    }
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (auto c : text)
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return std::string{trim(out)};
}

/// A Markdown code span holding `text` verbatim.
std::string code_span(std::string_view text) {
  auto flat = one_line(text);
  size_t longest = 0;
  size_t run = 0;
  for (auto c : flat) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string ticks(longest + 1, '`');
  auto pad = !flat.empty() && (flat.front() == '`' || flat.back() == '`');
  std::string out = ticks;
  if (pad)
    out += ' ';
  out += flat;
  if (pad)
    out += ' ';
  out += ticks;
  return out;
}

std::string prose(std::string_view text, std::string_view fallback) {
  auto trimmed = trim(text);
  if (trimmed.empty())
    return std::string{fallback};
  if (trimmed.size() > max_prose_bytes)
    return escape_markdown_text(truncate_utf8(trimmed, max_prose_bytes))
           + " … _(truncated)_";
  return escape_markdown_text(trimmed);
}

std::string or_unknown(const std::string& x) {
  return x.empty() ? std::string{"_unknown_"} : escape_table_cell(x);
}

std::string format_confidence(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  return buf;
}

std::string sanitize_label(std::string_view label) {
  auto out = one_line(label);
  std::replace(out.begin(), out.end(), ',', ' ');
  return std::string{trim(out)};
}

const plan* find_plan(const incident_result& r, const std::string& id) {
  for (const auto& p : r.decision.plans)
    if (p.id == id)
      return &p;
  return nullptr;
}

std::string workload_path(const workload_ref& w) {
  return w.ns + "/" + w.name;
}

// -- sections -----------------------------------------------------------------

std::string summary_section(const incident_result& r, const plan& chosen,
                            const gitops_target& target,
                            const alert_facts& facts) {
  std::string out = "## Summary\n\n";
  out += "| | |\n| --- | --- |\n";
  out += "| **Alert** | ";
  out += r.alert_type.empty() ? "_unknown_" : code_span(r.alert_type);
  if (!facts.title.empty()) {
    out += ": ";
    out += escape_table_cell(facts.title);
  }
  out += " |\n";
  out += "| **Workload** | ";
  out += escape_table_cell(r.workload.kind.empty() ? "Workload"
                                                   : r.workload.kind);
  out += " " + code_span(workload_path(r.workload)) + " |\n";
  out += "| **Environment** | " + or_unknown(facts.env) + " |\n";
  out += "| **Cluster** | " + or_unknown(facts.cluster) + " |\n";
  if (!facts.team.empty())
    out += "| **Team** | " + escape_table_cell(facts.team) + " |\n";
  out += "| **Decision** | ";
  out += std::string{to_string(r.decision.kind)};
  if (!trim(r.decision.reason).empty())
    out += ": " + escape_table_cell(r.decision.reason);
  out += " |\n";
  out += "| **Plan** | " + escape_table_cell(chosen.title) + " ("
         + code_span(chosen.id) + ", confidence "
         + format_confidence(chosen.confidence);
  if (!chosen.source.empty())
    out += ", from " + code_span(chosen.source);
  out += ") |\n";
  if (!target.project.empty())
    out += "| **GitOps** | " + code_span(target.project) + " into "
           + code_span(target.target_branch) + " |\n";
  out += "| **Incident** | " + std::to_string(r.incident_id) + " |\n\n";
  return out;
}

std::string evidence_section(const incident_result& r, const plan& chosen) {
  std::string out = "## Evidence and justification\n\n";
  out += prose(chosen.justification, "_No justification was recorded._");
  out += "\n\n";
  if (!trim(chosen.expected_effect).empty())
    out += "**Expected effect:** " + prose(chosen.expected_effect, "") + "\n\n";
  out += "**Context sources**\n\n";
  if (r.context.sources.empty()) {
    out += "_No context sources were recorded._\n\n";
    return out;
  }
  out += "| Source | Status | Detail |\n| --- | --- | --- |\n";
  for (const auto& s : r.context.sources) {
    std::string detail = s.reason;
    if (s.duration_ms > 0) {
      if (!detail.empty())
        detail += "; ";
      detail += std::to_string(s.duration_ms) + " ms";
    }
    out += "| " + escape_table_cell(s.source) + " | "
           + std::string{to_string(s.status)} + " | "
           + escape_table_cell(detail) + " |\n";
  }
  out += "\n";
  return out;
}

std::string files_line(const patch& p) {
  if (p.files.empty())
    return {};
  std::string out = "Files changed:";
  for (size_t i = 0; i < p.files.size(); ++i) {
    out += i == 0 ? " " : ", ";
    out += code_span(p.files[i].path);
  }
  return out + "\n\n";
}

/// The Proposed change section with at most `diff_budget` bytes of diff.
std::string change_section(const patch& p, const std::string& branch,
                           size_t diff_budget) {
  std::string out = "## Proposed change\n\n";
  out += files_line(p);
  if (p.diff.empty()) {
    out += "_No diff was recorded._\n\n";
    return out;
  }
  std::string_view diff = p.diff;
  auto truncated = false;
  if (diff.size() > diff_budget) {
    truncated = true;
    auto cut = truncate_utf8(diff, diff_budget);
    auto nl = cut.rfind('\n');
    diff = diff.substr(0, nl == std::string::npos ? 0 : nl + 1);
  }
  auto fence = fence_for(diff);
  out += fence + "diff\n";
  out += diff;
  if (!diff.empty() && diff.back() != '\n')
    out += '\n';
  out += fence + "\n\n";
  if (truncated)
    out += "_The diff is truncated to fit GitLab's description limit: "
           "showing "
           + std::to_string(diff.size()) + " of "
           + std::to_string(p.diff.size()) + " characters. The branch "
           + code_span(branch) + " holds the full change._\n\n";
  return out;
}

std::string alternatives_section(const plan& chosen) {
  std::string out = "## Alternatives considered\n\n";
  auto any = false;
  for (const auto& alt : chosen.alternatives) {
    if (trim(alt).empty())
      continue;
    any = true;
    out += "- " + one_line(prose(alt, "")) + "\n";
  }
  if (!any)
    out += "- _None recorded._\n";
  return out + "\n";
}

std::string rollback_section(const plan& chosen) {
  return "## Rollback plan\n\n"
         + prose(chosen.rollback,
                 "_No rollback plan was recorded: reverting this merge "
                 "request restores the previous manifests._")
         + "\n\n";
}

std::string safety_section(const incident_result& r, const plan& chosen) {
  std::string out = "## Safety checks\n\n";
  out += "| Rule | Result | Detail |\n| --- | --- | --- |\n";
  const verdict* chosen_verdict = nullptr;
  for (const auto& v : r.verdicts)
    if (v.plan_id == chosen.id)
      chosen_verdict = &v;
  if (chosen_verdict == nullptr || chosen_verdict->checks.empty()) {
    out += "| _none_ | _n/a_ | No safety verdict was recorded for this "
           "plan. |\n";
  } else {
    for (const auto& c : chosen_verdict->checks) {
      auto result = c.skipped ? "skipped" : c.passed ? "passed" : "**failed**";
      out += "| " + code_span(c.rule) + " | " + result + " | "
             + escape_table_cell(c.detail) + " |\n";
    }
  }
  out += "\n";
  std::string rejected;
  for (const auto& v : r.verdicts) {
    if (v.accepted || v.plan_id == chosen.id)
      continue;
    rejected += "- Plan " + code_span(v.plan_id);
    if (const auto* p = find_plan(r, v.plan_id))
      rejected += " (" + one_line(escape_markdown_text(p->title)) + ")";
    rejected += " was rejected: ";
    auto reasons = v.reasons();
    rejected += reasons.empty() ? std::string{"_no reason recorded_"}
                                : one_line(escape_markdown_text(reasons));
    rejected += "\n";
  }
  if (!rejected.empty())
    out += "**Rejected plans**\n\n" + rejected + "\n";
  if (chosen_verdict != nullptr && !chosen_verdict->auto_merge_reason.empty())
    out += std::string{"**Auto-merge:** "}
           + (chosen_verdict->auto_merge ? "allowed by policy: "
                                         : "not allowed: ")
           + one_line(escape_markdown_text(chosen_verdict->auto_merge_reason))
           + "\n\n";
  return out;
}

std::string risk_section(const plan& chosen) {
  return "## Risk\n\n"
         + prose(chosen.risk, "_No risk assessment was "
                              "recorded._")
         + "\n\n";
}

std::string footer(const incident_result& r) {
  return "---\n\n_This merge request was produced by K-Fix for incident "
         + std::to_string(r.incident_id)
         + ". K-Fix never auto-merges merge requests in prod: a human "
           "reviews and merges it._\n";
}

} // namespace

// -- text helpers -------------------------------------------------------------

std::string truncate_utf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes)
    return std::string{text};
  auto n = max_bytes;
  // Step back over continuation bytes to the start of the cut sequence.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
    --n;
  return std::string{text.substr(0, n)};
}

std::string fence_for(std::string_view body) {
  size_t longest = 0;
  size_t run = 0;
  for (auto c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

std::string escape_markdown_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(
      pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    // Keep the indentation, escape what would start a block.
    size_t indent = 0;
    while (indent < line.size()
           && (line[indent] == ' ' || line[indent] == '\t'))
      ++indent;
    out += line.substr(0, indent);
    auto rest = line.substr(indent);
    auto only_rule_chars
      = !rest.empty()
        && rest.find_first_not_of("-=_* \t\r") == std::string_view::npos;
    if (!rest.empty()
        && (rest.front() == '#' || rest.front() == '/' || rest.front() == '`'
            || rest.front() == '~' || rest.front() == '|' || rest.front() == '+'
            || only_rule_chars))
      out += '\\';
    append_inline(out, rest);
    if (nl == std::string_view::npos)
      break;
    out += '\n';
    pos = nl + 1;
  }
  return out;
}

std::string escape_table_cell(std::string_view text) {
  std::string inline_text;
  append_inline(inline_text, trim(text));
  std::string out;
  out.reserve(inline_text.size() + 8);
  for (auto c : inline_text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += "<br>";
    else if (c != '\r')
      out += c;
  }
  return out;
}

// -- refs ---------------------------------------------------------------------

std::string sanitize_ref_component(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (auto c : text) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    auto keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
                || c == '_' || c == '-';
    if (!keep)
      c = '-';
    // No runs of '-' and no "..".
    if (!out.empty() && out.back() == c && (c == '-' || c == '.'))
      continue;
    out += c;
  }
  auto strip = [&out] {
    auto changed = true;
    while (changed && !out.empty()) {
      changed = false;
      while (!out.empty() && (out.front() == '.' || out.front() == '-')) {
        out.erase(0, 1);
        changed = true;
      }
      while (!out.empty() && (out.back() == '.' || out.back() == '-')) {
        out.pop_back();
        changed = true;
      }
      constexpr std::string_view lock = ".lock";
      if (out.size() >= lock.size()
          && out.compare(out.size() - lock.size(), lock.size(), lock) == 0) {
        out.erase(out.size() - lock.size());
        changed = true;
      }
    }
  };
  strip();
  constexpr size_t max_len = 190;
  if (out.size() > max_len) {
    out.resize(max_len);
    strip();
  }
  if (out.empty())
    out = "incident";
  return out;
}

std::string branch_name(const workload_ref& workload, int64_t incident_id) {
  return "k-fix/"
         + sanitize_ref_component(workload.ns + "-" + workload.name + "-"
                                  + std::to_string(incident_id));
}

bool is_valid_ref_name(std::string_view name) {
  if (name.empty() || name == "@" || name.front() == '/' || name.back() == '/'
      || name.back() == '.')
    return false;
  if (name.find("..") != std::string_view::npos
      || name.find("//") != std::string_view::npos
      || name.find("@{") != std::string_view::npos)
    return false;
  for (auto c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == ' ' || c == '~' || c == '^' || c == ':'
        || c == '?' || c == '*' || c == '[' || c == '\\')
      return false;
  }
  size_t pos = 0;
  while (pos <= name.size()) {
    auto slash = name.find('/', pos);
    auto comp = name.substr(pos, slash == std::string_view::npos
                                   ? std::string_view::npos
                                   : slash - pos);
    if (comp.empty() || comp.front() == '.')
      return false;
    constexpr std::string_view lock = ".lock";
    if (comp.size() >= lock.size()
        && comp.substr(comp.size() - lock.size()) == lock)
      return false;
    if (slash == std::string_view::npos)
      break;
    pos = slash + 1;
  }
  return true;
}

// -- rendering ----------------------------------------------------------------

alert_facts facts_of(const enriched_alert& alert) {
  return {alert.env, alert.cluster, alert.team, alert.title};
}

mr_content render_merge_request(const incident_result& r, const plan& chosen,
                                const patch& p, const gitops_target& target,
                                const std::vector<std::string>& base_labels) {
  return render_merge_request(r, chosen, p, target, base_labels,
                              facts_of(r.alert));
}

mr_content render_merge_request(const incident_result& r, const plan& chosen,
                                const patch& p, const gitops_target& target,
                                const std::vector<std::string>& base_labels,
                                const alert_facts& facts) {
  mr_content result;
  result.branch = branch_name(r.workload, r.incident_id);
  auto plan_title = one_line(chosen.title);
  if (plan_title.empty())
    plan_title = "remediation";
  auto where = " (" + one_line(workload_path(r.workload)) + ")";
  auto prefix = std::string{"K-Fix: "};
  auto room = max_title_chars - prefix.size() - where.size();
  if (plan_title.size() > room)
    plan_title = truncate_utf8(plan_title, room - 3) + "...";
  result.title = prefix + plan_title + where;
  // Commit message: a short subject, then the references.
  result.commit_message = "k-fix: " + plan_title + where + "\n\nIncident "
                          + std::to_string(r.incident_id) + ", plan "
                          + one_line(chosen.id);
  if (!r.alert_type.empty())
    result.commit_message += ", alert " + one_line(r.alert_type);
  result.commit_message += ".\n";
  // Labels, deduplicated in order.
  std::vector<std::string> labels;
  std::set<std::string> seen;
  auto add = [&](std::string label) {
    label = sanitize_label(label);
    if (!label.empty() && seen.insert(label).second)
      labels.push_back(std::move(label));
  };
  for (const auto& l : base_labels)
    add(l);
  if (!facts.env.empty())
    add("env::" + facts.env);
  if (!facts.team.empty())
    add("team::" + facts.team);
  if (!r.alert_type.empty())
    add("alert::" + r.alert_type);
  result.labels = std::move(labels);
  // Description: everything but the diff first, then the diff in the space
  // that is left.
  auto head
    = summary_section(r, chosen, target, facts) + evidence_section(r, chosen);
  auto tail = alternatives_section(chosen) + rollback_section(chosen)
              + safety_section(r, chosen) + risk_section(chosen) + footer(r);
  auto fixed = head.size() + tail.size()
               + change_section(patch{}, result.branch, 0).size()
               + files_line(p).size() + 512 + fence_for(p.diff).size() * 2;
  auto budget
    = fixed < max_description_chars ? max_description_chars - fixed : size_t{0};
  result.description = head + change_section(p, result.branch, budget) + tail;
  if (result.description.size() > max_description_chars)
    result.description
      = truncate_utf8(result.description, max_description_chars);
  return result;
}

} // namespace kfix::publish
