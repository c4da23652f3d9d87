#include "actors/reasoning/playbook.hpp"

#include "actors/reasoning/sizing.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace kfix::reasoning {

namespace fs = std::filesystem;

// -- conditions
// -------------------------------------------------------------------

namespace {

std::string json_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

bool compare_number(double x, const std::string& op, double y) {
  if (op == "lt")
    return x < y;
  if (op == "le")
    return x <= y;
  if (op == "gt")
    return x > y;
  if (op == "ge")
    return x >= y;
  if (op == "eq")
    return x == y;
  if (op == "ne")
    return x != y;
  return false;
}

const char* op_symbol(const std::string& op) {
  if (op == "lt")
    return "<";
  if (op == "le")
    return "<=";
  if (op == "gt")
    return ">";
  if (op == "ge")
    return ">=";
  if (op == "eq")
    return "=";
  if (op == "ne")
    return "!=";
  return op.c_str();
}

} // namespace

bool condition::holds(const signal_map& s,
                      std::vector<std::string>* why) const {
  switch (kind) {
    case always:
      return true;
    case all:
      for (const auto& c : children)
        if (!c.holds(s, why))
          return false;
      return true;
    case any:
      for (const auto& c : children)
        if (c.holds(s, why))
          return true;
      return false;
    case negate:
      return !children.front().holds(s, nullptr);
    case compare:
      break;
  }
  const auto* v = s.find(signal);
  bool result = false;
  if (op == "exists") {
    result = (v != nullptr) == value.get<bool>();
  } else if (v == nullptr) {
    result = false;
  } else if (op == "is") {
    result = v->kind == signal_value::flag && v->on == value.get<bool>();
  } else if (op == "in") {
    for (const auto& member : value)
      if (json_text(member) == v->display() || json_text(member) == v->str)
        result = true;
  } else if (v->kind == signal_value::number && value.is_number()) {
    result = compare_number(v->num, op, value.get<double>());
  } else if (op == "eq" || op == "ne") {
    bool equal = v->display() == json_text(value);
    result = op == "eq" ? equal : !equal;
  }
  if (result && why != nullptr && op != "exists")
    why->push_back(signal + " " + v->display() + " " + op_symbol(op) + " "
                   + json_text(value));
  return result;
}

// -- parsing
// ------------------------------------------------------------------------

const std::vector<std::string>& sizing_method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& m : sizing_methods())
      out.push_back(m.name);
    return out;
  }();
  return names;
}

namespace {

/// Where a parse error is: "config/playbooks/oom.yaml: playbook oom-bump:
/// plans[1].actions[0]".
struct location {
  std::string file;
  std::string where;

  caf::error fail(const std::string& what) const {
    return make_error(ec::invalid_config, file + ": " + where + ": " + what);
  }
  location at(const std::string& sub) const {
    return {file, where.empty() ? sub : where + "." + sub};
  }
};

/// A plain YAML scalar as JSON: booleans and numbers typed, the rest text.
nlohmann::json scalar_json(const YAML::Node& n) {
  const auto& text = n.Scalar();
  if (n.Tag() == "!")
    return text; // quoted: always a string
  if (text == "true" || text == "True")
    return true;
  if (text == "false" || text == "False")
    return false;
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size())
    return d;
  return text;
}

nlohmann::json to_json(const YAML::Node& n) {
  if (n.IsScalar())
    return scalar_json(n);
  if (n.IsSequence()) {
    auto out = nlohmann::json::array();
    for (const auto& e : n)
      out.push_back(to_json(e));
    return out;
  }
  if (n.IsMap()) {
    auto out = nlohmann::json::object();
    for (const auto& kv : n)
      out[kv.first.Scalar()] = to_json(kv.second);
    return out;
  }
  return nullptr;
}

caf::error check_keys(const YAML::Node& n, const location& loc,
                      std::initializer_list<const char*> keys) {
  for (const auto& kv : n) {
    auto key = kv.first.Scalar();
    if (std::find_if(keys.begin(), keys.end(),
                     [&](const char* k) {
                       return key == k;
                     })
        == keys.end())
      return loc.fail("unknown key " + key);
  }
  return caf::none;
}

caf::expected<std::string> text_of(const YAML::Node& n, const char* key,
                                   const location& loc, bool required) {
  auto v = n[key];
  if (!v) {
    if (required)
      return loc.fail(std::string{key} + ": missing");
    return std::string{};
  }
  if (!v.IsScalar())
    return loc.fail(std::string{key} + ": must be text");
  return v.Scalar();
}

