#include "actors/patch/yaml_edit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <regex>

namespace kfix::patching {

// -- paths --------------------------------------------------------------------

yaml_path keys_path(std::initializer_list<const char*> keys) {
  yaml_path p;
  for (const auto* k : keys)
    p.push_back({k, {}, {}, std::nullopt});
  return p;
}

yaml_path with_keys(yaml_path p, std::initializer_list<std::string> keys) {
  for (const auto& k : keys)
    p.push_back({k, {}, {}, std::nullopt});
  return p;
}

yaml_path with_item(yaml_path p, std::string match_key, std::string value) {
  p.push_back({{}, std::move(match_key), std::move(value), std::nullopt});
  return p;
}

yaml_path with_index(yaml_path p, size_t index) {
  p.push_back({{}, {}, {}, index});
  return p;
}

std::string to_string(const yaml_path& p) {
  std::string out;
  for (const auto& s : p) {
    if (s.index) {
      out += "[" + std::to_string(*s.index) + "]";
    } else if (s.is_match()) {
      out += "[" + s.match_key + "=" + s.match_value + "]";
    } else {
      if (!out.empty())
        out += '.';
      out += s.key;
    }
  }
  return out;
}

namespace {

using nlohmann::json;

/// The value at a dotted key ("resource.name") of a JSON object.
const json* json_field(const json& obj, const std::string& dotted) {
  const json* cur = &obj;
  size_t begin = 0;
  while (true) {
    auto dot = dotted.find('.', begin);
    auto key = dotted.substr(begin, dot == std::string::npos ? std::string::npos
                                                             : dot - begin);
    if (!cur->is_object() || !cur->contains(key))
      return nullptr;
    cur = &(*cur)[key];
    if (dot == std::string::npos)
      return cur;
    begin = dot + 1;
  }
}

bool json_item_matches(const json& item, const path_step& s) {
  const auto* v = json_field(item, s.match_key);
  if (v == nullptr)
    return false;
  return v->is_string() ? v->get<std::string>() == s.match_value
                        : v->dump() == s.match_value;
}

/// The step's child of `cur`, or nullptr.
const json* json_step(const json& cur, const path_step& s) {
  if (s.is_key())
    return cur.is_object() && cur.contains(s.key) ? &cur[s.key] : nullptr;
  if (!cur.is_array())
    return nullptr;
  if (s.index)
    return *s.index < cur.size() ? &cur[*s.index] : nullptr;
  for (const auto& item : cur)
    if (json_item_matches(item, s))
      return &item;
  return nullptr;
}

} // namespace

const nlohmann::json* find_in_json(const nlohmann::json& doc,
                                   const yaml_path& p) {
  const json* cur = &doc;
  for (const auto& s : p) {
    cur = json_step(*cur, s);
    if (cur == nullptr)
      return nullptr;
  }
  return cur;
}

bool has_in_json(const nlohmann::json& doc, const yaml_path& p) {
  return find_in_json(doc, p) != nullptr;
}

// -- values -------------------------------------------------------------------

namespace {

yaml_value scalar_value(std::string v, scalar_style style) {
  yaml_value x;
  x.scalar = std::move(v);
  x.style = style;
  return x;
}

} // namespace

yaml_value yaml_value::number(std::string v) {
  return scalar_value(std::move(v), scalar_style::number);
}

yaml_value yaml_value::quantity(std::string v) {
  return scalar_value(std::move(v), scalar_style::quantity);
}

yaml_value yaml_value::text(std::string v) {
  return scalar_value(std::move(v), scalar_style::text);
}

yaml_value yaml_value::quoted(std::string v) {
  return scalar_value(std::move(v), scalar_style::quoted_text);
}

yaml_value yaml_value::null() {
  yaml_value x;
  x.type = shape::null;
  return x;
}

yaml_value yaml_value::map(std::vector<std::pair<std::string, yaml_value>> es) {
  yaml_value x;
  x.type = shape::map;
  x.entries = std::move(es);
  return x;
}

yaml_value yaml_value::sequence(std::vector<yaml_value> xs) {
  yaml_value x;
  x.type = shape::sequence;
  x.items = std::move(xs);
  return x;
}

namespace {

bool is_keyword(std::string_view s, std::initializer_list<const char*> words) {
  std::string l{s};
  for (auto& c : l)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::any_of(words.begin(), words.end(), [&](const char* w) {
    return l == w;
  });
}

/// A plain scalar as the API server's YAML reader (YAML 1.1) types it.
json resolve_plain(const std::string& s) {
  if (s.empty() || s == "~" || is_keyword(s, {"null"}))
    return nullptr;
  if (is_keyword(s, {"true", "yes", "on"}))
    return true;
  if (is_keyword(s, {"false", "no", "off"}))
    return false;
  static const std::regex int_re{"[-+]?(0|[1-9][0-9]*)"};
  static const std::regex float_re{
    "[-+]?(([0-9]+)?\\.[0-9]+|[0-9]+\\.[0-9]*)([eE][-+]?[0-9]+)?"
    "|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"};
  static const std::regex other_int_re{"0[0-7]+|0x[0-9a-fA-F]+|0o[0-7]+"
                                       "|[-+]?[0-9][0-9_]*"};
  if (std::regex_match(s, int_re))
    return std::strtoll(s.c_str(), nullptr, 10);
  if (std::regex_match(s, float_re))
    return std::strtod(s.c_str(), nullptr);
  if (std::regex_match(s, other_int_re))
    return std::strtoll(s.c_str(), nullptr, 0);
  return s;
}

} // namespace

bool needs_quotes(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':')
    return true;
  auto first = static_cast<unsigned char>(s.front());
  if (std::isdigit(first)) {
    // Digits read as numbers, dates as timestamps, `1:20` as base 60.
    static const std::regex date_re{"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*"};
    if (!resolve_plain(std::string{s}).is_string()
        || std::regex_match(std::string{s}, date_re)
        || s.find(':') != std::string_view::npos)
      return true;
  } else if (!std::isalpha(first) && s.front() != '/' && s.front() != '_') {
    return true;
  }
  if (is_keyword(s,
                 {"true", "false", "yes", "no", "on", "off", "y", "n", "null"}))
    return true;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f)
      return true;
    switch (s[i]) {
      case '{':
      case '}':
      case '[':
      case ']':
      case ',':
      case '"':
      case '\'':
      case '\\':
      case '`':
        return true;
      case ':':
        if (i + 1 < s.size() && s[i + 1] == ' ')
          return true;
        break;
      case '#':
        if (s[i - 1] == ' ')
          return true;
        break;
      default:
        break;
    }
  }
  return false;
}

nlohmann::json to_json(const yaml_value& v, bool typed) {
  switch (v.type) {
    case yaml_value::shape::null:
      return nullptr;
    case yaml_value::shape::map: {
      auto result = json::object();
      for (const auto& [k, x] : v.entries)
        result[k] = to_json(x, typed);
      return result;
    }
    case yaml_value::shape::sequence: {
      auto result = json::array();
      for (const auto& x : v.items)
        result.push_back(to_json(x, typed));
      return result;
    }
    case yaml_value::shape::scalar:
      break;
  }
  if (!typed)
    return v.scalar;
  if (v.style == scalar_style::number)
    return resolve_plain(v.scalar);
  if (v.style == scalar_style::raw && !v.raw.empty() && v.raw.front() != '"'
      && v.raw.front() != '\'')
    return resolve_plain(v.scalar);
  return v.scalar;
}

