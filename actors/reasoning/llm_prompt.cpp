#include "actors/reasoning/llm_prompt.hpp"

#include "actors/context/log_redaction.hpp"

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace kfix::reasoning {

namespace {

// -- template parsing ---------------------------------------------------------

/// Placeholders whose value is made by K-Fix from validated names.
const std::set<std::string>& trusted_placeholders() {
  static const std::set<std::string> names{"workload", "containers"};
  return names;
}

/// Placeholders filled with fenced, untrusted data; each must appear once in
/// the user section and nowhere else.
const std::vector<std::string>& data_placeholders() {
  static const std::vector<std::string> names{
    "alert", "context", "events", "logs", "candidates", "similar_incidents"};
  return names;
}

/// The placeholders a section may use.
std::set<std::string> allowed_in(const std::string& section) {
  auto allowed = trusted_placeholders();
  if (section == "user") {
    allowed.insert("task");
    for (const auto& d : data_placeholders())
      allowed.insert(d);
  } else if (section == "repair") {
    allowed = {"problems"};
  }
  return allowed;
}

/// The names of the `{{name}}` placeholders in `text`, in order.
std::vector<std::string> placeholders_of(std::string_view text) {
  std::vector<std::string> names;
  for (size_t pos = text.find("{{"); pos != std::string_view::npos;
       pos = text.find("{{", pos + 2)) {
    auto end = text.find("}}", pos + 2);
    if (end == std::string_view::npos)
      break;
    names.emplace_back(text.substr(pos + 2, end - pos - 2));
  }
  return names;
}

/// Replaces each `{{name}}` by `values[name]` in one pass (inserted values
/// are never scanned again); unknown names stay.
std::string substitute(std::string_view text,
                       const std::map<std::string, std::string>& values) {
  std::string out;
  size_t pos = 0;
  while (true) {
    auto open = text.find("{{", pos);
    auto close
      = open == std::string_view::npos ? open : text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    out.append(text.substr(pos, open - pos));
    std::string name{text.substr(open + 2, close - open - 2)};
    if (auto v = values.find(name); v != values.end())
      out.append(v->second);
    else
      out.append(text.substr(open, close + 2 - open));
    pos = close + 2;
  }
}

std::string trim_lines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  size_t start = 0;
  while (start < text.size() && text[start] == '\n')
    ++start;
  return text.substr(start);
}

// -- ranking ------------------------------------------------------------------

std::string lower(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return std::tolower(c);
  });
  return out;
}

int status_score(const std::string& status) {
  auto s = lower(status);
  if (s == "emergency" || s == "emerg" || s == "alert" || s == "critical"
      || s == "crit" || s == "fatal")
    return 50;
  if (s == "error" || s == "err")
    return 40;
  if (s == "warn" || s == "warning")
    return 20;
  if (s == "debug" || s == "trace")
    return 0;
  return 5;
}

int keyword_score(const std::string& message) {
  static const char* words[]
    = {"oom",       "out of memory", "killed",      "panic",        "fatal",
       "exception", "traceback",     "segfault",    "timeout",      "timed out",
       "refused",   "denied",        "forbidden",   "unauthorized", "failed",
       "failure",   "crash",         "backoff",     "exit code",    "evicted",
       "no space",  "deadline",      "unavailable", "throttl",      "error"};
  auto text = lower(message);
  int score = 0;
  for (const char* w : words)
    if (text.find(w) != std::string::npos)
      score += 5;
  return std::min(score, 20);
}

/// A message with digits collapsed, to find repeats.
std::string repeat_key(const log_record& log) {
  std::string key = lower(log.status) + "|" + log.service + "|";
  bool in_digits = false;
  for (char c : log.message) {
    bool digit = c >= '0' && c <= '9';
    if (!digit)
      key.push_back(c);
    else if (!in_digits)
      key.push_back('#');
    in_digits = digit;
  }
  return key;
}

/// Orders indices by score (higher first), then by `time` (newer first),
/// then by position.
template <class Score, class Time>
std::vector<size_t> by_score(size_t n, Score score, Time time) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    auto sa = score(a);
    auto sb = score(b);
    if (sa != sb)
      return sa > sb;
    return time(a) > time(b);
  });
  return order;
}