caf::expected<condition> parse_condition(const YAML::Node& n,
                                         const location& loc) {
  condition c;
  if (!n || n.IsNull())
    return c;
  if (n.IsSequence()) {
    c.kind = condition::all;
    for (size_t i = 0; i < n.size(); ++i) {
      auto child = parse_condition(n[i], loc.at("[" + std::to_string(i) + "]"));
      if (!child)
        return child.error();
      c.children.push_back(std::move(*child));
    }
    return c;
  }
  if (!n.IsMap())
    return loc.fail("a condition is a mapping or a list");
  for (const char* combinator : {"all", "any"}) {
    if (auto list = n[combinator]) {
      if (!list.IsSequence())
        return loc.fail(std::string{combinator} + ": must be a list");
      auto parsed = parse_condition(list, loc.at(combinator));
      if (!parsed)
        return parsed.error();
      parsed->kind
        = combinator == std::string{"all"} ? condition::all : condition::any;
      return parsed;
    }
  }
  if (auto inner = n["not"]) {
    auto parsed = parse_condition(inner, loc.at("not"));
    if (!parsed)
      return parsed.error();
    c.kind = condition::negate;
    c.children.push_back(std::move(*parsed));
    return c;
  }
  auto signal = text_of(n, "signal", loc, true);
  if (!signal)
    return signal.error();
  c.kind = condition::compare;
  c.signal = *signal;
  for (const auto& kv : n) {
    auto key = kv.first.Scalar();
    if (key == "signal")
      continue;
    static const std::vector<std::string> ops{"lt", "le", "gt",     "ge", "eq",
                                              "ne", "is", "exists", "in"};
    if (std::find(ops.begin(), ops.end(), key) == ops.end())
      return loc.fail("unknown comparison " + key
                      + " (use one of lt, le, gt, "
                        "ge, eq, ne, is, exists, in)");
    if (!c.op.empty())
      return loc.fail("one comparison per condition");
    c.op = key;
    c.value = to_json(kv.second);
  }
  if (c.op.empty())
    return loc.fail("condition on " + c.signal + " without a comparison");
  if ((c.op == "is" || c.op == "exists") && !c.value.is_boolean())
    return loc.fail(c.op + " needs true or false");
  if (c.op == "in" && !c.value.is_array())
    return loc.fail("in needs a list");
  if ((c.op == "lt" || c.op == "le" || c.op == "gt" || c.op == "ge")
      && !c.value.is_number())
    return loc.fail(c.op + " needs a number");
  return c;
}

caf::expected<action_template> parse_action(const YAML::Node& n,
                                            const location& loc) {
  if (!n.IsMap())
    return loc.fail("an action is a mapping");
  auto name = text_of(n, "action", loc, true);
  if (!name)
    return name.error();
  auto type = parse_action_type(*name);
  if (!type)
    return loc.fail("unknown action " + *name);
  action_template a;
  a.type = *type;
  for (const auto& kv : n) {
    auto key = kv.first.Scalar();
    if (key == "action")
      continue;
    if (key == "container") {
      a.container = kv.second.Scalar();
      continue;
    }
    if (key == "to" && a.type == action_type::rollback) {
      a.to = kv.second.Scalar();
      if (a.to != "previous")
        return loc.fail("rollback to: only `previous` is supported");
      continue;
    }
    auto value = to_json(kv.second);
    if (value.is_object()) {
      bool sizing = value.contains("sizing");
      bool signal = value.contains("signal");
      if (sizing == signal || value.size() != 1)
        return loc.fail(key
                        + ": a value is a literal, {sizing: method} or "
                          "{signal: name}");
      if (sizing) {
        auto method = json_text(value["sizing"]);
        const auto& known = sizing_method_names();
        if (std::find(known.begin(), known.end(), method) == known.end())
          return loc.fail(key + ": unknown sizing method " + method);
      }
    } else if (!value.is_primitive()) {
      return loc.fail(key + ": must be a scalar or {sizing|signal: ...}");
    }
    a.params[key] = std::move(value);
  }
  return a;
}

caf::expected<plan_template> parse_plan(const YAML::Node& n,
                                        const location& loc) {
  if (!n.IsMap())
    return loc.fail("a plan is a mapping");
  if (auto err = check_keys(n, loc,
                            {"id", "title", "actions", "confidence", "when",
                             "justification", "expected_effect", "risk",
                             "rollback", "ranks_lower_because"}))
    return err;
  plan_template p;
  auto text
    = [&](const char* key, std::string& out, bool required) -> caf::error {
    auto v = text_of(n, key, loc, required);
    if (!v)
      return v.error();
    out = *v;
    return caf::none;
  };
  for (auto [key, out] : {std::pair<const char*, std::string*>{"id", &p.id},
                          {"title", &p.title},
                          {"justification", &p.justification},
                          {"expected_effect", &p.expected_effect},
                          {"risk", &p.risk},
                          {"rollback", &p.rollback}})
    if (auto err = text(key, *out, true))
      return err;
  if (auto err = text("ranks_lower_because", p.ranks_lower_because, false))
    return err;
  if (auto c = n["confidence"]) {
    p.confidence = c.as<double>(-1);
    if (p.confidence < 0 || p.confidence > 1)
      return loc.fail("confidence: must be between 0 and 1");
  }
  auto actions = n["actions"];
  if (!actions || !actions.IsSequence() || actions.size() == 0)
    return loc.fail("actions: a non-empty list is required");
  for (size_t i = 0; i < actions.size(); ++i) {
    auto a
      = parse_action(actions[i], loc.at("actions[" + std::to_string(i) + "]"));
    if (!a)
      return a.error();
    p.actions.push_back(std::move(*a));
  }
  auto when = parse_condition(n["when"], loc.at("when"));
  if (!when)
    return when.error();
  p.when = std::move(*when);
  return p;
}