// -- reading ------------------------------------------------------------------

caf::expected<std::vector<YAML::Node>>
load_yaml_documents(std::string_view text) {
  try {
    return YAML::LoadAll(std::string{text});
  } catch (const std::exception& e) {
    return make_error(ec::invalid_input,
                      std::string{"YAML does not parse: "} + e.what());
  }
}

nlohmann::json yaml_to_json(const YAML::Node& n, bool typed) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      if (typed && n.Tag() != "!")
        return resolve_plain(n.Scalar());
      return n.Scalar();
    case YAML::NodeType::Sequence: {
      auto result = json::array();
      for (auto it = n.begin(); it != n.end(); ++it)
        result.push_back(yaml_to_json(*it, typed));
      return result;
    }
    case YAML::NodeType::Map: {
      auto result = json::object();
      for (auto it = n.begin(); it != n.end(); ++it) {
        auto key
          = it->first.IsScalar() ? it->first.Scalar() : YAML::Dump(it->first);
        result[key] = yaml_to_json(it->second, typed);
      }
      return result;
    }
    default:
      return nullptr;
  }
}

YAML::Node yaml_child(const YAML::Node& map, const char* key) {
  if (!map.IsDefined() || !map.IsMap())
    return YAML::Node{YAML::NodeType::Undefined};
  // A missing key gives an invalid node on which most calls throw.
  YAML::Node result = map[key];
  if (!result.IsDefined())
    return YAML::Node{YAML::NodeType::Undefined};
  return result;
}

std::string yaml_scalar(const YAML::Node& n) {
  return n.IsDefined() && n.IsScalar() ? n.Scalar() : std::string{};
}

std::vector<std::pair<YAML::Node, YAML::Node>>
yaml_entries(const YAML::Node& map) {
  std::vector<std::pair<YAML::Node, YAML::Node>> result;
  if (map.IsDefined() && map.IsMap())
    for (auto it = map.begin(); it != map.end(); ++it)
      result.emplace_back(it->first, it->second);
  return result;
}

namespace {

// -- small helpers ------------------------------------------------------------

constexpr size_t npos = std::string_view::npos;

caf::error unsupported(std::string what) {
  return make_error(ec::unspecified,
                    "unsupported manifest layout: " + std::move(what));
}

bool is_flow(const YAML::Node& n) {
  return n.Style() == YAML::EmitterStyle::Flow;
}

/// The map entry `key` of `map` (a key/value pair of node handles).
std::optional<std::pair<YAML::Node, YAML::Node>>
find_entry(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap())
    return std::nullopt;
  for (auto it = map.begin(); it != map.end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == key)
      return std::make_pair(it->first, it->second);
  return std::nullopt;
}

/// The scalar at a dotted key of a map node, or nothing.
std::optional<std::string> node_field(const YAML::Node& map,
                                      const std::string& dotted) {
  YAML::Node cur = map;
  size_t begin = 0;
  while (true) {
    auto dot = dotted.find('.', begin);
    auto key = dotted.substr(begin, dot == std::string::npos ? std::string::npos
                                                             : dot - begin);
    auto kv = find_entry(cur, key);
    if (!kv)
      return std::nullopt;
    if (dot == std::string::npos)
      return kv->second.IsScalar() ? std::optional{kv->second.Scalar()}
                                   : std::nullopt;
    cur.reset(kv->second);
    begin = dot + 1;
  }
}

/// The index of the item of `seq` matching the step; an error when two
/// items match.
caf::expected<std::optional<size_t>> find_item(const YAML::Node& seq,
                                               const path_step& s) {
  std::optional<size_t> found;
  for (size_t i = 0; i < seq.size(); ++i) {
    auto v = node_field(seq[i], s.match_key);
    if (!v || *v != s.match_value)
      continue;
    if (found)
      return make_error(ec::invalid_input, "two items with " + s.match_key + " "
                                             + backticked(s.match_value)
                                             + " in one sequence");
    found = i;
  }
  return found;
}

} // namespace

std::string backticked(std::string_view s) {
  std::string result = "`";
  result += s;
  result += '`';
  return result;
}

std::string join(const std::vector<std::string>& xs, std::string_view sep) {
  std::string result;
  for (const auto& x : xs) {
    if (!result.empty())
      result += sep;
    result += x;
  }
  return result;
}

YAML::Node yaml_find(const YAML::Node& doc, const yaml_path& p) {
  YAML::Node cur = doc;
  for (const auto& s : p) {
    if (s.is_key()) {
      auto kv = find_entry(cur, s.key);
      if (!kv)
        return YAML::Node{YAML::NodeType::Undefined};
      cur.reset(kv->second);
      continue;
    }
    if (!cur.IsSequence())
      return YAML::Node{YAML::NodeType::Undefined};
    std::optional<size_t> idx = s.index;
    if (!idx) {
      auto found = find_item(cur, s);
      if (!found || !*found)
        return YAML::Node{YAML::NodeType::Undefined};
      idx = **found;
    }
    if (*idx >= cur.size())
      return YAML::Node{YAML::NodeType::Undefined};
    YAML::Node next = cur[*idx];
    cur.reset(next);
  }
  return cur;
}

namespace {

// -- text positions -----------------------------------------------------------

/// Line index over a text; lines end at '\n' (a '\r' before it belongs to
/// the line ending).
class text_lines {
public:
  explicit text_lines(std::string_view text) : text_(text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n' && i + 1 < text.size())
        starts_.push_back(i + 1);
  }

  std::string_view text() const {
    return text_;
  }

  size_t count() const {
    return starts_.size();
  }

  size_t line_of(size_t pos) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), pos);
    return static_cast<size_t>(it - starts_.begin()) - 1;
  }

  size_t begin(size_t line) const {
    return starts_[line];
  }

  /// Offset just past the line ending (or the end of the text).
  size_t next(size_t line) const {
    return line + 1 < starts_.size() ? starts_[line + 1] : text_.size();
  }

  /// Offset of the line ending ("\r\n", "\n") or the end of the text.
  size_t end(size_t line) const {
    auto e = next(line);
    if (e > begin(line) && text_[e - 1] == '\n') {
      --e;
      if (e > begin(line) && text_[e - 1] == '\r')
        --e;
    }
    return e;
  }

  std::string_view eol(size_t line) const {
    return text_.substr(end(line), next(line) - end(line));
  }

  /// The line ending of the first line that has one, "\n" if none has.
  std::string_view dominant_eol() const {
    for (size_t l = 0; l < count(); ++l)
      if (!eol(l).empty())
        return eol(l);
    return "\n";
  }

  /// The line ending of `line`, or the dominant one when it has none.
  std::string_view eol_or_dominant(size_t line) const {
    return eol(line).empty() ? dominant_eol() : eol(line);
  }

  std::string_view content(size_t line) const {
    return text_.substr(begin(line), end(line) - begin(line));
  }

  size_t indent(size_t line) const {
    auto c = content(line);
    size_t n = 0;
    while (n < c.size() && c[n] == ' ')
      ++n;
    return n;
  }

  bool blank(size_t line) const {
    return indent(line) == content(line).size();
  }

  bool blank_or_comment(size_t line) const {
    auto c = content(line);
    auto n = indent(line);
    return n == c.size() || c[n] == '#';
  }

  size_t column(size_t pos) const {
    return pos - begin(line_of(pos));
  }

