#include "eval/sim/k8s_selectors.hpp"

#include "eval/sim/util.hpp"

#include <algorithm>
#include <cctype>

namespace kfix::sim {

namespace {

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_'
         || c == '-' || c == '/';
}

bool is_value_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_'
         || c == '-';
}

class label_parser {
public:
  explicit label_parser(std::string_view text) : text_(text) {}

  caf::expected<std::vector<label_requirement>> run() {
    std::vector<label_requirement> result;
    skip_ws();
    if (pos_ == text_.size())
      return result;
    for (;;) {
      auto req = requirement();
      if (!req)
        return req.error();
      result.push_back(std::move(*req));
      skip_ws();
      if (pos_ == text_.size())
        return result;
      if (text_[pos_] != ',')
        return fail("found '" + rest_token()
                    + "', expected: ',' or 'end of "
                      "string'");
      ++pos_;
      skip_ws();
      if (pos_ == text_.size())
        return fail("found '', expected: !, identifier, or 'end of string'");
    }
  }

private:
  caf::error fail(const std::string& what) const {
    return make_error(ec::invalid_input,
                      "unable to parse requirement: " + what);
  }

  void skip_ws() {
    while (pos_ < text_.size()
           && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }

  std::string rest_token() const {
    auto end = pos_;
    while (end < text_.size() && text_[end] != ','
           && !std::isspace(static_cast<unsigned char>(text_[end])))
      ++end;
    return std::string{text_.substr(pos_, std::max(end - pos_, size_t{1}))};
  }

  std::string word(bool (*pred)(char)) {
    auto start = pos_;
    while (pos_ < text_.size() && pred(text_[pos_]))
      ++pos_;
    return std::string{text_.substr(start, pos_ - start)};
  }

  caf::expected<label_requirement> requirement() {
    label_requirement req;
    bool negated = false;
    if (text_[pos_] == '!') {
      negated = true;
      ++pos_;
      skip_ws();
    }
    req.key = word(is_key_char);
    if (req.key.empty())
      return fail("found '" + rest_token() + "', expected: identifier");
    if (!valid_key(req.key))
      return fail("key: Invalid value: \"" + req.key
                  + "\": name part must consist of alphanumeric "
                    "characters, '-', '_' or '.'");
    skip_ws();
    if (negated) {
      req.operation = label_requirement::op::not_exists;
      return req;
    }
    if (pos_ == text_.size() || text_[pos_] == ',') {
      req.operation = label_requirement::op::exists;
      return req;
    }
    if (text_.compare(pos_, 2, "==") == 0) {
      req.operation = label_requirement::op::equals;
      pos_ += 2;
    } else if (text_.compare(pos_, 2, "!=") == 0) {
      req.operation = label_requirement::op::not_equals;
      pos_ += 2;
    } else if (text_[pos_] == '=') {
      req.operation = label_requirement::op::equals;
      ++pos_;
    } else {
      auto op = word([](char c) {
        return std::isalpha(static_cast<unsigned char>(c)) != 0;
      });
      if (op == "in")
        req.operation = label_requirement::op::in;
      else if (op == "notin")
        req.operation = label_requirement::op::not_in;
      else
        return fail("found '" + (op.empty() ? rest_token() : op)
                    + "', expected: in, notin, =, ==, !=, gt, lt");
      skip_ws();
      if (pos_ == text_.size() || text_[pos_] != '(')
        return fail("found '" + rest_token() + "', expected: '('");
      ++pos_;
      for (;;) {
        skip_ws();
        auto value = word(is_value_char);
        skip_ws();
        if (pos_ == text_.size())
          return fail("found '', expected: ',', ')' or identifier");
        req.values.push_back(std::move(value));
        if (text_[pos_] == ')') {
          ++pos_;
          break;
        }
        if (text_[pos_] != ',')
          return fail("found '" + rest_token() + "', expected: ',' or ')'");
        ++pos_;
      }
      if (req.values.size() == 1 && req.values[0].empty())
        return fail("for 'in', 'notin' operators, values set can't be empty");
      return req;
    }
    skip_ws();
    auto value = word(is_value_char);
    if (pos_ < text_.size() && text_[pos_] != ','
        && !std::isspace(static_cast<unsigned char>(text_[pos_])))
      return fail("values[0][" + req.key + "]: Invalid value: \"" + value
                  + rest_token()
                  + "\": a valid label must be an empty string or consist "
                    "of alphanumeric characters, '-', '_' or '.'");
    req.values.push_back(std::move(value));
    return req;
  }

  static bool valid_key(const std::string& key) {
    // [prefix/]name, name 1-63 chars starting and ending alphanumeric.
    auto slash = key.find('/');
    if (slash != std::string::npos
        && key.find('/', slash + 1) != std::string::npos)
      return false;
    auto name = slash == std::string::npos ? key : key.substr(slash + 1);
    if (name.empty() || name.size() > 63)
      return false;
    return std::isalnum(static_cast<unsigned char>(name.front()))
           && std::isalnum(static_cast<unsigned char>(name.back()));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string string_at(const nlohmann::json& obj,
                      std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &obj;
  for (auto key : path) {
    if (!cur->is_object() || !cur->contains(key))
      return {};
    cur = &(*cur)[key];
  }
  if (cur->is_string())
    return cur->get<std::string>();
  if (cur->is_null())
    return {};
  if (cur->is_boolean())
    return cur->get<bool>() ? "true" : "false";
  return cur->dump();
}

} // namespace

caf::expected<std::vector<label_requirement>>
parse_label_selector(std::string_view text) {
  return label_parser{text}.run();
}

bool matches(const std::vector<label_requirement>& selector,
             const nlohmann::json& labels) {
  for (const auto& req : selector) {
    std::optional<std::string> value;
    if (labels.is_object() && labels.contains(req.key)) {
      const auto& v = labels[req.key];
      value = v.is_string() ? v.get<std::string>() : v.dump();
    }
    auto in_values = [&] {
      return value
             && std::find(req.values.begin(), req.values.end(), *value)
                  != req.values.end();
    };
    switch (req.operation) {
      case label_requirement::op::equals:
      case label_requirement::op::in:
        if (!in_values())
          return false;
        break;
      case label_requirement::op::not_equals:
      case label_requirement::op::not_in:
        if (in_values())
          return false;
        break;
      case label_requirement::op::exists:
        if (!value)
          return false;
        break;
      case label_requirement::op::not_exists:
        if (value)
          return false;
        break;
    }
  }
  return true;
}

caf::expected<std::vector<field_requirement>>
parse_field_selector(std::string_view text) {
  std::vector<field_requirement> result;
  if (trim(text).empty())
    return result;
  // Split at unescaped commas.
  std::vector<std::string> parts;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      current += text[i];
      current += text[++i];
    } else if (text[i] == ',') {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current += text[i];
    }
  }
  parts.push_back(std::move(current));
  for (const auto& part : parts) {
    field_requirement req;
    auto neq = part.find("!=");
    auto eq = part.find('=');
    std::string value;
    if (neq != std::string::npos && neq < eq) {
      req.field = std::string{trim(std::string_view{part}.substr(0, neq))};
      req.negated = true;
      value = part.substr(neq + 2);
    } else if (eq != std::string::npos) {
      req.field = std::string{trim(std::string_view{part}.substr(0, eq))};
      auto skip = part.compare(eq, 2, "==") == 0 ? 2 : 1;
      value = part.substr(eq + skip);
    } else {
      return make_error(ec::invalid_input,
                        "invalid selector: '" + std::string{text}
                          + "'; can't understand '" + part + "'");
    }
    if (req.field.empty())
      return make_error(ec::invalid_input,
                        "invalid selector: '" + std::string{text} + "'");
    // Unescape.
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size())
        ++i;
      req.value += value[i];
    }
    result.push_back(std::move(req));
  }
  return result;
}