bool is_failure_reason(const std::string& reason) {
  static const std::set<std::string> reasons{"OOMKilling",
                                             "OOMKilled",
                                             "SystemOOM",
                                             "BackOff",
                                             "CrashLoopBackOff",
                                             "Failed",
                                             "FailedScheduling",
                                             "Unhealthy",
                                             "Evicted",
                                             "EvictionThresholdMet",
                                             "Killing",
                                             "FailedCreate",
                                             "FailedMount",
                                             "FailedAttachVolume",
                                             "ErrImagePull",
                                             "ImagePullBackOff",
                                             "InvalidImageName",
                                             "ErrImageNeverPull",
                                             "FailedGetResourceMetric",
                                             "FailedComputeMetricsReplicas",
                                             "NodeNotReady",
                                             "FreeDiskSpaceFailed",
                                             "ProbeWarning",
                                             "FailedKillPod",
                                             "FailedPreStopHook",
                                             "FailedPostStartHook",
                                             "ExceededGracePeriod",
                                             "FailedRescale"};
  return reasons.count(reason) > 0;
}

// -- rendering ----------------------------------------------------------------

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// The JSON without what says nothing (empty strings, arrays and objects,
/// nulls), whole numbers without ".0" and other numbers to 4 significant
/// digits (or whole above 1000): the same facts in fewer tokens.
nlohmann::json compact(const nlohmann::json& j) {
  if (j.is_object()) {
    auto out = nlohmann::json::object();
    for (const auto& [key, value] : j.items()) {
      auto v = compact(value);
      if (v.is_null() || (v.is_string() && v.get<std::string>().empty())
          || ((v.is_array() || v.is_object()) && v.empty()))
        continue;
      out[key] = std::move(v);
    }
    return out;
  }
  if (j.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& v : j)
      out.push_back(compact(v));
    return out;
  }
  if (j.is_number_float()) {
    auto x = j.get<double>();
    if (std::isfinite(x) && std::abs(x) < 9e15
        && (std::abs(x) >= 1000 || x == std::floor(x)))
      return static_cast<int64_t>(std::llround(x));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", x);
    return std::strtod(buf, nullptr);
  }
  return j;
}

/// Untrusted text as it goes into a fence: secrets redacted, fences
/// defanged.
std::string clean(std::string_view text) {
  return defang(context::redact(text));
}

/// A fenced block of JSON data: compacted, redacted, defanged.
std::string data_block(const char* kind, const nlohmann::json& j) {
  return fence(kind, clean(dump(compact(j))));
}

constexpr size_t max_line_message_bytes = 600;
constexpr size_t max_prompt_pods = 20;
constexpr size_t max_prompt_log_patterns = 20;
constexpr size_t max_prompt_revisions = 5;

std::string log_line(const log_record& log, size_t repeats) {
  nlohmann::json j{
    {"time", log.timestamp},
    {"status", log.status},
    {"service", log.service},
    {"message", std::string{context::truncate_utf8(context::redact(log.message),
                                                   max_line_message_bytes)}}};
  if (repeats > 1)
    j["repeats"] = repeats;
  return clean(dump(j));
}

std::string event_line(const event_record& ev) {
  nlohmann::json j{
    {"type", ev.type},
    {"reason", ev.reason},
    {"object", ev.involved_kind + "/" + ev.involved_name},
    {"count", ev.count},
    {"last_seen", ev.last_seen},
    {"message", std::string{context::truncate_utf8(context::redact(ev.message),
                                                   max_line_message_bytes)}}};
  return clean(dump(j));
}

/// The bundle without logs and events (they have fences of their own),
/// in a stable order and without timings, so that equal incidents give
/// equal prompts.
nlohmann::json context_json(const context_bundle& bundle) {
  nlohmann::json j = bundle;
  j.erase("logs");
  j.erase("events");
  auto& pods = j["pods"];
  std::sort(pods.begin(), pods.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) {
              auto na = a.value("name", "");
              auto nb = b.value("name", "");
              return na != nb ? na < nb : dump(a) < dump(b);
            });
  if (pods.size() > max_prompt_pods) {
    j["pods_not_shown"] = pods.size() - max_prompt_pods;
    pods.erase(pods.begin() + static_cast<std::ptrdiff_t>(max_prompt_pods),
               pods.end());
  }
  auto& metrics = j["metrics"];
  std::sort(metrics.begin(), metrics.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) {
              return dump(a) < dump(b);
            });
  // Log patterns group every event read, most frequent first: the top
  // ones, with short examples.
  if (auto patterns = j.find("log_patterns"); patterns != j.end()) {
    if (patterns->size() > max_prompt_log_patterns) {
      j["log_patterns_not_shown"] = patterns->size() - max_prompt_log_patterns;
      patterns->erase(patterns->begin()
                        + static_cast<std::ptrdiff_t>(max_prompt_log_patterns),
                      patterns->end());
    }
    for (auto& p : *patterns)
      if (p.contains("example") && p["example"].is_string())
        p["example"] = std::string{context::truncate_utf8(
          p["example"].get<std::string>(), max_line_message_bytes / 2)};
  }
  // Sources in a fixed order (they report in the order they finish).
  auto& sources = j["sources"];
  for (auto& s : sources)
    s.erase("duration_ms");
  std::sort(sources.begin(), sources.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) {
              return dump(a) < dump(b);
            });
  if (auto revisions = j.find("revisions");
      revisions != j.end() && revisions->size() > max_prompt_revisions) {
    j["revisions_not_shown"] = revisions->size() - max_prompt_revisions;
    revisions->erase(revisions->begin()
                       + static_cast<std::ptrdiff_t>(max_prompt_revisions),
                     revisions->end());
  }
  return j;
}