private:
  std::string_view text_;
  std::vector<size_t> starts_;
};

/// A replacement of `[begin, end)` by `text`.
struct splice {
  size_t begin;
  size_t end;
  std::string text;
};

using splices = std::vector<splice>;

size_t mark_pos(const YAML::Node& n) {
  auto m = n.Mark();
  return m.is_null() || m.pos < 0 ? npos : static_cast<size_t>(m.pos);
}

/// End (one past the closing quote) of a quoted scalar starting at `pos`.
size_t quoted_end(std::string_view text, size_t pos) {
  auto q = text[pos];
  for (auto i = pos + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
        continue;
      }
      return i + 1;
    }
  }
  return npos;
}

/// End of a flow collection whose opening bracket is at `pos`.
size_t flow_end(std::string_view text, size_t pos) {
  int depth = 0;
  for (auto i = pos; i < text.size(); ++i) {
    auto c = text[i];
    if (c == '"' || c == '\'') {
      auto e = quoted_end(text, i);
      if (e == npos)
        return npos;
      i = e - 1;
    } else if (c == '#'
               && (i == 0
                   || std::isspace(static_cast<unsigned char>(text[i - 1])))) {
      while (i < text.size() && text[i] != '\n')
        ++i;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0)
        return i + 1;
    }
  }
  return npos;
}

/// End of a scalar (key or value) in the text; npos for block scalars,
/// multi-line plain scalars and other forms not written as-is.
size_t scalar_end(std::string_view text, const YAML::Node& n) {
  auto pos = mark_pos(n);
  if (pos == npos || pos >= text.size() || !n.IsScalar())
    return npos;
  auto c = text[pos];
  if (c == '"' || c == '\'')
    return quoted_end(text, pos);
  const auto& s = n.Scalar();
  if (text.substr(pos, s.size()) == s)
    return pos + s.size();
  return npos;
}

/// End of a scalar or flow collection; npos when unknown.
size_t node_end(std::string_view text, const YAML::Node& n) {
  if (n.IsScalar())
    return scalar_end(text, n);
  auto pos = mark_pos(n);
  if ((n.IsMap() || n.IsSequence()) && is_flow(n) && pos != npos
      && pos < text.size() && (text[pos] == '{' || text[pos] == '['))
    return flow_end(text, pos);
  return npos;
}

/// Raises `last` to the last line holding a token of `n`.
void max_line(const text_lines& t, const YAML::Node& n, size_t& last) {
  // An implicit null's mark points at the next token, elsewhere.
  if (!n.IsDefined() || n.IsNull())
    return;
  auto pos = mark_pos(n);
  if (pos == npos || pos >= t.text().size())
    return;
  last = std::max(last, t.line_of(pos));
  if (n.IsScalar() || is_flow(n)) {
    auto e = node_end(t.text(), n);
    if (e != npos && e > pos)
      last = std::max(last, t.line_of(e - 1));
    return;
  }
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      max_line(t, it->first, last);
      max_line(t, it->second, last);
    }
  } else if (n.IsSequence()) {
    for (auto it = n.begin(); it != n.end(); ++it)
      max_line(t, *it, last);
  }
}

/// The last line of a block-map entry: the line of its last token, then
/// the following lines indented deeper than the key (continuations of
/// block and multi-line scalars) and, for a sequence written at the key's
/// own indentation, its `- ` lines. Comment and blank lines count only when
/// more of the entry follows them.
size_t entry_last_line(const text_lines& t, const YAML::Node& key,
                       const YAML::Node& value) {
  auto key_pos = mark_pos(key);
  auto key_line = t.line_of(key_pos);
  auto key_col = t.column(key_pos);
  auto last = key_line;
  max_line(t, value, last);
  auto block_seq = value.IsSequence() && !is_flow(value);
  for (auto l = last + 1; l < t.count(); ++l) {
    if (t.blank_or_comment(l))
      continue;
    auto ind = t.indent(l);
    auto c = t.content(l);
    auto dash = block_seq && ind == key_col && c[ind] == '-'
                && (ind + 1 == c.size() || c[ind + 1] == ' ');
    if (ind > key_col || dash) {
      last = l;
      continue;
    }
    break;
  }
  return last;
}

/// Column of the keys of a block map.
size_t key_column(const text_lines& t, const YAML::Node& map) {
  return t.column(mark_pos(map.begin()->first));
}

/// How far right of key `k` the keys of its block-map value `v` sit (0 when
/// `v` is not a non-empty block map).
size_t child_offset(const text_lines& t, const YAML::Node& k,
                    const YAML::Node& v) {
  if (!v.IsMap() || is_flow(v) || v.size() == 0)
    return 0;
  auto kc = t.column(mark_pos(k));
  auto vc = key_column(t, v);
  return vc > kc ? vc - kc : 0;
}

/// The indentation step used below `map`'s keys: from a block-map value of
/// `map` if one exists, else `fallback`.
size_t local_unit(const text_lines& t, const YAML::Node& map, size_t fallback) {
  for (auto& [k, v] : yaml_entries(map))
    if (auto u = child_offset(t, k, v); u > 0)
      return u;
  return fallback;
}

/// The document's indentation step: the first nested block map's offset.
size_t document_unit(const text_lines& t, const YAML::Node& n) {
  if (!n.IsMap() || is_flow(n))
    return 0;
  for (auto& [k, v] : yaml_entries(n)) {
    if (auto u = child_offset(t, k, v); u > 0)
      return u;
    if (v.IsMap())
      if (auto u = document_unit(t, v); u > 0)
        return u;
  }
  return 0;
}

/// Position of the `-` that starts the block sequence item whose first
/// token is at `pos`, npos when it is not on the same line.
size_t dash_before(const text_lines& t, size_t pos) {
  auto b = t.begin(t.line_of(pos));
  for (auto i = pos; i > b; --i) {
    auto c = t.text()[i - 1];
    if (c == '-')
      return i - 1;
    if (c != ' ')
      return npos;
  }
  return npos;
}

/// How far the dashes of the document's block sequences sit right of their
/// key (0 for `key:\n- item`); `fallback` when it has none.
std::optional<size_t> document_seq_indent(const text_lines& t,
                                          const YAML::Node& n) {
  if (!n.IsMap() || is_flow(n))
    return std::nullopt;
  for (auto& [k, v] : yaml_entries(n)) {
    if (is_flow(v))
      continue;
    if (v.IsSequence() && v.size() > 0) {
      auto dash = dash_before(t, mark_pos(v[0]));
      auto kc = t.column(mark_pos(k));
      if (dash != npos && t.column(dash) >= kc)
        return t.column(dash) - kc;
      for (auto it = v.begin(); it != v.end(); ++it)
        if (auto x = document_seq_indent(t, *it))
          return x;
    } else if (v.IsMap()) {
      if (auto x = document_seq_indent(t, v))
        return x;
    }
  }
  return std::nullopt;
}

/// Whether `[line begin, pos)` holds only spaces: the key starts its line.
bool starts_line(const text_lines& t, size_t pos) {
  auto b = t.begin(t.line_of(pos));
  for (auto i = b; i < pos; ++i)
    if (t.text()[i] != ' ')
      return false;
  return true;
}

