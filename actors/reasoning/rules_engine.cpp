#include "actors/reasoning/rules_engine.hpp"

#include "actors/common/quantity.hpp"
#include "actors/reasoning/sizing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kfix::reasoning {

// -- templates
// --------------------------------------------------------------------

namespace {

std::string format_as(const signal_value& v, const std::string& format) {
  if (v.kind != signal_value::number)
    return v.display();
  char buf[64];
  if (format == "mem")
    return describe_memory(static_cast<int64_t>(v.num));
  if (format == "cpu")
    return format_cpu(static_cast<int64_t>(std::llround(v.num * 1000.0)));
  if (format == "pct") {
    std::snprintf(buf, sizeof(buf), "%.0f%%", v.num * 100.0);
    return buf;
  }
  if (format == "int") {
    std::snprintf(buf, sizeof(buf), "%.0f", v.num);
    return buf;
  }
  if (format == "h") {
    std::snprintf(buf, sizeof(buf), "%.1f h", v.num);
    return buf;
  }
  return v.display();
}

/// The container's current value of a vocabulary parameter.
std::string old_value(const incident_facts& f, const std::string& param) {
  auto mem = [](const std::optional<int64_t>& b) {
    return b ? format_memory(*b) : std::string{"unset"};
  };
  auto cpu = [](const std::optional<int64_t>& m) {
    return m ? format_cpu(*m) : std::string{"unset"};
  };
  const auto& r = f.resources;
  if (param == "memory_limit")
    return mem(r.memory_limit);
  if (param == "memory_request")
    return mem(r.memory_request);
  if (param == "cpu_limit")
    return cpu(r.cpu_limit_m);
  if (param == "cpu_request")
    return cpu(r.cpu_request_m);
  if (param == "ephemeral_storage_limit")
    return mem(r.ephemeral_limit);
  if (param == "ephemeral_storage_request")
    return mem(r.ephemeral_request);
  if (param == "replicas")
    return std::to_string(f.replicas);
  return "n/a";
}

} // namespace