nlohmann::json alert_json(const enriched_alert& alert) {
  nlohmann::json j = alert;
  j["body"] = std::string{context::truncate_utf8(alert.body, 2000)};
  return j;
}

nlohmann::json candidates_json(const decision& rules) {
  return {{"decision", to_string(rules.kind)},
          {"reason", rules.reason},
          {"plans", rules.plans}};
}

nlohmann::json similar_json(const std::vector<similar_incident>& similar) {
  auto out = nlohmann::json::array();
  for (const auto& s : similar)
    out.push_back({{"id", s.id},
                   {"summary", s.summary},
                   {"fix", s.fix},
                   {"outcome", s.outcome}});
  return out;
}

/// A DNS-1123 name (what Kubernetes allows for namespaces, workloads and
/// containers) may appear outside a fence.
bool safe_name(const std::string& name) {
  static const RE2 re{"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?"};
  return RE2::FullMatch(name, re);
}

std::string workload_text(const workload_ref& w) {
  static const RE2 kind_re{"[A-Za-z]{1,40}"};
  if (!RE2::FullMatch(w.kind, kind_re) || !safe_name(w.ns)
      || !safe_name(w.name))
    return "the workload named in the context data";
  return w.display();
}

std::string containers_text(const context_bundle& bundle) {
  std::string out;
  for (const auto& c : bundle.workload.containers)
    if (safe_name(c.name))
      out += (out.empty() ? "" : ", ") + c.name;
  return out.empty() ? "unknown: the workload was not found" : out;
}

/// Lines of a list, oldest first, fenced; `shown` of `total` records are
/// in them (a log line stands for its repeats).
std::string line_fence(const char* kind, const std::vector<std::string>& lines,
                       size_t shown, size_t total) {
  std::string content;
  for (const auto& l : lines)
    content += l + "\n";
  if (!content.empty())
    content.pop_back();
  return fence(kind, content,
               "shown=" + std::to_string(shown)
                 + " total=" + std::to_string(total));
}

/// Greedily keeps the best-ranked lines whose estimates fit `budget`;
/// returns their positions.
std::vector<size_t>
fit(const std::vector<std::pair<size_t, std::string>>& ranked, int64_t budget,
    int64_t& used) {
  std::vector<size_t> kept;
  used = 0;
  for (size_t k = 0; k < ranked.size(); ++k) {
    auto cost = estimate_tokens(ranked[k].second) + 1;
    if (used + cost > budget)
      continue;
    used += cost;
    kept.push_back(k);
  }
  return kept;
}

} // namespace

// -- templates ----------------------------------------------------------------