/// The quote character most scalar values of `maps` are written with, 0
/// for plain (also on a tie), `fallback` when there are none.
char majority_quote(std::string_view text, const std::vector<YAML::Node>& maps,
                    char fallback) {
  size_t plain = 0;
  size_t double_quoted = 0;
  size_t single_quoted = 0;
  for (const auto& m : maps)
    for (auto& [k, v] : yaml_entries(m)) {
      auto pos = mark_pos(v);
      if (!v.IsScalar() || pos == npos || pos >= text.size())
        continue;
      if (text[pos] == '"')
        ++double_quoted;
      else if (text[pos] == '\'')
        ++single_quoted;
      else
        ++plain;
    }
  if (plain + double_quoted + single_quoted == 0)
    return fallback;
  if (double_quoted > plain && double_quoted >= single_quoted)
    return '"';
  if (single_quoted > plain && single_quoted > double_quoted)
    return '\'';
  return 0;
}

/// The map items of a sequence.
std::vector<YAML::Node> map_items(const YAML::Node& seq) {
  std::vector<YAML::Node> result;
  for (auto it = seq.begin(); it != seq.end(); ++it)
    if (it->IsMap())
      result.push_back(*it);
  return result;
}

// -- rendering ----------------------------------------------------------------

/// Everything one edit needs besides the nodes.
struct edit_context {
  const text_lines& t;
  /// Quote character for new values without a style of their own (0 for
  /// plain).
  char quote;
  /// Indentation step of the document.
  size_t unit;
  /// Offset of block sequence dashes from their key.
  size_t seq_indent;
  /// Where new keys of block maps go (see `yaml_edit`).
  const std::vector<std::string>& place_before;
  const std::vector<std::string>& place_after;
};

std::string quote_value(const std::string& value, char q) {
  if (q == 0)
    return value;
  std::string out(1, q);
  for (auto c : value) {
    if (q == '\'' && c == '\'')
      out += "''";
    else if (q == '"' && (c == '"' || c == '\\'))
      out += std::string{'\\', c};
    else if (q == '"' && c == '\n')
      out += "\\n";
    else if (q == '"' && c == '\t')
      out += "\\t";
    else
      out += c;
  }
  out += q;
  return out;
}

/// The quote character of a new scalar given the neighbours' `q`.
char quote_for(const yaml_value& v, char q) {
  switch (v.style) {
    case scalar_style::number:
    case scalar_style::raw:
      return 0;
    case scalar_style::quantity:
      return q;
    case scalar_style::text:
      return q == 0 && needs_quotes(v.scalar) ? '"' : q;
    case scalar_style::quoted_text:
      return '"';
  }
  return q;
}

std::string scalar_token(const yaml_value& v, char q) {
  if (v.type == yaml_value::shape::null)
    return "null";
  if (v.style == scalar_style::raw)
    return v.raw;
  return quote_value(v.scalar, quote_for(v, q));
}

std::string key_token(const std::string& key) {
  return needs_quotes(key) ? quote_value(key, '"') : key;
}

struct render_style {
  size_t unit;
  size_t seq_indent;
  std::string_view eol;
  char quote;
};

bool renders_inline(const yaml_value& v) {
  return v.type == yaml_value::shape::scalar
         || v.type == yaml_value::shape::null || v.flow
         || (v.type == yaml_value::shape::map && v.entries.empty())
         || (v.type == yaml_value::shape::sequence && v.items.empty());
}

std::string render_flow(const yaml_value& v, char q) {
  switch (v.type) {
    case yaml_value::shape::map: {
      std::string out = "{";
      for (const auto& [k, x] : v.entries) {
        if (out.size() > 1)
          out += ", ";
        out += key_token(k) + ": " + render_flow(x, q);
      }
      return out + "}";
    }
    case yaml_value::shape::sequence: {
      std::string out = "[";
      for (const auto& x : v.items) {
        if (out.size() > 1)
          out += ", ";
        out += render_flow(x, q);
      }
      return out + "]";
    }
    default:
      return scalar_token(v, q);
  }
}

void render_item(std::string& out, const yaml_value& v, size_t dash_col,
                 size_t content_offset, const render_style& s);

/// Renders `key: value` as block lines at column `col`.
void render_entry(std::string& out, const std::string& key, const yaml_value& v,
                  size_t col, const render_style& s) {
  out.append(col, ' ');
  out += key_token(key);
  out += ':';
  if (renders_inline(v)) {
    out += ' ';
    out += render_flow(v, s.quote);
    out += s.eol;
    return;
  }
  out += s.eol;
  if (v.type == yaml_value::shape::map) {
    for (const auto& [k, x] : v.entries)
      render_entry(out, k, x, col + s.unit, s);
    return;
  }
  for (const auto& x : v.items)
    render_item(out, x, col + s.seq_indent, 2, s);
}

/// Renders a block sequence item with its `-` at `dash_col` and its content
/// `content_offset` further right.
void render_item(std::string& out, const yaml_value& v, size_t dash_col,
                 size_t content_offset, const render_style& s) {
  if (v.type != yaml_value::shape::map || renders_inline(v)) {
    out.append(dash_col, ' ');
    out += "-";
    out.append(content_offset - 1, ' ');
    out += render_flow(v, s.quote);
    out += s.eol;
    return;
  }
  std::string body;
  for (const auto& [k, x] : v.entries)
    render_entry(body, k, x, dash_col + content_offset, s);
  body[dash_col] = '-';
  out += body;
}

// -- splices ------------------------------------------------------------------

/// Inserts the text `block` (whole lines) after line `line`.
splice insert_after_line(const text_lines& t, size_t line, std::string block) {
  auto at = t.next(line);
  if (t.eol(line).empty()) {
    // The last line has no line ending: give it one, drop the block's last.
    auto eol = t.dominant_eol();
    block.resize(block.size() - eol.size());
    block.insert(0, eol);
  }
  return {at, at, std::move(block)};
}

std::string apply_splices(std::string_view text, splices xs) {
  std::sort(xs.begin(), xs.end(), [](const splice& a, const splice& b) {
    return a.begin > b.begin;
  });
  std::string result{text};
  for (const auto& x : xs)
    result.replace(x.begin, x.end - x.begin, x.text);
  return result;
}

bool overlapping(splices xs) {
  std::sort(xs.begin(), xs.end(), [](const splice& a, const splice& b) {
    return a.begin < b.begin;
  });
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i].begin < xs[i - 1].end)
      return true;
  return false;
}

// -- edit primitives ----------------------------------------------------------

/// Replaces a scalar value, keeping its quote style (plain text that would
/// not read back as a string gets double quotes).
caf::expected<splices> replace_scalar(const edit_context& ctx,
                                      const YAML::Node& node,
                                      const yaml_value& v) {
  auto text = ctx.t.text();
  auto pos = mark_pos(node);
  auto end = scalar_end(text, node);
  if (pos == npos || end == npos
      || ctx.t.line_of(pos) != ctx.t.line_of(end - 1))
    return unsupported("the value " + backticked(node.Scalar())
                       + " is not a plain or quoted one-line scalar");
  auto q = text[pos];
  std::string token;
  if (v.type == yaml_value::shape::null)
    token = "null";
  else if (q == '"' || q == '\'')
    token = quote_value(v.scalar, q);
  else if (v.style == scalar_style::quoted_text)
    token = quote_value(v.scalar, needs_quotes(v.scalar) ? '"' : 0);
  else
    token = scalar_token(v, 0);
  return splices{{pos, end, token}};
}

