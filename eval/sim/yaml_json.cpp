#include "eval/sim/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace kfix::sim {

namespace {

bool all_of(std::string_view text, int (*pred)(int)) {
  if (text.empty())
    return false;
  for (auto c : text)
    if (c != '_' && !pred(static_cast<unsigned char>(c)))
      return false;
  return true;
}

int is_octal(int c) {
  return c >= '0' && c <= '7';
}

int is_binary(int c) {
  return c == '0' || c == '1';
}

std::string without_underscores(std::string_view text) {
  std::string result;
  for (auto c : text)
    if (c != '_')
      result += c;
  return result;
}

nlohmann::json integer_value(bool negative, std::string_view digits, int base) {
  auto clean = without_underscores(digits);
  errno = 0;
  char* end = nullptr;
  auto value = std::strtoull(clean.c_str(), &end, base);
  if (errno == ERANGE || end != clean.c_str() + clean.size()) {
    auto d = std::strtod(clean.c_str(), nullptr);
    return negative ? -d : d;
  }
  if (!negative) {
    if (value
        <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()))
      return static_cast<int64_t>(value);
    return static_cast<uint64_t>(value);
  }
  if (value
      <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max())
           + 1ULL)
    return static_cast<int64_t>(0 - value);
  return -static_cast<double>(value);
}

bool is_float_text(std::string_view text) {
  // [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?  (PyYAML's YAML 1.1 form,
  // relaxed to also accept an unsigned exponent).
  size_t pos = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
    ++pos;
  size_t int_digits = 0;
  while (pos < text.size()
         && (std::isdigit(static_cast<unsigned char>(text[pos]))
             || (text[pos] == '_' && int_digits > 0))) {
    ++pos;
    ++int_digits;
  }
  if (pos >= text.size() || text[pos] != '.')
    return false;
  ++pos;
  size_t frac_digits = 0;
  while (pos < text.size()
         && (std::isdigit(static_cast<unsigned char>(text[pos]))
             || text[pos] == '_')) {
    ++pos;
    ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0)
    return false;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
      ++pos;
    size_t exp_digits = 0;
    while (pos < text.size()
           && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      ++exp_digits;
    }
    if (exp_digits == 0)
      return false;
  }
  return pos == text.size();
}

caf::error yaml_error(std::string_view file, const YAML::Exception& e) {
  std::string message{file};
  if (!e.mark.is_null()) {
    message += ':';
    message += std::to_string(e.mark.line + 1);
    message += ':';
    message += std::to_string(e.mark.column + 1);
  }
  message += ": ";
  message += e.msg;
  return make_error(ec::invalid_input, std::move(message));
}

nlohmann::json convert(const YAML::Node& node, std::string_view file,
                       int depth) {
  if (depth > 200)
    throw YAML::ParserException(node.Mark(), "nesting too deep");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const auto& tag = node.Tag();
      const auto& text = node.Scalar();
      if (tag == "!" || tag == "tag:yaml.org,2002:str")
        return text;
      if (tag == "?" || tag.empty())
        return resolve_plain_scalar(text);
      if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float"
          || tag == "tag:yaml.org,2002:bool"
          || tag == "tag:yaml.org,2002:null") {
        auto value = resolve_plain_scalar(text);
        if (value.is_string())
          throw YAML::ParserException(node.Mark(),
                                      "cannot resolve " + text + " as " + tag);
        return value;
      }
      // Unknown (application) tags: keep the text.
      return text;
    }
    case YAML::NodeType::Sequence: {
      auto result = nlohmann::json::array();
      for (const auto& item : node)
        result.push_back(convert(item, file, depth + 1));
      return result;
    }
    case YAML::NodeType::Map: {
      auto result = nlohmann::json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar() && !kv.first.IsNull())
          throw YAML::ParserException(kv.first.Mark(),
                                      "only scalar mapping keys are supported");
        auto key = kv.first.IsNull() ? std::string{"null"} : kv.first.Scalar();
        result[key] = convert(kv.second, file, depth + 1);
      }
      return result;
    }
  }
  return nullptr;
}

} // namespace

nlohmann::json resolve_plain_scalar(std::string_view text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null"
      || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE" || text == "yes"
      || text == "Yes" || text == "YES" || text == "on" || text == "On"
      || text == "ON")
    return true;
  if (text == "false" || text == "False" || text == "FALSE" || text == "no"
      || text == "No" || text == "NO" || text == "off" || text == "Off"
      || text == "OFF")
    return false;
  auto body = text;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (!body.empty() && body[0] != '_') {
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
        && all_of(body.substr(2), std::isxdigit))
      return integer_value(negative, body.substr(2), 16);
    if (body.size() > 2 && body[0] == '0' && body[1] == 'o'
        && all_of(body.substr(2), is_octal))
      return integer_value(negative, body.substr(2), 8);
    if (body.size() > 2 && body[0] == '0' && body[1] == 'b'
        && all_of(body.substr(2), is_binary))
      return integer_value(negative, body.substr(2), 2);
    if (body == "0")
      return 0;
    if (body.size() > 1 && body[0] == '0' && all_of(body.substr(1), is_octal))
      return integer_value(negative, body.substr(1), 8);
    if (body[0] >= '1' && body[0] <= '9' && all_of(body, std::isdigit))
      return integer_value(negative, body, 10);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    // JSON has no infinity; keep the number as large as possible.
    auto value = std::numeric_limits<double>::max();
    return negative ? -value : value;
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN")
    return nullptr;
  if (is_float_text(text)) {
    auto clean = without_underscores(text);
    return std::strtod(clean.c_str(), nullptr);
  }
  return std::string{text};
}

caf::expected<std::vector<yaml_document>>
parse_yaml_documents(const std::string& text, std::string_view file) {
  try {
    auto nodes = YAML::LoadAll(text);
    std::vector<yaml_document> result;
    result.reserve(nodes.size());
    for (const auto& node : nodes) {
      yaml_document doc;
      doc.value = convert(node, file, 0);
      auto mark = node.Mark();
      doc.line = mark.is_null() ? 0 : mark.line + 1;
      result.push_back(std::move(doc));
    }
    return result;
  } catch (const YAML::Exception& e) {
    return yaml_error(file, e);
  } catch (const std::exception& e) {
    return make_error(ec::invalid_input, std::string{file} + ": " + e.what());
  }
}

caf::expected<nlohmann::json> parse_yaml(const std::string& text,
                                         std::string_view file) {
  auto docs = parse_yaml_documents(text, file);
  if (!docs)
    return docs.error();
  if (docs->empty())
    return nlohmann::json{};
  if (docs->size() > 1)
    return make_error(ec::invalid_input,
                      std::string{file}
                        + ": expected a single YAML document, got "
                        + std::to_string(docs->size()));
  return std::move(docs->front().value);
}

} // namespace kfix::sim