caf::expected<prompt_template>
parse_prompt_template(std::string_view text, const std::string& origin) {
  auto fail = [&](size_t line, const std::string& what) {
    return make_error(ec::invalid_config,
                      origin + ": line " + std::to_string(line) + ": " + what);
  };
  prompt_template result;
  std::map<std::string, std::string*> sections{
    {"system", &result.system},
    {"user", &result.user},
    {"task llm", &result.task_llm},
    {"task hybrid", &result.task_hybrid},
    {"repair", &result.repair}};
  std::map<std::string, size_t> first_line;
  std::string current;
  std::istringstream in{std::string{text}};
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.rfind("=== ", 0) == 0 && line.size() > 8
        && line.compare(line.size() - 4, 4, " ===") == 0) {
      auto name = line.substr(4, line.size() - 8);
      if (sections.count(name) == 0)
        return fail(number, "unknown section \"" + name
                              + "\" (expected system, user, task llm, task "
                                "hybrid, repair)");
      if (first_line.count(name) > 0)
        return fail(number, "section \"" + name + "\" appears twice");
      first_line[name] = number;
      current = name;
      continue;
    }
    if (current.empty()) {
      if (line.empty() || line[0] == '#')
        continue;
      if (line.rfind("version:", 0) == 0) {
        static const RE2 version_re{"[A-Za-z0-9._-]{1,64}"};
        auto v = line.substr(8);
        v.erase(0, v.find_first_not_of(' '));
        if (!RE2::FullMatch(v, version_re))
          return fail(number, "version must be 1..64 of A-Z a-z 0-9 . _ -");
        result.version = v;
        continue;
      }
      return fail(number, "expected a comment, `version: <name>` or a "
                          "section before the first section");
    }
    auto& target = *sections[current];
    target += line + "\n";
  }
  if (result.version.empty())
    return fail(1, "no `version: <name>` line");
  for (auto& [name, target] : sections) {
    if (first_line.count(name) == 0)
      return fail(number, "section \"" + name + "\" is missing");
    *target = trim_lines(*target);
    auto allowed = allowed_in(name.rfind("task", 0) == 0 ? "task" : name);
    for (const auto& p : placeholders_of(*target))
      if (allowed.count(p) == 0)
        return fail(first_line[name], "section \"" + name + "\": placeholder {{"
                                        + p + "}} is not allowed here");
  }
  auto used = placeholders_of(result.user);
  auto required = data_placeholders();
  required.push_back("task");
  for (const auto& p : required) {
    auto n = std::count(used.begin(), used.end(), p);
    if (n != 1)
      return fail(first_line["user"], "section \"user\" must use {{" + p
                                        + "}} exactly once, not "
                                        + std::to_string(n) + " times");
  }
  auto repair_uses = placeholders_of(result.repair);
  if (std::count(repair_uses.begin(), repair_uses.end(), "problems") == 0)
    return fail(first_line["repair"], "section \"repair\" must use "
                                      "{{problems}}");
  return result;
}

caf::expected<prompt_template> load_prompt_template(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(ec::invalid_config, path + ": cannot be read");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_prompt_template(buf.str(), path);
}

// -- fences -------------------------------------------------------------------

