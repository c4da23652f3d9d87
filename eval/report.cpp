#include "eval/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace kfix::eval {

// -- report.json
// ----------------------------------------------------------------

nlohmann::json report_json(const eval_report& r) {
  nlohmann::json j;
  j["schema"] = "kfix-eval-report/v1";
  j["dataset"] = r.dataset;
  j["generated_at"] = r.generated_at;
  j["load_problems"] = nlohmann::json::array();
  for (const auto& p : r.load_problems)
    j["load_problems"].push_back({{"dir", p.dir}, {"reason", p.reason}});
  j["strategies"] = nlohmann::json::object();
  for (const auto& s : r.strategies) {
    nlohmann::json sj;
    sj["skipped"] = s.skipped;
    sj["skip_reason"] = s.skip_reason;
    sj["wall_ms"] = s.wall_ms;
    sj["incidents_per_second"] = s.incidents_per_second;
    sj["summary"] = s.summary;
    sj["per_type"] = s.per_type;
    sj["per_env"] = s.per_env;
    sj["incidents"] = s.incidents;
    j["strategies"][s.name] = std::move(sj);
  }
  return j;
}

namespace {

std::string pct(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %%", x * 100.0);
  return buf;
}

std::string num(double x, int digits = 1) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

/// What an incident score says in one word.
std::string verdict_word(const incident_score& s) {
  if (s.unsafe_published > 0)
    return "UNSAFE";
  if (s.decision == "error")
    return "error";
  return s.top1_correct ? "ok" : "wrong";
}

std::string summary_row(const std::string& label, const score_summary& x) {
  return "| " + label + " | " + std::to_string(x.incidents) + " | "
         + pct(x.decision_accuracy) + " | " + pct(x.top1_correct_rate) + " | "
         + pct(x.any3_correct_rate) + " | " + std::to_string(x.unsafe_published)
         + " | " + std::to_string(x.false_rejections) + " | "
         + pct(x.complete_rate) + " | " + num(x.p50_ms, 0) + " | "
         + num(x.p95_ms, 0) + " |\n";
}

const char* summary_header
  = "| | incidents | decision | top-1 | any@3 | unsafe | false rej. | "
    "complete | p50 ms | p95 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    "---:|---:|\n";

} // namespace

// -- report.md
// ------------------------------------------------------------------

std::string report_markdown(const eval_report& r) {
  std::ostringstream out;
  out << "# K-Fix eval: " << r.dataset << "\n\n";
  out << "Generated " << r.generated_at << ".\n\n";
  out << "## Strategies\n\n" << summary_header;
  for (const auto& s : r.strategies) {
    if (s.skipped)
      out << "| " << s.name << " | skipped: " << s.skip_reason
          << " | | | | | | | | |\n";
    else
      out << summary_row(s.name, s.summary);
  }
  for (const auto& s : r.strategies) {
    if (s.skipped)
      continue;
    out << "\n## " << s.name << "\n\n";
    out << std::to_string(s.summary.incidents) << " incidents in "
        << num(static_cast<double>(s.wall_ms) / 1000.0, 2) << " s ("
        << num(s.incidents_per_second) << " incidents/s)";
    if (s.summary.llm_tokens > 0)
      out << ", " << s.summary.llm_tokens << " LLM tokens, $"
          << num(s.summary.llm_cost_usd, 4);
    if (s.summary.human_closeness)
      out << ", closeness to " << s.summary.human_fixes << " human fixes "
          << pct(*s.summary.human_closeness);
    out << ".\n\n### Per alert type\n\n" << summary_header;
    for (const auto& [type, x] : s.per_type)
      out << summary_row(type, x);
    out << "\n### Per env\n\n" << summary_header;
    for (const auto& [env, x] : s.per_env)
      out << summary_row(env, x);
    std::vector<const incident_score*> misses;
    for (const auto& i : s.incidents)
      if (!i.top1_correct || i.unsafe_published > 0 || !i.complete)
        misses.push_back(&i);
    out << "\n### Incidents not right (" << misses.size() << ")\n\n";
    if (misses.empty())
      out << "None.\n";
    else
      out << "| incident | type | expected | got | verdict | reason |\n"
             "|---|---|---|---|---|---|\n";
    for (const auto* i : misses) {
      auto reason
        = i->unsafe_reasons.empty() ? i->reason : i->unsafe_reasons.front();
      std::replace(reason.begin(), reason.end(), '|', '/');
      std::replace(reason.begin(), reason.end(), '\n', ' ');
      if (reason.size() > 160)
        reason = reason.substr(0, 157) + "...";
      out << "| " << i->id << " | " << i->alert_type << " | "
          << i->expected_decision << " | " << i->decision << " | "
          << verdict_word(*i) << (i->complete ? "" : ", incomplete") << " | "
          << reason << " |\n";
    }
  }
  if (!r.load_problems.empty()) {
    out << "\n## Not loaded\n\n";
    for (const auto& p : r.load_problems)
      out << "- `" << p.dir << "`: " << p.reason << "\n";
  }
  return out.str();
}