/// Position just past the `:` that follows a block key.
caf::expected<size_t> colon_after(const edit_context& ctx,
                                  const YAML::Node& key) {
  auto text = ctx.t.text();
  auto e = scalar_end(text, key);
  if (e == npos)
    return unsupported("key " + backticked(key.Scalar()) + " is not plain");
  while (e < text.size() && text[e] == ' ')
    ++e;
  if (e >= text.size() || text[e] != ':')
    return unsupported("no `:` after key " + backticked(key.Scalar()));
  return e + 1;
}

/// The block lines of `v` as the value of a key at column `col`.
std::string render_block_value(const edit_context& ctx, const yaml_value& v,
                               size_t col, std::string_view eol, char q) {
  render_style s{ctx.unit, ctx.seq_indent, eol, q};
  std::string out;
  if (v.type == yaml_value::shape::map)
    for (const auto& [k, x] : v.entries)
      render_entry(out, k, x, col + ctx.unit, s);
  else
    for (const auto& x : v.items)
      render_item(out, x, col + ctx.seq_indent, 2, s);
  return out;
}

/// Gives `key:` whose value is null (`key:`, `key: ~`, `key: null`) the
/// value `v`.
caf::expected<splices> fill_null(const edit_context& ctx, const YAML::Node& key,
                                 const yaml_value& v) {
  auto colon = colon_after(ctx, key);
  if (!colon)
    return colon.error();
  auto text = ctx.t.text();
  auto key_line = ctx.t.line_of(mark_pos(key));
  // An explicit null token on the key's line goes.
  auto tok = *colon;
  while (tok < ctx.t.end(key_line) && text[tok] == ' ')
    ++tok;
  auto tok_end = tok;
  while (tok_end < ctx.t.end(key_line) && text[tok_end] != ' ')
    ++tok_end;
  auto token = text.substr(tok, tok_end - tok);
  auto explicit_null
    = token == "~" || token == "null" || token == "Null" || token == "NULL";
  auto null_end = explicit_null ? tok_end : *colon;
  if (renders_inline(v))
    return splices{{*colon, null_end, " " + render_flow(v, ctx.quote)}};
  splices result;
  if (explicit_null)
    result.push_back({*colon, null_end, ""});
  auto col = ctx.t.column(mark_pos(key));
  result.push_back(insert_after_line(
    ctx.t, key_line,
    render_block_value(ctx, v, col, ctx.t.eol_or_dominant(key_line),
                       ctx.quote)));
  return result;
}

caf::expected<yaml_value> nest(const yaml_path& p, size_t j,
                               const yaml_value& v);

/// The new item for the match step `p[j]` holding the rest of the path:
/// `{match_key: match_value, ...}`, or `v` itself when the path ends there.
caf::expected<yaml_value> new_item(const yaml_path& p, size_t j,
                                   const yaml_value& v) {
  const auto& s = p[j];
  if (j + 1 == p.size())
    return v;
  if (s.match_key.find('.') != std::string::npos)
    return unsupported("cannot create an item matched by " + s.match_key);
  auto rest = nest(p, j + 1, v);
  if (!rest)
    return rest.error();
  if (rest->type != yaml_value::shape::map)
    return unsupported("cannot create an item at " + to_string(p));
  auto item = yaml_value::map({{s.match_key, yaml_value::text(s.match_value)}});
  for (auto& e : rest->entries)
    item.entries.push_back(std::move(e));
  return item;
}

/// The value holding the rest of the path `p[j..]` and then `v`.
caf::expected<yaml_value> nest(const yaml_path& p, size_t j,
                               const yaml_value& v) {
  if (j == p.size())
    return v;
  const auto& s = p[j];
  if (s.index)
    return unsupported("no item " + std::to_string(*s.index) + " at "
                       + to_string(p));
  if (s.is_key()) {
    auto inner = nest(p, j + 1, v);
    if (!inner)
      return inner.error();
    return yaml_value::map({{s.key, std::move(*inner)}});
  }
  auto item = new_item(p, j, v);
  if (!item)
    return item.error();
  return yaml_value::sequence({std::move(*item)});
}

/// Inserts `key: value` into a flow map, before its closing brace.
caf::expected<splices> flow_insert(const edit_context& ctx,
                                   const YAML::Node& coll,
                                   const std::string& entry) {
  auto text = ctx.t.text();
  auto open = mark_pos(coll);
  auto close = open == npos || open >= text.size()
                   || (text[open] != '{' && text[open] != '[')
                 ? npos
                 : flow_end(text, open);
  if (close == npos)
    return unsupported("cannot find the brackets of a flow collection");
  --close; // the '}' or ']'
  if (coll.size() == 0)
    return splices{{open + 1, close, entry}};
  auto p = close;
  while (p > open + 1 && std::isspace(static_cast<unsigned char>(text[p - 1])))
    --p;
  if (text[p - 1] == ',')
    return splices{{p, p, " " + entry}};
  return splices{{p, p, ", " + entry}};
}

/// Inserts `key: v` into a block map: where `ctx` places it, else as its
/// last entry.
splices insert_block_entry(const edit_context& ctx, const YAML::Node& map,
                           const std::string& key, const yaml_value& v) {
  auto es = yaml_entries(map);
  auto col = key_column(ctx.t, map);
  auto listed = [](const std::vector<std::string>& keys, const YAML::Node& k) {
    return std::find(keys.begin(), keys.end(), yaml_scalar(k)) != keys.end();
  };
  const std::pair<YAML::Node, YAML::Node>* before = nullptr;
  const std::pair<YAML::Node, YAML::Node>* after = &es.back();
  for (const auto& e : es)
    if (before == nullptr && listed(ctx.place_before, e.first)
        && starts_line(ctx.t, mark_pos(e.first)))
      before = &e;
  if (before == nullptr)
    for (const auto& e : es)
      if (listed(ctx.place_after, e.first))
        after = &e;
  auto anchor = before != nullptr
                  ? ctx.t.line_of(mark_pos(before->first))
                  : entry_last_line(ctx.t, after->first, after->second);
  render_style s{local_unit(ctx.t, map, ctx.unit), ctx.seq_indent,
                 ctx.t.eol_or_dominant(anchor),
                 majority_quote(ctx.t.text(), {map}, ctx.quote)};
  std::string out;
  render_entry(out, key, v, col, s);
  if (before == nullptr)
    return {insert_after_line(ctx.t, anchor, std::move(out))};
  // Comment lines right above the key belong to it.
  while (anchor > 0 && ctx.t.blank_or_comment(anchor - 1)
         && !ctx.t.blank(anchor - 1))
    --anchor;
  auto at = ctx.t.begin(anchor);
  return {{at, at, std::move(out)}};
}

/// Appends `item` to a sequence (the value of `key`).
caf::expected<splices> append_item(const edit_context& ctx,
                                   const YAML::Node& key, const YAML::Node& seq,
                                   const yaml_value& item) {
  auto q = majority_quote(ctx.t.text(), map_items(seq), ctx.quote);
  if (is_flow(seq))
    return flow_insert(ctx, seq, render_flow(item, q));
  auto first = mark_pos(seq[0]);
  auto dash = first == npos ? npos : dash_before(ctx.t, first);
  if (dash == npos || !key.IsDefined())
    return unsupported("cannot find the `-` of the sequence items");
  auto last = entry_last_line(ctx.t, key, seq);
  render_style s{ctx.unit, ctx.seq_indent, ctx.t.eol_or_dominant(last), q};
  std::string out;
  render_item(out, item, ctx.t.column(dash), first - dash, s);
  return splices{insert_after_line(ctx.t, last, std::move(out))};
}