std::optional<std::string> field_value(std::string_view group,
                                       std::string_view resource,
                                       const nlohmann::json& obj,
                                       std::string_view field) {
  if (field == "metadata.name")
    return string_at(obj, {"metadata", "name"});
  if (field == "metadata.namespace")
    return string_at(obj, {"metadata", "namespace"});
  auto dotted = [&](std::string_view prefix,
                    const char* object_key) -> std::optional<std::string> {
    if (!starts_with(field, prefix))
      return std::nullopt;
    auto sub = std::string{field.substr(prefix.size())};
    static const char* keys[]
      = {"kind",       "namespace",       "name",     "uid",
         "apiVersion", "resourceVersion", "fieldPath"};
    for (auto key : keys)
      if (sub == key)
        return string_at(obj, {object_key, key});
    return std::nullopt;
  };
  if (group.empty() && resource == "events") {
    if (auto v = dotted("involvedObject.", "involvedObject"))
      return v;
    if (field == "reason" || field == "type" || field == "reportingComponent")
      return string_at(obj, {std::string{field}.c_str()});
    if (field == "source")
      return string_at(obj, {"source", "component"});
    return std::nullopt;
  }
  if (group == "events.k8s.io" && resource == "events") {
    if (auto v = dotted("regarding.", "regarding"))
      return v;
    if (field == "reason")
      return string_at(obj, {"reason"});
    if (field == "type")
      return string_at(obj, {"type"});
    if (field == "reportingController")
      return string_at(obj, {"reportingController"});
    if (field == "deprecatedSource")
      return string_at(obj, {"deprecatedSource", "component"});
    return std::nullopt;
  }
  if (group.empty() && resource == "pods") {
    if (field == "status.phase")
      return string_at(obj, {"status", "phase"});
    if (field == "status.podIP")
      return string_at(obj, {"status", "podIP"});
    if (field == "status.nominatedNodeName")
      return string_at(obj, {"status", "nominatedNodeName"});
    if (field == "spec.nodeName")
      return string_at(obj, {"spec", "nodeName"});
    if (field == "spec.restartPolicy")
      return string_at(obj, {"spec", "restartPolicy"});
    if (field == "spec.schedulerName")
      return string_at(obj, {"spec", "schedulerName"});
    if (field == "spec.serviceAccountName")
      return string_at(obj, {"spec", "serviceAccountName"});
    if (field == "spec.hostNetwork") {
      auto v = string_at(obj, {"spec", "hostNetwork"});
      return v.empty() ? std::string{"false"} : v;
    }
    return std::nullopt;
  }
  if (group.empty() && resource == "nodes" && field == "spec.unschedulable") {
    auto v = string_at(obj, {"spec", "unschedulable"});
    return v.empty() ? std::string{"false"} : v;
  }
  if (group.empty() && resource == "namespaces" && field == "status.phase")
    return string_at(obj, {"status", "phase"});
  if (group.empty() && resource == "secrets" && field == "type")
    return string_at(obj, {"type"});
  if (group == "apps" && resource == "replicasets"
      && field == "status.replicas") {
    auto v = string_at(obj, {"status", "replicas"});
    return v.empty() ? std::string{"0"} : v;
  }
  if (group == "batch" && resource == "jobs" && field == "status.successful") {
    auto v = string_at(obj, {"status", "succeeded"});
    return v.empty() ? std::string{"0"} : v;
  }
  return std::nullopt;
}

} // namespace kfix::sim