// -- report.html
// ----------------------------------------------------------------

namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* palette[]
  = {"#3b7dd8", "#e07b39", "#4aa564", "#a45fc4", "#c9a227", "#5a6b7d"};

/// Horizontal grouped bars: one group per label, one bar per series, values
/// in [0, 1].
std::string bar_chart(const std::string& title,
                      const std::vector<std::string>& labels,
                      const std::vector<std::string>& series,
                      const std::vector<std::vector<double>>& values) {
  const int label_w = 170;
  const int bar_w = 420;
  const int bar_h = 12;
  const int group_h = static_cast<int>(series.size()) * (bar_h + 2) + 8;
  const int height = 40 + static_cast<int>(labels.size()) * group_h + 20;
  std::ostringstream svg;
  svg << "<svg class=\"chart\" width=\"" << label_w + bar_w + 70
      << "\" height=\"" << height << "\" role=\"img\" aria-label=\""
      << html_escape(title) << "\">";
  svg << "<text x=\"0\" y=\"16\" class=\"ct\">" << html_escape(title)
      << "</text>";
  for (size_t k = 0; k < series.size(); ++k)
    svg << "<rect x=\"" << label_w + static_cast<int>(k) * 110
        << "\" y=\"24\" width=\"10\" height=\"10\" fill=\"" << palette[k % 6]
        << "\"/><text x=\"" << label_w + 14 + static_cast<int>(k) * 110
        << "\" y=\"33\">" << html_escape(series[k]) << "</text>";
  for (size_t i = 0; i < labels.size(); ++i) {
    int y = 40 + static_cast<int>(i) * group_h;
    svg << "<text x=\"0\" y=\"" << y + group_h / 2 + 4 << "\">"
        << html_escape(labels[i]) << "</text>";
    for (size_t k = 0; k < series.size(); ++k) {
      double v = std::clamp(values[k][i], 0.0, 1.0);
      int by = y + static_cast<int>(k) * (bar_h + 2);
      svg << "<rect x=\"" << label_w << "\" y=\"" << by << "\" width=\""
          << static_cast<int>(v * bar_w) << "\" height=\"" << bar_h
          << "\" fill=\"" << palette[k % 6] << "\"><title>"
          << html_escape(series[k] + " " + labels[i] + ": " + pct(v))
          << "</title></rect><text x=\""
          << label_w + static_cast<int>(v * bar_w) + 4 << "\" y=\""
          << by + bar_h - 2 << "\" class=\"v\">" << pct(v) << "</text>";
    }
  }
  svg << "</svg>";
  return svg.str();
}

/// Latency histogram per strategy (log-spaced bins).
std::string latency_chart(const eval_report& r) {
  const std::vector<double> edges{0,   10,   20,   50,   100, 200,
                                  500, 1000, 2000, 5000, 1e12};
  std::vector<std::string> labels;
  for (size_t b = 0; b + 1 < edges.size(); ++b)
    labels.push_back(b + 2 == edges.size()
                       ? "> " + num(edges[b], 0) + " ms"
                       : num(edges[b], 0) + "-" + num(edges[b + 1], 0) + " ms");
  std::vector<std::string> series;
  std::vector<std::vector<double>> values;
  for (const auto& s : r.strategies) {
    if (s.skipped || s.incidents.empty())
      continue;
    std::vector<double> counts(labels.size(), 0);
    for (const auto& i : s.incidents)
      for (size_t b = 0; b + 1 < edges.size(); ++b)
        if (static_cast<double>(i.latency_ms) >= edges[b]
            && static_cast<double>(i.latency_ms) < edges[b + 1])
          counts[b] += 1;
    for (auto& c : counts)
      c /= static_cast<double>(s.incidents.size());
    series.push_back(s.name);
    values.push_back(std::move(counts));
  }
  return bar_chart("Latency per incident (share of incidents)", labels, series,
                   values);
}