caf::expected<splices> set_at(const edit_context& ctx, const YAML::Node& node,
                              const yaml_path& p, size_t i, const yaml_value& v,
                              const YAML::Node& key);

/// Sets `p[i..]` inside a flow map.
caf::expected<splices> flow_set(const edit_context& ctx, const YAML::Node& map,
                                const yaml_path& p, size_t i,
                                const yaml_value& v) {
  const auto& key = p[i].key;
  if (auto kv = find_entry(map, key)) {
    if (i + 1 == p.size()) {
      if (!kv->second.IsScalar() || v.type == yaml_value::shape::map
          || v.type == yaml_value::shape::sequence)
        return unsupported(backticked(key) + " is not a scalar");
      return replace_scalar(ctx, kv->second, v);
    }
    if (kv->second.IsNull())
      return unsupported(backticked(key) + " is null in a flow map");
    return set_at(ctx, kv->second, p, i + 1, v, kv->first);
  }
  auto sub = nest(p, i + 1, v);
  if (!sub)
    return sub.error();
  auto q = majority_quote(ctx.t.text(), {map}, ctx.quote);
  return flow_insert(ctx, map, key_token(key) + ": " + render_flow(*sub, q));
}

/// Sets `p[i..]` to `v` below `node` (the value of `key`).
caf::expected<splices> set_at(const edit_context& ctx, const YAML::Node& node,
                              const yaml_path& p, size_t i, const yaml_value& v,
                              const YAML::Node& key) {
  const auto& s = p[i];
  auto last = i + 1 == p.size();
  if (s.is_key()) {
    if (!node.IsMap())
      return unsupported(to_string(yaml_path(p.begin(), p.begin() + i + 1))
                         + ": the parent is not a map");
    if (is_flow(node))
      return flow_set(ctx, node, p, i, v);
    auto kv = find_entry(node, s.key);
    if (!kv) {
      auto sub = nest(p, i + 1, v);
      if (!sub)
        return sub.error();
      return insert_block_entry(ctx, node, s.key, *sub);
    }
    const auto& val = kv->second;
    if (val.IsNull()) {
      auto sub = nest(p, i + 1, v);
      if (!sub)
        return sub.error();
      return fill_null(ctx, kv->first, *sub);
    }
    if (last) {
      if (!val.IsScalar() || v.type == yaml_value::shape::map
          || v.type == yaml_value::shape::sequence)
        return unsupported(backticked(s.key) + " is not a scalar");
      return replace_scalar(ctx, val, v);
    }
    auto pos = mark_pos(val);
    if (is_flow(val) && val.size() == 0 && pos != npos
        && ctx.t.line_of(pos) == ctx.t.line_of(mark_pos(kv->first))) {
      // `key: {}` / `key: []` under a block map becomes a block.
      auto colon = colon_after(ctx, kv->first);
      auto close = flow_end(ctx.t.text(), pos);
      if (!colon || close == npos)
        return unsupported("cannot find " + backticked(s.key + ": {}"));
      auto sub = nest(p, i + 1, v);
      if (!sub)
        return sub.error();
      auto result = fill_null(ctx, kv->first, *sub);
      if (!result)
        return result;
      result->push_back({*colon, close, ""});
      return result;
    }
    return set_at(ctx, val, p, i + 1, v, kv->first);
  }
  if (!node.IsSequence())
    return unsupported(to_string(yaml_path(p.begin(), p.begin() + i))
                       + " is not a sequence");
  std::optional<size_t> idx = s.index;
  if (s.is_match()) {
    auto found = find_item(node, s);
    if (!found)
      return found.error();
    if (!*found) {
      auto item = new_item(p, i, v);
      if (!item)
        return item.error();
      return append_item(ctx, key, node, *item);
    }
    idx = **found;
  }
  if (*idx >= node.size())
    return unsupported("no item " + std::to_string(*idx) + " at "
                       + to_string(p));
  if (last) {
    if (!node[*idx].IsScalar())
      return unsupported("cannot replace the item " + to_string(p));
    return replace_scalar(ctx, node[*idx], v);
  }
  return set_at(ctx, node[*idx], p, i + 1, v, YAML::Node{});
}

/// Removes the entry `kv` of `map`.
caf::expected<splices>
remove_entry(const edit_context& ctx, const YAML::Node& map,
             const std::pair<YAML::Node, YAML::Node>& kv) {
  auto text = ctx.t.text();
  auto key_pos = mark_pos(kv.first);
  if (!is_flow(map)) {
    if (key_pos == npos || !starts_line(ctx.t, key_pos))
      return unsupported("key " + backticked(kv.first.Scalar())
                         + " does not start its line");
    auto first = ctx.t.line_of(key_pos);
    auto last = entry_last_line(ctx.t, kv.first, kv.second);
    return splices{{ctx.t.begin(first), ctx.t.next(last), ""}};
  }
  auto es = yaml_entries(map);
  size_t idx = 0;
  while (idx < es.size() && mark_pos(es[idx].first) != key_pos)
    ++idx;
  auto value_end = node_end(text, kv.second);
  if (idx == es.size() || key_pos == npos || value_end == npos)
    return unsupported("cannot delimit " + backticked(kv.first.Scalar())
                       + " in a flow map");
  if (idx + 1 < es.size()) {
    auto next = mark_pos(es[idx + 1].first);
    if (next == npos)
      return unsupported("cannot delimit a flow map entry");
    return splices{{key_pos, next, ""}};
  }
  if (idx > 0) {
    auto prev_end = node_end(text, es[idx - 1].second);
    if (prev_end == npos)
      return unsupported("cannot delimit a flow map entry");
    return splices{{prev_end, value_end, ""}};
  }
  return splices{{key_pos, value_end, ""}};
}

/// One step taken while walking to an entry.
struct hop {
  YAML::Node parent;
  std::pair<YAML::Node, YAML::Node> kv;
  bool via_key;
};

/// The hops to the entry at `p`; nothing when a step is missing.
caf::expected<std::optional<std::vector<hop>>> walk(const YAML::Node& root,
                                                    const yaml_path& p) {
  std::vector<hop> hops;
  YAML::Node cur = root;
  for (const auto& s : p) {
    if (s.is_key()) {
      auto kv = find_entry(cur, s.key);
      if (!kv)
        return std::optional<std::vector<hop>>{};
      hops.push_back({cur, *kv, true});
      cur.reset(kv->second);
      continue;
    }
    if (!cur.IsSequence())
      return std::optional<std::vector<hop>>{};
    std::optional<size_t> idx = s.index;
    if (!idx) {
      auto found = find_item(cur, s);
      if (!found)
        return found.error();
      idx = *found;
    }
    if (!idx || *idx >= cur.size())
      return std::optional<std::vector<hop>>{};
    YAML::Node next = cur[*idx];
    hops.push_back({cur, {YAML::Node{}, next}, false});
    cur.reset(next);
  }
  return std::optional{std::move(hops)};
}

/// `walk` for a path that must end in a map key (`what` the edit says).
caf::expected<std::optional<std::vector<hop>>>
walk_to_key(const YAML::Node& root, const yaml_path& p, const char* what) {
  if (p.empty() || !p.back().is_key())
    return unsupported(std::string{"only map keys can "} + what + ": "
                       + to_string(p));
  return walk(root, p);
}