std::string defang(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if ((c == '<' || c == '>') && i + 2 < text.size() && text[i + 1] == c
        && text[i + 2] == c) {
      out.push_back(c);
      out.append(c == '<' ? "\\u003c" : "\\u003e");
      out.push_back(c);
      i += 2;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string fence(std::string_view kind, std::string_view content,
                  std::string_view attrs) {
  // FNV-1a over the content: the same data gives the same fence (replayable
  // prompts), and text inside cannot know the id of its own fence.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : content) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (int shift = 44; shift >= 0; shift -= 4)
    id.push_back(hex[(h >> shift) & 0xf]);
  std::string out = "<<<DATA kind=" + std::string{kind} + " id=" + id;
  if (!attrs.empty())
    out += " " + std::string{attrs};
  out += ">>>\n";
  out.append(content);
  if (!content.empty() && content.back() != '\n')
    out.push_back('\n');
  out += "<<<END DATA id=" + id + ">>>";
  return out;
}

int64_t estimate_tokens(std::string_view text) {
  return static_cast<int64_t>((text.size() + 2) / 3);
}

// -- ranking ------------------------------------------------------------------

std::vector<size_t> rank_logs(const std::vector<log_record>& logs,
                              const enriched_alert& alert) {
  std::vector<std::string> keys;
  keys.reserve(logs.size());
  for (const auto& l : logs)
    keys.push_back(repeat_key(l));
  auto score = [&](size_t i) {
    const auto& l = logs[i];
    int s = status_score(l.status) + keyword_score(l.message);
    if (!l.service.empty()
        && (l.service == alert.service || l.service == alert.workload.name))
      s += 15;
    return s;
  };
  auto order = by_score(logs.size(), score, [&](size_t i) {
    return logs[i].timestamp;
  });
  // The best of each repeated message first, its repeats after all others.
  std::set<std::string> seen;
  std::vector<size_t> firsts;
  std::vector<size_t> repeats;
  for (auto i : order)
    (seen.insert(keys[i]).second ? firsts : repeats).push_back(i);
  firsts.insert(firsts.end(), repeats.begin(), repeats.end());
  return firsts;
}

std::vector<size_t> rank_events(const std::vector<event_record>& events,
                                const workload_ref& workload) {
  auto score = [&](size_t i) {
    const auto& e = events[i];
    double s = e.type == "Warning" ? 30 : 0;
    if (is_failure_reason(e.reason))
      s += 20;
    if (!workload.name.empty()
        && (e.involved_name == workload.name
            || e.involved_name.rfind(workload.name + "-", 0) == 0))
      s += 10;
    s += std::min(10.0, 3 * std::log2(1.0 + std::max(e.count, 0)));
    return s;
  };
  return by_score(events.size(), score, [&](size_t i) {
    return events[i].last_seen;
  });
}

// -- filling ------------------------------------------------------------------

filled_prompt fill_prompt(const prompt_template& tpl, const prompt_inputs& in) {
  const auto& alert = *in.alert;
  const auto& bundle = *in.bundle;
  filled_prompt out;
  out.version = tpl.version;
  std::map<std::string, std::string> values{
    {"workload", workload_text(bundle.workload_found ? bundle.workload.ref
                                                     : alert.workload)},
    {"containers", containers_text(bundle)}};
  values["task"] = substitute(
    in.strategy == "hybrid" ? tpl.task_hybrid : tpl.task_llm, values);
  values["alert"] = data_block("alert", alert_json(alert));
  values["context"] = data_block("context", context_json(bundle));
  static const decision no_rules;
  values["candidates"] = data_block(
    "rules_candidates", candidates_json(in.rules ? *in.rules : no_rules));
  values["similar_incidents"]
    = data_block("similar_incidents", similar_json(in.similar));
  out.system = substitute(tpl.system, values);
  // What is left of the budget goes to events (up to a third first) and
  // logs, the most relevant first.
  out.logs_total = bundle.logs.size();
  out.events_total = bundle.events.size();
  values["events"] = line_fence("events", {}, 0, out.events_total);
  values["logs"] = line_fence("logs", {}, 0, out.logs_total);
  auto fixed = estimate_tokens(out.system)
               + estimate_tokens(substitute(tpl.user, values));
  // The evidence always gets a fifth of the budget, even if the prompt then
  // exceeds it.
  auto room = std::max<int64_t>(in.token_budget - fixed, in.token_budget / 5);
  std::vector<std::pair<size_t, std::string>> events;
  for (auto i : rank_events(bundle.events, bundle.workload.ref))
    events.emplace_back(i, event_line(bundle.events[i]));
  std::map<std::string, size_t> repeat_count;
  for (const auto& l : bundle.logs)
    ++repeat_count[repeat_key(l)];
  std::vector<std::pair<size_t, std::string>> logs;
  std::set<std::string> seen;
  for (auto i : rank_logs(bundle.logs, alert)) {
    auto key = repeat_key(bundle.logs[i]);
    if (seen.insert(key).second)
      logs.emplace_back(i, log_line(bundle.logs[i], repeat_count[key]));
  }
  int64_t events_used = 0;
  int64_t logs_used = 0;
  auto kept_events = fit(events, room / 3, events_used);
  auto kept_logs = fit(logs, room - events_used, logs_used);
  kept_events = fit(events, room - logs_used, events_used);
  // Shown oldest first.
  auto render = [](const std::vector<std::pair<size_t, std::string>>& ranked,
                   std::vector<size_t> kept, auto time) {
    std::sort(kept.begin(), kept.end(), [&](size_t a, size_t b) {
      auto ta = time(ranked[a].first);
      auto tb = time(ranked[b].first);
      return ta != tb ? ta < tb : ranked[a].first < ranked[b].first;
    });
    std::vector<std::string> lines;
    for (auto k : kept)
      lines.push_back(ranked[k].second);
    return lines;
  };
  auto event_lines = render(events, kept_events, [&](size_t i) {
    return bundle.events[i].last_seen;
  });
  auto log_lines = render(logs, kept_logs, [&](size_t i) {
    return bundle.logs[i].timestamp;
  });
  out.events_shown = event_lines.size();
  for (auto k : kept_logs)
    out.logs_shown += repeat_count[repeat_key(bundle.logs[logs[k].first])];
  values["events"]
    = line_fence("events", event_lines, out.events_shown, out.events_total);
  values["logs"]
    = line_fence("logs", log_lines, out.logs_shown, out.logs_total);
  out.user = substitute(tpl.user, values);
  out.estimated_tokens
    = estimate_tokens(out.system) + estimate_tokens(out.user);
  return out;
}

std::string fill_repair(const prompt_template& tpl,
                        const std::string& problems) {
  return substitute(tpl.repair, {{"problems", problems}});
}

} // namespace kfix::reasoning