std::string summary_table_html(const std::string& label,
                               const std::map<std::string, score_summary>& m) {
  std::ostringstream out;
  out << "<table><tr><th>" << html_escape(label)
      << "</th><th>incidents</th><th>decision</th><th>top-1</th>"
         "<th>any@3</th><th>unsafe</th><th>false rej.</th><th>complete</th>"
         "<th>p50 ms</th><th>p95 ms</th></tr>";
  for (const auto& [k, x] : m)
    out << "<tr><td>" << html_escape(k) << "</td><td>" << x.incidents
        << "</td><td>" << pct(x.decision_accuracy) << "</td><td>"
        << pct(x.top1_correct_rate) << "</td><td>" << pct(x.any3_correct_rate)
        << "</td><td" << (x.unsafe_published > 0 ? " class=\"bad\"" : "") << ">"
        << x.unsafe_published << "</td><td>" << x.false_rejections
        << "</td><td>" << pct(x.complete_rate) << "</td><td>"
        << num(x.p50_ms, 0) << "</td><td>" << num(x.p95_ms, 0) << "</td></tr>";
  out << "</table>";
  return out.str();
}

std::string incident_html(const incident_score& i) {
  std::ostringstream out;
  auto word = verdict_word(i);
  out << "<details><summary><span class=\"tag " << word << "\">" << word
      << "</span> <b>" << html_escape(i.id) << "</b> "
      << html_escape(i.alert_type) << " · expected "
      << html_escape(i.expected_decision) << ", got " << html_escape(i.decision)
      << " · " << i.latency_ms << " ms</summary><div class=\"inc\">";
  out << "<p>" << html_escape(i.title) << "</p>";
  if (!i.reason.empty())
    out << "<p><i>" << html_escape(i.reason) << "</i></p>";
  for (const auto& why : i.unsafe_reasons)
    out << "<p class=\"bad\">unsafe: " << html_escape(why) << "</p>";
  if (i.human_closeness)
    out << "<p>closeness to the human fix: " << pct(*i.human_closeness)
        << "</p>";
  if (!i.plans.empty()) {
    out << "<table><tr><th>#</th><th>plan</th><th>actions</th><th>accept</th>"
           "<th>reject</th><th>safety</th><th>published</th></tr>";
    for (const auto& p : i.plans)
      out << "<tr><td>" << p.rank << "</td><td>" << html_escape(p.title)
          << (p.complete ? "" : " <span class=\"bad\">(incomplete)</span>")
          << "</td><td><code>" << html_escape(p.actions.dump())
          << "</code></td><td>"
          << (p.accept_match >= 0 ? "#" + std::to_string(p.accept_match) : "")
          << "</td><td" << (p.reject_match >= 0 ? " class=\"bad\">#" : ">")
          << (p.reject_match >= 0 ? std::to_string(p.reject_match) : "")
          << "</td><td>"
          << (!p.safety_accepted ? std::string{"-"}
              : *p.safety_accepted
                ? std::string{"accepted"}
                : "rejected: " + html_escape(p.safety_reasons))
          << "</td><td>" << (p.published ? "yes" : "") << "</td></tr>";
    out << "</table>";
  }
  if (!i.diff.empty())
    out << "<pre>" << html_escape(i.diff) << "</pre>";
  out << "</div></details>";
  return out.str();
}

} // namespace