/// Removes the key at `p` and up to `prune` enclosing maps it leaves empty.
caf::expected<splices> remove_at(const edit_context& ctx,
                                 const YAML::Node& root, const yaml_path& p,
                                 size_t prune) {
  auto hops = walk_to_key(root, p, "be removed");
  if (!hops)
    return hops.error();
  if (!*hops)
    return splices{};
  auto& hs = **hops;
  auto k = hs.size() - 1;
  while (prune > 0 && k > 0 && hs[k].parent.size() == 1 && hs[k - 1].via_key) {
    --k;
    --prune;
  }
  return remove_entry(ctx, hs[k].parent, hs[k].kv);
}

/// Replaces the value at `p` by `null`.
caf::expected<splices> null_at(const edit_context& ctx, const YAML::Node& root,
                               const yaml_path& p) {
  auto hops = walk_to_key(root, p, "become null");
  if (!hops)
    return hops.error();
  if (!*hops)
    return unsupported(to_string(p) + " does not exist");
  const auto& [key, value] = (*hops)->back().kv;
  if (value.IsNull())
    return splices{};
  auto text = ctx.t.text();
  auto pos = mark_pos(value);
  if (value.IsScalar() || is_flow(value)) {
    auto end = node_end(text, value);
    if (pos == npos || end == npos)
      return unsupported("cannot delimit the value of " + to_string(p));
    return splices{{pos, end, "null"}};
  }
  auto colon = colon_after(ctx, key);
  if (!colon)
    return colon.error();
  auto last = entry_last_line(ctx.t, key, value);
  return splices{{*colon, ctx.t.end(last), " null"}};
}

// -- verification -------------------------------------------------------------

caf::error fail(std::string why) {
  return make_error(ec::unspecified,
                    "manifest edit failed verification: " + std::move(why));
}

/// The first few paths where two JSON values differ.
std::string differences(const json& expected, const json& actual) {
  auto diff = json::diff(expected, actual);
  std::string out;
  size_t n = 0;
  for (const auto& op : diff) {
    if (n++ == 3)
      break;
    if (!out.empty())
      out += ", ";
    out += op.value("path", std::string{});
  }
  return out;
}

/// Checks that document `document` of `after` is document `document` of
/// `before` with the edits applied and that the other documents are equal.
caf::error verify(std::string_view before, std::string_view after,
                  size_t document, const std::vector<yaml_edit>& edits) {
  auto docs_before = load_yaml_documents(before);
  auto docs_after = load_yaml_documents(after);
  if (!docs_before || !docs_after)
    return fail(
      "the edited text does not parse: "
      + render(docs_after ? docs_before.error() : docs_after.error()));
  if (docs_before->size() != docs_after->size())
    return fail("the number of documents changed");
  for (size_t i = 0; i < docs_before->size(); ++i) {
    auto expected = yaml_to_json((*docs_before)[i]);
    auto actual = yaml_to_json((*docs_after)[i]);
    if (i == document)
      for (const auto& e : edits)
        apply_edit_to_json(expected, e, false, false);
    if (expected != actual)
      return fail("document " + std::to_string(i)
                  + " differs beyond the requested edits at "
                  + differences(expected, actual));
  }
  // New strings must stay strings.
  for (const auto& e : edits) {
    if (e.op != edit_op::set || e.value.type != yaml_value::shape::scalar
        || (e.value.style != scalar_style::text
            && e.value.style != scalar_style::quoted_text))
      continue;
    auto node = yaml_find((*docs_after)[document], e.path);
    if (node.IsDefined() && node.IsScalar() && node.Tag() == "?"
        && needs_quotes(node.Scalar()))
      return fail(to_string(e.path) + " reads back as "
                  + yaml_to_json(node, true).dump() + ", not a string");
  }
  return {};
}

caf::expected<YAML::Node> document_at(const std::vector<YAML::Node>& docs,
                                      size_t document) {
  if (document >= docs.size())
    return make_error(ec::invalid_input, "document " + std::to_string(document)
                                           + " out of range: the text has "
                                           + std::to_string(docs.size())
                                           + " documents");
  if (!docs[document].IsMap())
    return make_error(ec::invalid_input,
                      "document " + std::to_string(document) + " is not a map");
  return docs[document];
}

/// The quote style of the maps at `p` and their child maps.
char quote_of(std::string_view text, const YAML::Node& doc,
              const yaml_path& p) {
  if (p.empty())
    return 0;
  auto node = yaml_find(doc, p);
  if (!node.IsDefined() || !node.IsMap())
    return 0;
  std::vector<YAML::Node> maps{node};
  for (auto& [k, v] : yaml_entries(node))
    if (v.IsMap())
      maps.push_back(v);
  return majority_quote(text, maps, 0);
}

caf::expected<std::string> apply_one(std::string_view text, size_t document,
                                     const yaml_edit& e) {
  auto docs = load_yaml_documents(text);
  if (!docs)
    return docs.error();
  auto doc = document_at(*docs, document);
  if (!doc)
    return doc.error();
  if (e.path.empty())
    return make_error(ec::invalid_input, "an edit without a path");
  text_lines t{text};
  auto unit = document_unit(t, *doc);
  if (unit == 0)
    unit = 2;
  auto seq_indent = document_seq_indent(t, *doc).value_or(unit);
  edit_context ctx{t,
                   quote_of(text, *doc, e.quote_from),
                   unit,
                   seq_indent,
                   e.place_before,
                   e.place_after};
  caf::expected<splices> xs = splices{};
  switch (e.op) {
    case edit_op::set:
      xs = set_at(ctx, *doc, e.path, 0, e.value, YAML::Node{});
      break;
    case edit_op::remove:
      xs = remove_at(ctx, *doc, e.path, e.prune);
      break;
    case edit_op::set_null:
      xs = null_at(ctx, *doc, e.path);
      break;
  }
  if (!xs)
    return xs.error();
  if (overlapping(*xs))
    return make_error(ec::unspecified, "manifest edit produced overlapping "
                                       "changes");
  return apply_splices(text, std::move(*xs));
}

// -- JSON meaning -------------------------------------------------------------

/// Sets the dotted key of a new item.
void set_dotted(json& obj, const std::string& dotted, const std::string& v) {
  json* cur = &obj;
  size_t begin = 0;
  while (true) {
    auto dot = dotted.find('.', begin);
    if (dot == std::string::npos) {
      (*cur)[dotted.substr(begin)] = v;
      return;
    }
    cur = &(*cur)[dotted.substr(begin, dot - begin)];
    begin = dot + 1;
  }
}

} // namespace

