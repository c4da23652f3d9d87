#include "eval/sim/dd_logs.hpp"

#include "eval/sim/util.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace kfix::sim {

using json = nlohmann::json;

// -- AST ----------------------------------------------------------------------

struct log_query::node {
  enum class kind { all, term, conj, disj, negation };
  kind type = kind::all;
  // For terms.
  std::string key; // "" for free text; "@a.b" for attributes
  std::string value;
  bool quoted = false;
  // For conj / disj / negation.
  std::vector<std::unique_ptr<node>> children;
};

namespace {

using node = log_query::node;
using node_ptr = std::unique_ptr<node>;

// -- tokens -------------------------------------------------------------------

struct token {
  enum class kind { word, lparen, rparen, minus };
  kind type = kind::word;
  std::string text; // unescaped; the value for `key:"value"`
  bool quoted = false;
  // A word `key:` directly followed by `(`.
  bool key_group = false;
  // The key of `key:"value"`.
  std::string key;
};

caf::expected<std::vector<token>> tokenize(std::string_view text) {
  std::vector<token> tokens;
  size_t i = 0;
  auto fail = [&](const std::string& why) {
    return make_error(ec::invalid_input,
                      "invalid query " + std::string{text} + ": " + why);
  };
  while (i < text.size()) {
    auto c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '(') {
      tokens.push_back(token{token::kind::lparen, "(", false, false, {}});
      ++i;
      continue;
    }
    if (c == ')') {
      tokens.push_back(token{token::kind::rparen, ")", false, false, {}});
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < text.size()
        && !std::isspace(static_cast<unsigned char>(text[i + 1]))) {
      // A leading minus negates the next term.
      tokens.push_back(token{token::kind::minus, "-", false, false, {}});
      ++i;
      continue;
    }
    token tok;
    if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size())
          ++i;
        tok.text += text[i++];
      }
      if (i >= text.size())
        return fail("unterminated quote");
      ++i;
      tok.quoted = true;
      tokens.push_back(std::move(tok));
      continue;
    }
    // A word; a quoted value may follow a colon (`service:"a b"`), a range
    // `[a TO b]` may follow a colon too.
    while (i < text.size()) {
      auto d = text[i];
      if (std::isspace(static_cast<unsigned char>(d)) || d == '(' || d == ')')
        break;
      if (d == '\\' && i + 1 < text.size()) {
        tok.text += text[i + 1];
        i += 2;
        continue;
      }
      if (d == '"' && !tok.text.empty() && tok.text.back() == ':') {
        ++i;
        std::string value;
        while (i < text.size() && text[i] != '"') {
          if (text[i] == '\\' && i + 1 < text.size())
            ++i;
          value += text[i++];
        }
        if (i >= text.size())
          return fail("unterminated quote");
        ++i;
        tok.key = tok.text.substr(0, tok.text.size() - 1);
        tok.text = value;
        tok.quoted = true;
        break;
      }
      if (d == '[' && !tok.text.empty() && tok.text.back() == ':') {
        auto close = text.find(']', i);
        if (close == std::string_view::npos)
          return fail("unterminated range");
        tok.text += std::string{text.substr(i, close - i + 1)};
        i = close + 1;
        break;
      }
      tok.text += d;
      ++i;
    }
    if (!tok.text.empty() && tok.text.back() == ':' && i < text.size()
        && text[i] == '(')
      tok.key_group = true;
    tokens.push_back(std::move(tok));
  }
  return tokens;
}

// -- parser -------------------------------------------------------------------

class parser {
public:
  parser(std::vector<token> tokens, std::string_view text)
    : tokens_(std::move(tokens)), text_(text) {}

  caf::expected<node_ptr> run() {
    if (tokens_.empty())
      return std::make_unique<node>();
    auto result = disjunction("");
    if (!result)
      return result;
    if (pos_ != tokens_.size())
      return fail("unexpected " + tokens_[pos_].text);
    return result;
  }

private:
  caf::error fail(const std::string& why) const {
    return make_error(ec::invalid_input,
                      "invalid query " + std::string{text_} + ": " + why);
  }

  bool at_keyword(const char* word) const {
    return pos_ < tokens_.size() && tokens_[pos_].type == token::kind::word
           && !tokens_[pos_].quoted && tokens_[pos_].text == word;
  }

  caf::expected<node_ptr> disjunction(const std::string& key) {
    auto first = conjunction(key);
    if (!first)
      return first;
    if (!at_keyword("OR"))
      return first;
    auto result = std::make_unique<node>();
    result->type = node::kind::disj;
    result->children.push_back(std::move(*first));
    while (at_keyword("OR")) {
      ++pos_;
      auto next = conjunction(key);
      if (!next)
        return next;
      result->children.push_back(std::move(*next));
    }
    return result;
  }