std::string report_html(const eval_report& r) {
  std::ostringstream out;
  out << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<title>K-Fix eval: "
      << html_escape(r.dataset)
      << "</title><style>"
         "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}"
         "table{border-collapse:collapse;margin:8px 0}"
         "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
         "td:first-child,th:first-child{text-align:left}"
         ".chart text{font:11px sans-serif}.chart .ct{font-weight:bold}"
         ".bad{color:#b00}.tag{display:inline-block;padding:0 6px;"
         "border-radius:3px;color:#fff;font-size:12px}.tag.ok{background:"
         "#4aa564}.tag.wrong{background:#e07b39}.tag.UNSAFE,.tag.error{"
         "background:#b00}pre{background:#f6f6f6;padding:8px;overflow:auto}"
         "details{margin:2px 0}.inc{margin:4px 0 12px 16px}code{font-size:"
         "12px}</style></head><body>";
  out << "<h1>K-Fix eval: " << html_escape(r.dataset) << "</h1><p>Generated "
      << html_escape(r.generated_at) << ".</p>";
  std::map<std::string, score_summary> by_strategy;
  for (const auto& s : r.strategies)
    if (!s.skipped)
      by_strategy[s.name] = s.summary;
  out << "<h2>Strategies</h2>" << summary_table_html("strategy", by_strategy);
  for (const auto& s : r.strategies)
    if (s.skipped)
      out << "<p>" << html_escape(s.name)
          << " skipped: " << html_escape(s.skip_reason) << "</p>";
  // Charts: strategy comparison, per-type top-1, latency.
  std::vector<std::string> names;
  std::vector<const strategy_report*> run;
  for (const auto& s : r.strategies)
    if (!s.skipped) {
      names.push_back(s.name);
      run.push_back(&s);
    }
  if (!run.empty()) {
    std::vector<std::string> figures{"decision accuracy", "top-1 correct",
                                     "any correct @3", "complete"};
    std::vector<std::vector<double>> values;
    for (const auto* s : run)
      values.push_back(
        {s->summary.decision_accuracy, s->summary.top1_correct_rate,
         s->summary.any3_correct_rate, s->summary.complete_rate});
    out << bar_chart("Strategy comparison", figures, names, values);
    std::set<std::string> types;
    for (const auto* s : run)
      for (const auto& [t, x] : s->per_type)
        types.insert(t);
    std::vector<std::string> type_labels(types.begin(), types.end());
    std::vector<std::vector<double>> type_values;
    for (const auto* s : run) {
      std::vector<double> v;
      for (const auto& t : type_labels) {
        auto i = s->per_type.find(t);
        v.push_back(i == s->per_type.end() ? 0 : i->second.top1_correct_rate);
      }
      type_values.push_back(std::move(v));
    }
    out << bar_chart("Top-1 correct per alert type", type_labels, names,
                     type_values);
    out << latency_chart(r);
  }
  for (const auto* s : run) {
    out << "<h2>" << html_escape(s->name) << "</h2><p>" << s->summary.incidents
        << " incidents in " << num(static_cast<double>(s->wall_ms) / 1000.0, 2)
        << " s (" << num(s->incidents_per_second) << "/s).</p>";
    out << "<h3>Per alert type</h3>"
        << summary_table_html("alert type", s->per_type);
    out << "<h3>Per env</h3>" << summary_table_html("env", s->per_env);
    out << "<h3>Incidents</h3>";
    for (const auto& i : s->incidents)
      out << incident_html(i);
  }
  if (!r.load_problems.empty()) {
    out << "<h2>Not loaded</h2><ul>";
    for (const auto& p : r.load_problems)
      out << "<li><code>" << html_escape(p.dir)
          << "</code>: " << html_escape(p.reason) << "</li>";
    out << "</ul>";
  }
  out << "</body></html>\n";
  return out.str();
}

// -- diff and gate
// --------------------------------------------------------------

size_t report_diff::regressions() const {
  return static_cast<size_t>(
    std::count_if(changes.begin(), changes.end(), [](const report_change& c) {
      return c.kind == "regression";
    }));
}

namespace {

/// The summary figures that are gated and compared ("higher is better"
/// unless listed in `lower_is_better`).
const std::vector<std::string>& compared_figures() {
  static const std::vector<std::string> figures{
    "decision_accuracy", "top1_correct_rate", "any3_correct_rate",
    "complete_rate",     "unsafe_published",  "false_rejections"};
  return figures;
}

bool lower_is_better(const std::string& figure) {
  return figure == "unsafe_published" || figure == "false_rejections";
}

double number_at(const nlohmann::json& j, const std::string& key) {
  auto i = j.find(key);
  return i != j.end() && i->is_number() ? i->get<double>() : 0.0;
}

bool flag_at(const nlohmann::json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_boolean() && i->get<bool>();
}

/// An incident's standing, worst first: unsafe, wrong, right.
int standing(const nlohmann::json& i) {
  if (number_at(i, "unsafe_published") > 0)
    return 0;
  return flag_at(i, "top1_correct") ? 2 : 1;
}

std::string describe(const nlohmann::json& i) {
  std::string text = "decision " + i.value("decision", std::string{}) + " ("
                     + (flag_at(i, "top1_correct") ? "correct" : "wrong") + ")";
  if (number_at(i, "unsafe_published") > 0)
    text += ", UNSAFE";
  return text;
}

} // namespace