caf::expected<playbook> parse_playbook(const YAML::Node& n,
                                       const location& file_loc) {
  if (!n.IsMap())
    return file_loc.fail("a playbook is a mapping");
  auto name = text_of(n, "name", file_loc, true);
  if (!name)
    return name.error();
  location loc{file_loc.file, "playbook " + *name};
  if (auto err
      = check_keys(n, loc,
                   {"name", "description", "applies_to", "priority", "when",
                    "decision", "reason", "plans", "alternatives"}))
    return err;
  playbook pb;
  pb.name = *name;
  pb.file = file_loc.file;
  if (auto d = text_of(n, "description", loc, false))
    pb.description = *d;
  if (auto r = text_of(n, "reason", loc, true); r)
    pb.reason = *r;
  else
    return r.error();
  if (auto types = n["applies_to"]) {
    if (!types.IsSequence())
      return loc.fail("applies_to: must be a list of alert types");
    for (const auto& t : types) {
      auto parsed = parse_alert_type(t.Scalar());
      if (!parsed)
        return loc.fail("applies_to: unknown alert type " + t.Scalar());
      pb.applies_to.push_back(*parsed);
    }
  }
  if (auto p = n["priority"]) {
    try {
      pb.priority = p.as<int>();
    } catch (const YAML::Exception&) {
      return loc.fail("priority: must be an integer");
    }
  }
  auto decision = text_of(n, "decision", loc, true);
  if (!decision)
    return decision.error();
  auto kind = parse_decision_kind(*decision);
  if (!kind)
    return loc.fail("decision: must be fix, escalate or no_action");
  pb.decision = *kind;
  auto when = parse_condition(n["when"], loc.at("when"));
  if (!when)
    return when.error();
  pb.when = std::move(*when);
  if (auto plans = n["plans"]) {
    if (!plans.IsSequence())
      return loc.fail("plans: must be a list");
    for (size_t i = 0; i < plans.size(); ++i) {
      auto p = parse_plan(plans[i], loc.at("plans[" + std::to_string(i) + "]"));
      if (!p)
        return p.error();
      pb.plans.push_back(std::move(*p));
    }
  }
  if (pb.decision == decision_kind::fix && pb.plans.empty())
    return loc.fail("decision fix needs plans");
  if (pb.decision != decision_kind::fix && !pb.plans.empty())
    return loc.fail("only decision fix has plans");
  if (auto alts = n["alternatives"]) {
    if (!alts.IsSequence())
      return loc.fail("alternatives: must be a list of texts");
    for (const auto& a : alts)
      pb.alternatives.push_back(a.Scalar());
  }
  return pb;
}

} // namespace

caf::expected<std::vector<playbook>>
parse_playbooks(const std::string& yaml_text, const std::string& file) {
  location loc{file, ""};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return make_error(ec::invalid_config, file + ":"
                                            + std::to_string(e.mark.line + 1)
                                            + ": " + e.msg);
  }
  if (!root.IsMap() || !root["playbooks"] || !root["playbooks"].IsSequence())
    return loc.fail("expected `playbooks:` with a list");
  std::vector<playbook> out;
  try {
    for (const auto& n : root["playbooks"]) {
      auto pb = parse_playbook(n, loc);
      if (!pb)
        return pb.error();
      out.push_back(std::move(*pb));
    }
  } catch (const YAML::Exception& e) {
    return make_error(ec::invalid_config, file + ": " + e.what());
  }
  return out;
}

caf::expected<playbook_set>
load_playbooks(const std::vector<std::string>& paths) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code err;
    if (fs::is_directory(p, err)) {
      for (const auto& e : fs::directory_iterator{p, err})
        if (e.path().extension() == ".yaml" || e.path().extension() == ".yml")
          files.push_back(e.path());
    } else if (fs::is_regular_file(p, err)) {
      files.push_back(p);
    } else {
      return make_error(ec::invalid_config,
                        "playbooks: " + p + " is neither a file nor a folder");
    }
  }
  std::sort(files.begin(), files.end());
  playbook_set set;
  std::set<std::string> names;
  for (const auto& f : files) {
    std::ifstream in{f};
    std::stringstream buf;
    buf << in.rdbuf();
    if (!in && !in.eof())
      return make_error(ec::io_error, f.string() + ": cannot read");
    auto parsed = parse_playbooks(buf.str(), f.string());
    if (!parsed)
      return parsed.error();
    for (auto& pb : *parsed) {
      if (!names.insert(pb.name).second)
        return make_error(ec::invalid_config, f.string() + ": playbook "
                                                + pb.name
                                                + " is defined twice");
      set.playbooks.push_back(std::move(pb));
    }
    set.files.push_back(f.string());
  }
  std::stable_sort(set.playbooks.begin(), set.playbooks.end(),
                   [](const playbook& a, const playbook& b) {
                     return a.priority > b.priority;
                   });
  return set;
}

} // namespace kfix::reasoning