  caf::expected<node_ptr> conjunction(const std::string& key) {
    auto result = std::make_unique<node>();
    result->type = node::kind::conj;
    for (;;) {
      if (pos_ >= tokens_.size() || tokens_[pos_].type == token::kind::rparen
          || at_keyword("OR"))
        break;
      if (at_keyword("AND")) {
        ++pos_;
        continue;
      }
      auto next = unary(key);
      if (!next)
        return next;
      result->children.push_back(std::move(*next));
    }
    if (result->children.empty())
      return fail("expected a term");
    if (result->children.size() == 1)
      return std::move(result->children.front());
    return result;
  }

  caf::expected<node_ptr> unary(const std::string& key) {
    if (pos_ < tokens_.size()
        && (tokens_[pos_].type == token::kind::minus || at_keyword("NOT"))) {
      ++pos_;
      auto inner = unary(key);
      if (!inner)
        return inner;
      auto result = std::make_unique<node>();
      result->type = node::kind::negation;
      result->children.push_back(std::move(*inner));
      return result;
    }
    return primary(key);
  }

  caf::expected<node_ptr> primary(const std::string& key) {
    if (pos_ >= tokens_.size())
      return fail("unexpected end of query");
    auto& tok = tokens_[pos_];
    if (tok.type == token::kind::lparen) {
      ++pos_;
      auto inner = disjunction(key);
      if (!inner)
        return inner;
      if (pos_ >= tokens_.size() || tokens_[pos_].type != token::kind::rparen)
        return fail("missing ')'");
      ++pos_;
      return inner;
    }
    if (tok.type == token::kind::rparen)
      return fail("unexpected ')'");
    ++pos_;
    if (tok.key_group) {
      auto group_key = tok.text.substr(0, tok.text.size() - 1);
      if (pos_ >= tokens_.size() || tokens_[pos_].type != token::kind::lparen)
        return fail("expected '(' after " + tok.text);
      ++pos_;
      auto inner = disjunction(group_key);
      if (!inner)
        return inner;
      if (pos_ >= tokens_.size() || tokens_[pos_].type != token::kind::rparen)
        return fail("missing ')'");
      ++pos_;
      return inner;
    }
    auto result = std::make_unique<node>();
    result->type = node::kind::term;
    result->quoted = tok.quoted;
    if (!key.empty()) {
      result->key = key;
      result->value = tok.text;
    } else if (!tok.key.empty()) {
      result->key = tok.key;
      result->value = tok.text;
    } else if (tok.quoted) {
      result->value = tok.text; // a phrase
    } else {
      auto colon = tok.text.find(':');
      if (colon != std::string::npos && colon > 0) {
        result->key = tok.text.substr(0, colon);
        result->value = tok.text.substr(colon + 1);
      } else {
        result->value = tok.text;
      }
    }
    if (result->key.empty() && !result->quoted && result->value == "*")
      result->type = node::kind::all;
    return result;
  }

  std::vector<token> tokens_;
  std::string_view text_;
  size_t pos_ = 0;
};

// -- matching -----------------------------------------------------------------

const json* lookup_path(const json& root, const std::string& path) {
  if (!root.is_object())
    return nullptr;
  if (root.contains(path))
    return &root[path];
  auto dot = path.find('.');
  while (dot != std::string::npos) {
    auto head = path.substr(0, dot);
    if (root.contains(head)) {
      if (auto* found = lookup_path(root[head], path.substr(dot + 1)))
        return found;
    }
    dot = path.find('.', dot + 1);
  }
  return nullptr;
}

std::string scalar_text(const json& value) {
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_boolean())
    return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer())
    return std::to_string(value.get<int64_t>());
  return value.dump();
}

bool value_matches(const node& t, const json& value) {
  if (value.is_array()) {
    for (const auto& v : value)
      if (value_matches(t, v))
        return true;
    return false;
  }
  if (value.is_object() || value.is_null())
    return t.value == "*" && !value.is_null();
  const auto& pattern = t.value;
  // Numeric comparisons and ranges.
  if (!t.quoted && value.is_number()) {
    auto v = value.get<double>();
    for (auto op : {">=", "<=", ">", "<"}) {
      if (starts_with(pattern, op)) {
        auto bound = parse_double(pattern.substr(std::string_view{op}.size()));
        if (!bound)
          return false;
        auto o = std::string_view{op};
        return o == ">="   ? v >= *bound
               : o == "<=" ? v <= *bound
               : o == ">"  ? v > *bound
                           : v < *bound;
      }
    }
    if (pattern.size() > 2 && pattern.front() == '[' && pattern.back() == ']') {
      auto inner = pattern.substr(1, pattern.size() - 2);
      auto to = inner.find(" TO ");
      if (to == std::string::npos)
        return false;
      auto lo = trim(std::string_view{inner}.substr(0, to));
      auto hi = trim(std::string_view{inner}.substr(to + 4));
      auto lo_v = lo == "*" ? std::optional<double>{-1e308} : parse_double(lo);
      auto hi_v = hi == "*" ? std::optional<double>{1e308} : parse_double(hi);
      return lo_v && hi_v && v >= *lo_v && v <= *hi_v;
    }
    if (auto n = parse_double(pattern))
      return v == *n;
  }
  if (t.quoted)
    return to_lower(scalar_text(value)) == to_lower(pattern);
  return glob_match_icase(pattern, scalar_text(value));
}