caf::expected<report_diff> diff_reports(const nlohmann::json& before,
                                        const nlohmann::json& after) {
  for (const auto* r : {&before, &after})
    if (!r->is_object() || !r->contains("strategies")
        || !(*r)["strategies"].is_object())
      return make_error(ec::invalid_input,
                        "not an eval report: no `strategies` object");
  report_diff d;
  for (const auto& [name, now] : after["strategies"].items()) {
    if (!before["strategies"].contains(name))
      continue;
    const auto& was = before["strategies"][name];
    for (const auto& f : compared_figures())
      d.figures[name][f]
        = {number_at(was.value("summary", nlohmann::json{}), f),
           number_at(now.value("summary", nlohmann::json{}), f)};
    auto old_incidents = was.value("incidents", nlohmann::json::array());
    auto new_incidents = now.value("incidents", nlohmann::json::array());
    std::map<std::string, const nlohmann::json*> old_by_id;
    for (const auto& i : old_incidents)
      old_by_id[i.value("id", std::string{})] = &i;
    std::set<std::string> seen;
    for (const auto& i : new_incidents) {
      auto id = i.value("id", std::string{});
      seen.insert(id);
      auto o = old_by_id.find(id);
      if (o == old_by_id.end()) {
        d.changes.push_back({name, id, "new", describe(i)});
        continue;
      }
      int a = standing(*o->second);
      int b = standing(i);
      if (a == b)
        continue;
      d.changes.push_back({name, id, b < a ? "regression" : "improvement",
                           describe(*o->second) + " -> " + describe(i)});
    }
    for (const auto& [id, o] : old_by_id)
      if (seen.count(id) == 0)
        d.changes.push_back({name, id, "gone", describe(*o)});
  }
  return d;
}

std::string render_diff(const report_diff& d) {
  std::ostringstream out;
  for (const auto& [name, figures] : d.figures) {
    out << name << "\n";
    for (const auto& [f, v] : figures) {
      auto delta = v.second - v.first;
      bool worse = lower_is_better(f) ? delta > 0 : delta < 0;
      out << "  " << f << ": " << num(v.first, 3) << " -> " << num(v.second, 3)
          << (delta == 0 ? ""
              : worse    ? "  (worse)"
                         : "  (better)")
          << "\n";
    }
  }
  for (const auto& c : d.changes)
    out << c.kind << "  " << c.strategy << "  " << c.incident << ": "
        << c.detail << "\n";
  out << d.regressions() << " regression(s)\n";
  return out.str();
}

std::vector<std::string> gate_failures(const nlohmann::json& report,
                                       const nlohmann::json& baseline) {
  std::vector<std::string> failures;
  if (!report.contains("strategies") || !baseline.contains("strategies")) {
    failures.push_back("report or baseline has no `strategies`");
    return failures;
  }
  for (const auto& [name, now] : report["strategies"].items()) {
    if (flag_at(now, "skipped"))
      continue;
    auto summary = now.value("summary", nlohmann::json{});
    if (number_at(summary, "unsafe_published") > 0)
      failures.push_back(name + ": unsafe_published is "
                         + num(number_at(summary, "unsafe_published"), 0)
                         + " (must be 0)");
    if (!baseline["strategies"].contains(name))
      continue;
    auto base = baseline["strategies"][name].value("summary", nlohmann::json{});
    for (const auto& f : compared_figures()) {
      if (!base.contains(f))
        continue;
      double b = number_at(base, f);
      double v = number_at(summary, f);
      // Rates are compared to 1e-9 so that a baseline written from a run
      // passes that run.
      bool worse = lower_is_better(f) ? v > b + 1e-9 : v < b - 1e-9;
      if (worse)
        failures.push_back(name + ": " + f + " " + num(v, 4)
                           + (lower_is_better(f) ? " above" : " below")
                           + " the baseline " + num(b, 4));
    }
  }
  for (const auto& [name, base] : baseline["strategies"].items())
    if (!report["strategies"].contains(name))
      failures.push_back(name + ": in the baseline but not run");
  return failures;
}

nlohmann::json baseline_of(const nlohmann::json& report) {
  nlohmann::json b;
  b["schema"] = "kfix-eval-baseline/v1";
  b["dataset"] = report.value("dataset", std::string{});
  b["strategies"] = nlohmann::json::object();
  for (const auto& [name, s] : report["strategies"].items()) {
    if (flag_at(s, "skipped"))
      continue;
    nlohmann::json summary;
    for (const auto& f : compared_figures())
      summary[f] = s["summary"].value(f, 0.0);
    summary["incidents"] = s["summary"].value("incidents", 0);
    b["strategies"][name]["summary"] = std::move(summary);
  }
  return b;
}

} // namespace kfix::eval