void apply_edit_to_json(nlohmann::json& doc, const yaml_edit& e,
                        bool patch_mode, bool typed) {
  if (e.path.empty())
    return;
  auto creating = e.op != edit_op::remove || patch_mode;
  std::vector<std::pair<json*, std::string>> chain; // parent, key
  json* cur = &doc;
  for (size_t i = 0; i + 1 < e.path.size(); ++i) {
    const auto& s = e.path[i];
    const auto& next = e.path[i + 1];
    auto container = next.is_key() ? json::object() : json::array();
    if (s.is_key()) {
      if (cur->is_null() && creating)
        *cur = json::object();
      if (!cur->is_object())
        return;
      if (!cur->contains(s.key) || (*cur)[s.key].is_null()) {
        if (!creating)
          return;
        (*cur)[s.key] = container;
      }
      chain.emplace_back(cur, s.key);
      cur = &(*cur)[s.key];
      continue;
    }
    if (cur->is_null() && creating)
      *cur = json::array();
    if (!cur->is_array())
      return;
    chain.emplace_back(nullptr, std::string{});
    if (s.index) {
      if (*s.index >= cur->size())
        return;
      cur = &(*cur)[*s.index];
      continue;
    }
    auto it = std::find_if(cur->begin(), cur->end(), [&](const json& item) {
      return json_item_matches(item, s);
    });
    if (it == cur->end()) {
      if (!creating)
        return;
      auto item = json::object();
      set_dotted(item, s.match_key, s.match_value);
      cur->push_back(std::move(item));
      cur = &cur->back();
    } else {
      cur = &*it;
    }
  }
  const auto& s = e.path.back();
  if (!s.is_key()) {
    if (e.op != edit_op::set || !cur->is_array())
      return;
    auto value = to_json(e.value, typed);
    if (s.index) {
      if (*s.index < cur->size())
        (*cur)[*s.index] = std::move(value);
      return;
    }
    auto it = std::find_if(cur->begin(), cur->end(), [&](const json& item) {
      return json_item_matches(item, s);
    });
    if (it == cur->end())
      cur->push_back(std::move(value));
    else
      *it = std::move(value);
    return;
  }
  if (cur->is_null() && creating)
    *cur = json::object();
  if (!cur->is_object())
    return;
  switch (e.op) {
    case edit_op::set:
      (*cur)[s.key] = to_json(e.value, typed);
      return;
    case edit_op::set_null:
      (*cur)[s.key] = nullptr;
      return;
    case edit_op::remove:
      break;
  }
  if (patch_mode) {
    (*cur)[s.key] = nullptr;
    return;
  }
  cur->erase(s.key);
  for (auto prune = e.prune; prune > 0 && !chain.empty(); --prune) {
    auto [parent, key] = chain.back();
    chain.pop_back();
    if (parent == nullptr || !(*parent)[key].is_object()
        || !(*parent)[key].empty())
      return;
    parent->erase(key);
  }
}

caf::expected<std::string>
apply_yaml_edits(std::string_view text, size_t document,
                 const std::vector<yaml_edit>& edits) {
  try {
    auto docs = load_yaml_documents(text);
    if (!docs)
      return docs.error();
    if (auto doc = document_at(*docs, document); !doc)
      return doc.error();
    std::string current{text};
    for (const auto& e : edits) {
      auto next = apply_one(current, document, e);
      if (!next)
        return next.error();
      current = std::move(*next);
    }
    if (auto err = verify(text, current, document, edits))
      return err;
    return current;
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      std::string{"manifest edit failed: "} + e.what());
  }
}

caf::expected<std::string>
apply_embedded_yaml_edits(std::string_view text, size_t document,
                          const yaml_path& at,
                          const std::vector<yaml_edit>& edits) {
  try {
    auto docs = load_yaml_documents(text);
    if (!docs)
      return docs.error();
    auto doc = document_at(*docs, document);
    if (!doc)
      return doc.error();
    auto node = yaml_find(*doc, at);
    auto pos = node.IsDefined() && node.IsScalar() ? mark_pos(node) : npos;
    if (pos == npos || pos >= text.size() || text[pos] != '|')
      return unsupported(to_string(at)
                         + " is not a literal block scalar (`|`)");
    text_lines t{text};
    auto header = t.line_of(pos);
    auto indicators = t.content(header).substr(t.column(pos) + 1);
    if (indicators.find_first_of("123456789") < indicators.find('#'))
      return unsupported(to_string(at) + " has an indentation indicator");
    // The block's lines: deeper than the first content line's indentation.
    size_t indent = 0;
    size_t last = header;
    for (auto l = header + 1; l < t.count(); ++l) {
      if (t.blank(l))
        continue;
      if (indent == 0)
        indent = t.indent(l);
      if (t.indent(l) < indent || indent <= t.indent(header))
        break;
      last = l;
    }
    if (last == header)
      return unsupported(to_string(at) + " is empty");
    std::string inner;
    for (auto l = header + 1; l <= last; ++l) {
      if (!t.blank(l))
        inner += t.content(l).substr(indent);
      inner += t.eol(l);
    }
    auto edited = apply_yaml_edits(inner, 0, edits);
    if (!edited)
      return edited.error();
    std::string block;
    text_lines et{*edited};
    for (size_t l = 0; l < et.count(); ++l) {
      if (!et.blank(l)) {
        block.append(indent, ' ');
        block += et.content(l);
      }
      block += et.eol(l);
    }
    auto result = std::string{text.substr(0, t.begin(header + 1))} + block
                  + std::string{text.substr(t.next(last))};
    // Outside the block nothing changed; inside it means the edited text.
    auto after = load_yaml_documents(result);
    if (!after || after->size() != docs->size())
      return fail("the text around the inline patch changed");
    for (size_t i = 0; i < docs->size(); ++i) {
      auto expected = yaml_to_json((*docs)[i]);
      auto actual = yaml_to_json((*after)[i]);
      if (i == document) {
        auto new_scalar = yaml_find((*after)[i], at);
        auto inner_docs = load_yaml_documents(yaml_scalar(new_scalar));
        auto edited_docs = load_yaml_documents(*edited);
        if (!inner_docs || !edited_docs || inner_docs->size() != 1
            || edited_docs->size() != 1
            || yaml_to_json(inner_docs->front())
                 != yaml_to_json(edited_docs->front()))
          return fail("the inline patch at " + to_string(at)
                      + " does not read back as edited");
        apply_edit_to_json(
          expected,
          {edit_op::set, at, yaml_value::text(yaml_scalar(new_scalar)), 0, {}},
          false, false);
      }
      if (expected != actual)
        return fail("document " + std::to_string(i)
                    + " differs beyond the inline patch at "
                    + differences(expected, actual));
    }
    return result;
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      std::string{"manifest edit failed: "} + e.what());
  }
}

caf::expected<yaml_value> copy_node(std::string_view text,
                                    const YAML::Node& node) {
  if (node.IsNull())
    return yaml_value::null();
  if (node.IsScalar()) {
    auto pos = mark_pos(node);
    auto end = scalar_end(text, node);
    if (pos == npos || end == npos
        || text.substr(pos, end - pos).find('\n') != std::string_view::npos)
      return unsupported("cannot copy the scalar " + backticked(node.Scalar())
                         + " (block or multi-line)");
    yaml_value v;
    v.scalar = node.Scalar();
    v.style = scalar_style::raw;
    v.raw = std::string{text.substr(pos, end - pos)};
    return v;
  }
  yaml_value v;
  v.flow = is_flow(node);
  if (node.IsMap()) {
    v.type = yaml_value::shape::map;
    for (auto& [k, x] : yaml_entries(node)) {
      auto copied = copy_node(text, x);
      if (!copied)
        return copied.error();
      v.entries.emplace_back(yaml_scalar(k), std::move(*copied));
    }
    return v;
  }
  if (node.IsSequence()) {
    v.type = yaml_value::shape::sequence;
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto copied = copy_node(text, *it);
      if (!copied)
        return copied.error();
      v.items.push_back(std::move(*copied));
    }
    return v;
  }
  return unsupported("cannot copy an undefined node");
}

} // namespace kfix::patching