std::string render_template(const std::string& text,
                            const incident_signals& signals,
                            const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size() + 64);
  size_t i = 0;
  while (i < text.size()) {
    auto open = text.find('{', i);
    if (open == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    auto close = text.find('}', open);
    if (close == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    out.append(text, i, open - i);
    auto key = text.substr(open + 1, close - open - 1);
    std::string format;
    if (auto bar = key.find('|'); bar != std::string::npos) {
      format = key.substr(bar + 1);
      key = key.substr(0, bar);
    }
    std::string value = "n/a";
    const auto& f = signals.facts;
    if (auto v = values.find(key); v != values.end()) {
      value = v->second;
    } else if (key.rfind("evidence.", 0) == 0) {
      auto e = signals.evidence.find(key.substr(9));
      value = e == signals.evidence.end() ? "n/a" : e->second;
    } else if (key.rfind("old.", 0) == 0) {
      value = old_value(f, key.substr(4));
    } else if (key == "workload") {
      value = f.workload.display();
    } else if (key == "container") {
      value = f.container;
    } else if (const auto* s = signals.values.find(key)) {
      value = format_as(*s, format);
    }
    out += value;
    i = close + 1;
  }
  return out;
}

// -- the engine
// ---------------------------------------------------------------------

namespace {

bool applies(const playbook& pb, alert_type type) {
  return pb.applies_to.empty()
         || std::find(pb.applies_to.begin(), pb.applies_to.end(), type)
              != pb.applies_to.end();
}

bool restarts_pods(action_type t) {
  switch (t) {
    case action_type::set_resources:
    case action_type::rollback:
    case action_type::set_probe:
    case action_type::set_image:
    case action_type::restart:
    case action_type::set_env:
      return true;
    default:
      return false;
  }
}

/// A plan built from a template, or why it could not be.
struct built_plan {
  plan p;
  const plan_template* from = nullptr;
  /// `new.<param>` values for the texts.
  std::map<std::string, std::string> values;
  std::vector<std::string> formulas;
};

/// The rollback to the previous revision: per container whose image
/// changed, `rollback` with `to_revision` and the old `image`; the resources
/// the rollout changed restored with `set_resources`. An error when the
/// revisions differ in nothing these restore.
caf::expected<std::vector<action>> expand_rollback(const incident_facts& f) {
  if (f.current_revision == nullptr || f.previous_revision == nullptr)
    return make_error(ec::refused, "no previous revision to roll back to");
  std::vector<action> out;
  auto revision = std::to_string(f.previous_revision->revision);
  for (const auto& now : f.current_revision->containers) {
    const container_spec* was = nullptr;
    for (const auto& c : f.previous_revision->containers)
      if (c.name == now.name)
        was = &c;
    if (was == nullptr)
      continue;
    if (was->image != now.image) {
      action a;
      a.type = action_type::rollback;
      a.container = now.name;
      a.params = {{"to_revision", revision}, {"image", was->image}};
      out.push_back(std::move(a));
    }
    if (was->requests != now.requests || was->limits != now.limits) {
      action a;
      a.type = action_type::set_resources;
      a.container = now.name;
      for (const auto& [kind, suffix] :
           {std::pair{"requests", "_request"}, std::pair{"limits", "_limit"}}) {
        const auto& before
          = kind == std::string{"requests"} ? was->requests : was->limits;
        const auto& after
          = kind == std::string{"requests"} ? now.requests : now.limits;
        for (const char* res : {"cpu", "memory", "ephemeral-storage"}) {
          auto b = before.find(res);
          auto n = after.find(res);
          std::string key = std::string{res} == "ephemeral-storage"
                              ? std::string{"ephemeral_storage"} + suffix
                              : std::string{res} + suffix;
          if (b == before.end() && n != after.end())
            a.params[key] = "unset";
          else if (b != before.end()
                   && (n == after.end() || n->second != b->second))
            a.params[key] = b->second;
        }
      }
      if (!a.params.empty())
        out.push_back(std::move(a));
    }
  }
  // Restoring a revision in Git means writing its values; what the
  // vocabulary cannot write (command, nodeSelector, ...) cannot be rolled
  // back here.
  if (out.empty())
    return make_error(ec::refused,
                      "revision " + revision
                        + " differs from the current one only in fields a "
                          "GitOps rollback cannot restore (neither image "
                          "nor resources)");
  return out;
}

std::string param_text(const nlohmann::json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_boolean())
    return v.get<bool>() ? "true" : "false";
  if (v.is_number()) {
    double d = v.get<double>();
    if (std::fabs(d - std::round(d)) < 1e-9)
      return std::to_string(static_cast<int64_t>(std::llround(d)));
    return v.dump();
  }
  return v.dump();
}

caf::expected<built_plan> build_plan(const plan_template& t,
                                     const incident_signals& signals,
                                     const sizing_config& sizing,
                                     const policy_config& policy) {
  built_plan b;
  b.from = &t;
  const auto& f = signals.facts;
  for (const auto& at : t.actions) {
    if (at.type == action_type::rollback && at.to == "previous") {
      auto expanded = expand_rollback(f);
      if (!expanded)
        return expanded.error();
      for (auto& a : *expanded)
        b.p.actions.push_back(std::move(a));
      b.values["new.to_revision"]
        = std::to_string(f.previous_revision->revision);
      continue;
    }
    action a;
    a.type = at.type;
    bool containerless = at.type == action_type::scale_replicas
                         || at.type == action_type::set_hpa
                         || at.type == action_type::restart
                         || at.type == action_type::escalate;
    if (!containerless)
      a.container = at.container == "target" ? f.container : at.container;
    if (!containerless && a.container.empty())
      return make_error(ec::refused, "no container to act on");
    // Sized parameters last, so that they can use the literal ones.
    std::vector<std::pair<std::string, std::string>> sized;
    for (const auto& [key, value] : at.params) {
      if (value.is_object() && value.contains("sizing")) {
        sized.emplace_back(key, value["sizing"].get<std::string>());
        continue;
      }
      if (value.is_object() && value.contains("signal")) {
        auto name = value["signal"].get<std::string>();
        const auto* s = signals.values.find(name);
        if (s == nullptr)
          return make_error(ec::refused,
                            key + ": signal " + name + " is not available");
        a.params[key] = s->display();
        continue;
      }
      a.params[key] = render_template(param_text(value), signals, {});
    }
    for (const auto& [key, method] : sized) {
      sizing_inputs in{signals, sizing, policy, a.params};
      auto v = size(method, in);
      if (!v)
        return make_error(ec::refused, key + ": " + render(v.error()));
      a.params[key] = v->value;
      b.formulas.push_back(key + " = " + v->formula);
    }
    for (const auto& [key, value] : a.params)
      b.values["new." + key] = value;
    b.p.actions.push_back(std::move(a));
  }
  return b;
}

/// The blast radius of a plan: pods restarted and what it adds against the
/// namespace quota.
std::string blast_radius(const plan& p, const incident_facts& f) {
  bool restart
    = std::any_of(p.actions.begin(), p.actions.end(), [](const action& a) {
        return restarts_pods(a.type);
      });
  std::string text
    = restart
        ? "Blast radius: a rolling restart of " + std::to_string(f.replicas)
            + " pod(s) of " + f.workload.display()
        : "Blast radius: no pod is restarted by the change itself";
  for (const auto& a : p.actions) {
    if (a.type != action_type::set_resources || a.container != f.container)
      continue;
    auto delta = [&](const char* key, const std::optional<int64_t>& old,
                     bool memory) -> std::string {
      auto v = a.param(key);
      if (v.empty() || v == "unset")
        return {};
      auto q = parse_quantity(v);
      if (!q)
        return {};
      double now = memory ? static_cast<double>(q->bytes())
                          : static_cast<double>(q->millis());
      double was = old ? static_cast<double>(*old) : 0;
      double total = (now - was) * f.replicas;
      if (total == 0)
        return {};
      std::string amount
        = memory ? describe_memory(static_cast<int64_t>(std::fabs(total)))
                 : format_cpu(static_cast<int64_t>(std::fabs(total)));
      return (total > 0 ? "+" : "-") + amount;
    };
    std::vector<std::string> parts;
    for (auto [key, old, memory, quota] :
         {std::tuple{"memory_request", f.resources.memory_request, true,
                     "requests.memory"},
          std::tuple{"memory_limit", f.resources.memory_limit, true,
                     "limits.memory"},
          std::tuple{"cpu_request", f.resources.cpu_request_m, false,
                     "requests.cpu"},
          std::tuple{"cpu_limit", f.resources.cpu_limit_m, false,
                     "limits.cpu"}}) {
      auto d = delta(key, old, memory);
      if (d.empty())
        continue;
      std::string part = quota + std::string{" "} + d;
      if (auto i = f.quota_headroom.find(quota); i != f.quota_headroom.end())
        part += " (headroom "
                + (memory ? describe_memory(static_cast<int64_t>(i->second))
                          : format_cpu(static_cast<int64_t>(i->second * 1000)))
                + ")";
      parts.push_back(part);
    }
    if (!parts.empty()) {
      text += "; against the namespace quota:";
      for (size_t i = 0; i < parts.size(); ++i)
        text += (i ? ", " : " ") + parts[i];
    }
  }
  for (const auto& a : p.actions)
    if (a.type == action_type::set_hpa && !a.param("max_replicas").empty())
      text += "; up to " + a.param("max_replicas")
              + " replicas may run once the HPA scales";
  return text + ".";
}

decision decide_with(const playbook& pb, const incident_signals& signals,
                     const std::vector<std::string>& why,
                     const sizing_config& sizing, const policy_config& policy) {
  decision d;
  d.kind = pb.decision;
  d.strategy = "rules";
  std::string matched = "playbook " + pb.name + " (" + pb.file + ")";
  if (!why.empty()) {
    matched += " because ";
    for (size_t i = 0; i < why.size(); ++i)
      matched += (i ? ", " : "") + why[i];
  }
  d.notes.push_back(matched);
  if (auto n = signals.values.number("logs.injection"); n && *n > 0)
    d.notes.push_back(
      std::to_string(static_cast<int>(*n))
      + " log or event line(s) read like instructions to an automated "
        "agent; K-Fix treats log and event text as data and ignored them");
  if (pb.decision != decision_kind::fix) {
    d.reason = render_template(pb.reason, signals, {});
    return d;
  }
  std::vector<built_plan> built;
  std::vector<std::string> dropped;
  for (const auto& t : pb.plans) {
    if (!t.when.holds(signals.values))
      continue;
    auto b = build_plan(t, signals, sizing, policy);
    if (!b) {
      dropped.push_back(t.id + ": " + render(b.error()));
      continue;
    }
    built.push_back(std::move(*b));
  }
  for (const auto& why_dropped : dropped)
    d.notes.push_back("plan " + why_dropped);
  if (built.empty()) {
    d.kind = decision_kind::escalate;
    d.reason = render_template(pb.reason, signals, {})
               + " No plan fits, so people decide: ";
    for (size_t i = 0; i < dropped.size(); ++i)
      d.reason += (i ? "; " : "") + dropped[i];
    return d;
  }
  // Texts, alternatives and ranks.
  for (size_t i = 0; i < built.size(); ++i) {
    auto& b = built[i];
    const auto& t = *b.from;
    auto& p = b.p;
    p.id = "p" + std::to_string(i + 1);
    p.source = "playbook:" + pb.name + "/" + t.id;
    p.confidence = t.confidence;
    p.title = render_template(t.title, signals, b.values);
    p.justification = render_template(t.justification, signals, b.values);
    if (!b.formulas.empty()) {
      p.justification += " Sizing: ";
      for (size_t k = 0; k < b.formulas.size(); ++k)
        p.justification += (k ? "; " : "") + b.formulas[k];
      p.justification += ".";
    }
    p.expected_effect = render_template(t.expected_effect, signals, b.values);
    p.risk = render_template(t.risk, signals, b.values) + " "
             + blast_radius(p, signals.facts);
    p.rollback = render_template(t.rollback, signals, b.values);
  }
  for (size_t i = 0; i < built.size(); ++i) {
    auto& p = built[i].p;
    for (size_t j = 0; j < built.size(); ++j) {
      if (i == j)
        continue;
      const auto& other = built[j];
      std::string text = other.p.title;
      if (j > i)
        text += " (ranked lower: "
                + (other.from->ranks_lower_because.empty()
                     ? std::string{"less direct for this evidence"}
                     : render_template(other.from->ranks_lower_because, signals,
                                       other.values))
                + ")";
      else
        text += " (ranked higher)";
      p.alternatives.push_back(std::move(text));
    }
    for (const auto& alt : pb.alternatives)
      p.alternatives.push_back(render_template(alt, signals, {}));
  }
  d.reason = render_template(pb.reason, signals, {});
  for (auto& b : built)
    d.plans.push_back(std::move(b.p));
  return d;
}

} // namespace

decision run_playbooks(const playbook_set& playbooks,
                       const incident_signals& signals,
                       const sizing_config& sizing,
                       const policy_config& policy) {
  auto type = signals.facts.alert.type;
  for (const auto& pb : playbooks.playbooks) {
    if (!applies(pb, type))
      continue;
    std::vector<std::string> why;
    if (!pb.when.holds(signals.values, &why))
      continue;
    return decide_with(pb, signals, why, sizing, policy);
  }
  decision d;
  d.kind = decision_kind::escalate;
  d.strategy = "rules";
  d.reason = "no playbook applies to this " + std::string{to_string(type)}
             + " alert on " + signals.facts.workload.display()
             + "; people decide with the gathered context";
  for (const auto& topic : {"pods", "events", "rollout", "logs"})
    if (auto e = signals.evidence.find(topic); e != signals.evidence.end())
      d.reason += ". " + e->second;
  return d;
}

} // namespace kfix::reasoning