bool tag_matches(const node& t, const json& attrs) {
  if (!attrs.contains("tags") || !attrs["tags"].is_array())
    return false;
  auto key = to_lower(t.key);
  for (const auto& tag : attrs["tags"]) {
    if (!tag.is_string())
      continue;
    auto text = tag.get<std::string>();
    auto colon = text.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    if (to_lower(text.substr(0, colon)) != key)
      continue;
    if (value_matches(t, json(text.substr(colon + 1))))
      return true;
  }
  return false;
}

bool term_matches(const node& t, const json& event) {
  static const json empty = json::object();
  const auto& attrs
    = event.contains("attributes") ? event["attributes"] : empty;
  if (t.key.empty()) {
    auto message = attrs.contains("message") ? scalar_text(attrs["message"])
                                             : std::string{};
    if (t.quoted || t.value.find('*') == std::string::npos)
      return to_lower(message).find(to_lower(t.value)) != std::string::npos;
    return glob_match_icase("*" + t.value + "*", message);
  }
  if (t.key[0] == '@') {
    auto path = t.key.substr(1);
    const json* nested = attrs.contains("attributes")
                           ? lookup_path(attrs["attributes"], path)
                           : nullptr;
    if (nested == nullptr)
      nested = lookup_path(attrs, path);
    return nested != nullptr && value_matches(t, *nested);
  }
  static const std::vector<std::string> reserved{"host", "service", "status",
                                                 "message", "trace_id"};
  auto key = to_lower(t.key);
  for (const auto& r : reserved) {
    if (key != r || !attrs.contains(r))
      continue;
    if (key == "message" && !t.quoted)
      return glob_match_icase("*" + t.value + "*",
                              scalar_text(attrs["message"]));
    if (value_matches(t, attrs[r]))
      return true;
  }
  return tag_matches(t, attrs);
}

bool eval(const node& n, const json& event) {
  switch (n.type) {
    case node::kind::all:
      return true;
    case node::kind::term:
      return term_matches(n, event);
    case node::kind::conj:
      for (const auto& c : n.children)
        if (!eval(*c, event))
          return false;
      return true;
    case node::kind::disj:
      for (const auto& c : n.children)
        if (eval(*c, event))
          return true;
      return false;
    case node::kind::negation:
      return !eval(*n.children.front(), event);
  }
  return false;
}

} // namespace

log_query::log_query() : root_(std::make_unique<node>()) {}

log_query::~log_query() = default;

log_query::log_query(log_query&&) noexcept = default;

log_query& log_query::operator=(log_query&&) noexcept = default;

caf::expected<log_query> log_query::parse(std::string_view text) {
  auto tokens = tokenize(text);
  if (!tokens)
    return tokens.error();
  auto root = parser{std::move(*tokens), text}.run();
  if (!root)
    return root.error();
  log_query result;
  result.root_ = std::move(*root);
  return result;
}

bool log_query::matches(const json& event) const {
  return eval(*root_, event);
}

std::optional<int64_t> parse_log_time(const json& value, int64_t now_ms) {
  if (value.is_number_integer())
    return value.get<int64_t>();
  if (value.is_number())
    return static_cast<int64_t>(value.get<double>());
  if (!value.is_string())
    return std::nullopt;
  auto text = std::string{trim(value.get<std::string>())};
  if (text == "now")
    return now_ms;
  if (starts_with(text, "now")) {
    auto rest = std::string_view{text}.substr(3);
    if (rest.size() < 3 || (rest[0] != '-' && rest[0] != '+'))
      return std::nullopt;
    auto sign = rest[0] == '-' ? -1 : 1;
    auto unit = rest.back();
    auto amount = parse_int(rest.substr(1, rest.size() - 2));
    if (!amount || *amount < 0)
      return std::nullopt;
    int64_t unit_ms = 0;
    switch (unit) {
      case 's':
        unit_ms = 1000;
        break;
      case 'm':
        unit_ms = int64_t{60} * 1000;
        break;
      case 'h':
        unit_ms = int64_t{3600} * 1000;
        break;
      case 'd':
        unit_ms = int64_t{86400} * 1000;
        break;
      case 'w':
        unit_ms = int64_t{7} * 86400 * 1000;
        break;
      default:
        return std::nullopt;
    }
    return now_ms + sign * *amount * unit_ms;
  }
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      }))
    return parse_int(text);
  if (auto ms = parse_rfc3339_ms(text))
    return ms;
  // A date without zone ("2026-03-14T10:02:11") is UTC.
  if (auto ms = parse_rfc3339_ms(text + "Z"))
    return ms;
  return std::nullopt;
}

int64_t log_timestamp_ms(const json& event) {
  if (!event.contains("attributes"))
    return 0;
  const auto& attrs = event["attributes"];
  if (!attrs.contains("timestamp"))
    return 0;
  return parse_log_time(attrs["timestamp"], 0).value_or(0);
}

} // namespace kfix::sim
