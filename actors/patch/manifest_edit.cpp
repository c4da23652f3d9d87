#include "actors/patch/manifest_edit.hpp"

#include "actors/common/quantity.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>
#include <utility>

namespace kfix::patching {

namespace {

// -- small string helpers -----------------------------------------------------

std::string lower(std::string_view s) {
  std::string result{s};
  for (auto& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size()
         && s.substr(s.size() - suffix.size()) == suffix;
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

std::string backticked(std::string_view s) {
  std::string result = "`";
  result += s;
  result += '`';
  return result;
}

// -- YAML access --------------------------------------------------------------

/// Parses every document; yaml-cpp throws, so this is the boundary.
caf::expected<std::vector<YAML::Node>> load_all(std::string_view text) {
  try {
    return YAML::LoadAll(std::string{text});
  } catch (const std::exception& e) {
    return make_error(ec::invalid_input,
                      std::string{"YAML does not parse: "} + e.what());
  }
}

/// `map[key]` without inserting and without throwing on non-maps.
YAML::Node child(const YAML::Node& map, const char* key) {
  if (!map.IsDefined() || !map.IsMap())
    return YAML::Node{YAML::NodeType::Undefined};
  // A missing key gives an invalid node on which most calls throw.
  YAML::Node result = map[key];
  if (!result.IsDefined())
    return YAML::Node{YAML::NodeType::Undefined};
  return result;
}

std::string scalar_or_empty(const YAML::Node& n) {
  return n.IsScalar() ? n.Scalar() : std::string{};
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

/// Entries of a map in document order.
std::vector<std::pair<YAML::Node, YAML::Node>> entries(const YAML::Node& map) {
  std::vector<std::pair<YAML::Node, YAML::Node>> result;
  if (map.IsMap())
    for (auto it = map.begin(); it != map.end(); ++it)
      result.emplace_back(it->first, it->second);
  return result;
}

/// The JSON-pointer path of the `containers` sequence for a workload kind,
/// or an empty string for kinds without a pod template.
std::string containers_path(const std::string& kind) {
  if (kind == "Pod")
    return "/spec/containers";
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet"
      || kind == "ReplicaSet" || kind == "Job"
      || kind == "ReplicationController")
    return "/spec/template/spec/containers";
  if (kind == "CronJob")
    return "/spec/jobTemplate/spec/template/spec/containers";
  return {};
}

/// A container found in a workload document.
struct located_container {
  YAML::Node node;
  /// JSON pointer of the `containers` sequence.
  std::string seq_path;
  size_t index = 0;
};

std::string describe_doc(const YAML::Node& doc, size_t document) {
  auto kind = scalar_or_empty(child(doc, "kind"));
  auto name = scalar_or_empty(child(child(doc, "metadata"), "name"));
  return (kind.empty() ? std::string{"document"} : kind) + " "
         + (name.empty() ? std::string{"<unnamed>"} : name) + " (document "
         + std::to_string(document) + ")";
}

caf::expected<located_container>
find_container(const std::vector<YAML::Node>& docs, size_t document,
               const std::string& name) {
  if (document >= docs.size())
    return make_error(ec::invalid_input, "document " + std::to_string(document)
                                           + " out of range: the text has "
                                           + std::to_string(docs.size())
                                           + " documents");
  const auto& doc = docs[document];
  if (!doc.IsMap())
    return make_error(ec::invalid_input,
                      "document " + std::to_string(document) + " is not a map");
  auto kind = scalar_or_empty(child(doc, "kind"));
  auto path = containers_path(kind);
  if (path.empty())
    return make_error(ec::invalid_input, "unsupported kind " + backticked(kind)
                                           + " in "
                                           + describe_doc(doc, document));
  // Walk the pointer's segments.
  YAML::Node seq = doc;
  size_t begin = 1;
  while (begin < path.size()) {
    auto end = path.find('/', begin);
    if (end == std::string::npos)
      end = path.size();
    auto segment = path.substr(begin, end - begin);
    YAML::Node next = child(seq, segment.c_str());
    seq.reset(next);
    begin = end + 1;
  }
  if (!seq.IsSequence())
    return make_error(ec::not_found, "no containers in "
                                       + describe_doc(doc, document) + " at "
                                       + path);
  std::vector<std::string> names;
  std::optional<located_container> found;
  for (size_t i = 0; i < seq.size(); ++i) {
    auto item = seq[i];
    auto item_name = scalar_or_empty(child(item, "name"));
    if (item_name == name && item.IsMap()) {
      if (found)
        return make_error(ec::invalid_input, "container " + backticked(name)
                                               + " appears twice in "
                                               + describe_doc(doc, document));
      found = located_container{item, path, i};
    }
    names.push_back(item_name.empty() ? "<unnamed>" : item_name);
  }
  if (found)
    return std::move(*found);
  return make_error(
    ec::not_found,
    "container " + backticked(name) + " not found in "
      + describe_doc(doc, document) + "; containers: "
      + (names.empty() ? std::string{"none"} : join(names, ", ")));
}

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

constexpr size_t npos = std::string_view::npos;

/// A replacement of `[begin, end)` by `text`.
struct splice {
  size_t begin;
  size_t end;
  std::string text;
};

using splices = std::vector<splice>;

caf::error unsupported(std::string what) {
  return make_error(ec::unspecified,
                    "unsupported manifest layout: " + std::move(what));
}

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
  auto es = entries(map);
  return t.column(mark_pos(es.front().first));
}

/// The indentation step used below `map`'s keys: from a block-map value of
/// `map` if one exists, else `fallback`.
size_t local_unit(const text_lines& t, const YAML::Node& map, size_t fallback) {
  for (auto& [k, v] : entries(map)) {
    if (v.IsMap() && !is_flow(v) && v.size() > 0) {
      auto kc = t.column(mark_pos(k));
      auto vc = key_column(t, v);
      if (vc > kc)
        return vc - kc;
    }
  }
  return fallback;
}

/// The document's indentation step: the first nested block map's offset.
size_t document_unit(const text_lines& t, const YAML::Node& n) {
  if (!n.IsMap() || is_flow(n))
    return 0;
  for (auto& [k, v] : entries(n)) {
    if (v.IsMap() && !is_flow(v) && v.size() > 0) {
      auto kc = t.column(mark_pos(k));
      auto vc = key_column(t, v);
      if (vc > kc)
        return vc - kc;
      if (auto u = document_unit(t, v); u > 0)
        return u;
    }
  }
  return 0;
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
    for (auto& [k, v] : entries(m)) {
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

/// Quote character of the container's resource values, 0 for plain.
char resource_quote(std::string_view text, const YAML::Node& container) {
  std::vector<YAML::Node> maps;
  for (auto& [f, m] : entries(child(container, "resources")))
    maps.push_back(m);
  return majority_quote(text, maps, 0);
}

// -- edit primitives ----------------------------------------------------------

/// Everything one edit needs besides the nodes.
struct edit_context {
  const text_lines& t;
  /// Quote character of the container's resource values (0 for plain).
  char quote;
  /// Indentation step of the document.
  size_t unit;
};

std::string quote_value(const std::string& value, char q) {
  if (q == 0)
    return value;
  return std::string(1, q) + value + q;
}

/// Renders `keys[0]:` ... `keys[n-1]: value` as nested block lines.
std::string render_block(const std::vector<std::string>& keys,
                         const std::string& value, char q, size_t col,
                         size_t unit, std::string_view eol) {
  std::string result;
  for (size_t i = 0; i < keys.size(); ++i) {
    result.append(col + i * unit, ' ');
    result += keys[i];
    result += ':';
    if (i + 1 == keys.size()) {
      result += ' ';
      result += quote_value(value, q);
    }
    result += eol;
  }
  return result;
}

/// Renders `value` or `{k: {k2: value}}` for the remaining keys.
std::string render_flow(const std::vector<std::string>& keys, size_t from,
                        const std::string& value, char q) {
  if (from == keys.size())
    return quote_value(value, q);
  return "{" + keys[from] + ": " + render_flow(keys, from + 1, value, q) + "}";
}

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

/// Replaces a scalar value, keeping its quote style.
caf::expected<splices> replace_scalar(const edit_context& ctx,
                                      const YAML::Node& node,
                                      const std::string& value) {
  auto text = ctx.t.text();
  auto pos = mark_pos(node);
  auto end = scalar_end(text, node);
  if (pos == npos || end == npos
      || ctx.t.line_of(pos) != ctx.t.line_of(end - 1))
    return unsupported("the value " + backticked(node.Scalar())
                       + " is not a plain or quoted one-line scalar");
  auto q = text[pos];
  auto replacement = q == '"' || q == '\'' ? quote_value(value, q) : value;
  return splices{{pos, end, replacement}};
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

/// Sets `key:` whose value is null (`key:`, `key: ~`, `key: null`) to
/// `value` (no `keys`) or to a block of `keys`.
caf::expected<splices> fill_null(const edit_context& ctx, const YAML::Node& key,
                                 const std::vector<std::string>& keys,
                                 const std::string& value) {
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
  if (keys.empty())
    return splices{{*colon, null_end, " " + quote_value(value, ctx.quote)}};
  splices result;
  if (explicit_null)
    result.push_back({*colon, null_end, ""});
  auto col = ctx.t.column(mark_pos(key)) + ctx.unit;
  result.push_back(insert_after_line(
    ctx.t, key_line,
    render_block(keys, value, ctx.quote, col, ctx.unit,
                 ctx.t.eol(key_line).empty() ? ctx.t.dominant_eol()
                                             : ctx.t.eol(key_line))));
  return result;
}

/// Sets `keys` to `value` inside a flow map.
caf::expected<splices> flow_set(const edit_context& ctx, const YAML::Node& map,
                                const std::vector<std::string>& keys,
                                size_t from, const std::string& value) {
  auto text = ctx.t.text();
  auto& key = keys[from];
  if (auto kv = find_entry(map, key)) {
    if (from + 1 == keys.size()) {
      if (!kv->second.IsScalar())
        return unsupported(backticked(key) + " is not a scalar");
      return replace_scalar(ctx, kv->second, value);
    }
    if (!kv->second.IsMap() || !is_flow(kv->second))
      return unsupported(backticked(key) + " in a flow map is not a flow map");
    return flow_set(ctx, kv->second, keys, from + 1, value);
  }
  auto open = mark_pos(map);
  auto close = open == npos || open >= text.size() || text[open] != '{'
                 ? npos
                 : flow_end(text, open);
  if (close == npos)
    return unsupported("cannot find the braces of a flow map");
  --close; // the '}'
  auto q = majority_quote(text, {map}, ctx.quote);
  auto entry = key + ": " + render_flow(keys, from + 1, value, q);
  if (map.size() == 0)
    return splices{{open + 1, close, entry}};
  auto p = close;
  while (p > open + 1 && std::isspace(static_cast<unsigned char>(text[p - 1])))
    --p;
  if (text[p - 1] == ',')
    return splices{{p, p, " " + entry}};
  return splices{{p, p, ", " + entry}};
}

/// Inserts `keys[from]: ...` as the last entry of a block map.
splices insert_block_entry(const edit_context& ctx, const YAML::Node& map,
                           const std::vector<std::string>& keys, size_t from,
                           const std::string& value) {
  auto es = entries(map);
  auto col = key_column(ctx.t, map);
  auto& [last_key, last_value] = es.back();
  auto last = entry_last_line(ctx.t, last_key, last_value);
  auto unit = local_unit(ctx.t, map, ctx.unit);
  auto eol = ctx.t.eol(last).empty() ? ctx.t.dominant_eol() : ctx.t.eol(last);
  std::vector<std::string> rest(keys.begin() + static_cast<long>(from),
                                keys.end());
  return {insert_after_line(
    ctx.t, last,
    render_block(rest, value, majority_quote(ctx.t.text(), {map}, ctx.quote),
                 col, unit, eol))};
}

/// Sets `keys[from..]` to `value` below `map` (block or flow).
caf::expected<splices> set_in_map(const edit_context& ctx,
                                  const YAML::Node& map,
                                  const std::vector<std::string>& keys,
                                  size_t from, const std::string& value) {
  if (is_flow(map))
    return flow_set(ctx, map, keys, from, value);
  auto& key = keys[from];
  auto kv = find_entry(map, key);
  if (!kv)
    return insert_block_entry(ctx, map, keys, from, value);
  const auto& v = kv->second;
  std::vector<std::string> rest(keys.begin() + static_cast<long>(from) + 1,
                                keys.end());
  if (v.IsNull())
    return fill_null(ctx, kv->first, rest, value);
  if (rest.empty()) {
    if (!v.IsScalar())
      return unsupported(backticked(key) + " is not a scalar");
    return replace_scalar(ctx, v, value);
  }
  if (!v.IsMap())
    return unsupported(backticked(key) + " is not a map");
  auto text = ctx.t.text();
  auto pos = mark_pos(v);
  if (is_flow(v) && v.size() == 0 && pos != npos
      && ctx.t.line_of(pos) == ctx.t.line_of(mark_pos(kv->first))) {
    // `key: {}` under a block map becomes a block.
    auto colon = colon_after(ctx, kv->first);
    auto close = flow_end(text, pos);
    if (!colon || close == npos)
      return unsupported("cannot find " + backticked(key + ": {}"));
    auto result = fill_null(ctx, kv->first, rest, value);
    if (!result)
      return result;
    result->push_back({*colon, close, ""});
    return result;
  }
  return set_in_map(ctx, v, keys, from + 1, value);
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
  auto es = entries(map);
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

/// Removes `resources.<field>.<resource>`, and the `field` or `resources`
/// entries this empties; nothing when the key is absent.
caf::expected<splices> unset_in_container(const edit_context& ctx,
                                          const YAML::Node& container,
                                          const std::string& field,
                                          const std::string& resource) {
  auto res = find_entry(container, "resources");
  if (!res || !res->second.IsMap())
    return splices{};
  auto fld = find_entry(res->second, field);
  if (!fld || !fld->second.IsMap())
    return splices{};
  auto rsc = find_entry(fld->second, resource);
  if (!rsc)
    return splices{};
  if (fld->second.size() > 1)
    return remove_entry(ctx, fld->second, *rsc);
  if (res->second.size() > 1)
    return remove_entry(ctx, res->second, *fld);
  return remove_entry(ctx, container, *res);
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

// -- validation and verification ---------------------------------------------

caf::error validate(const resource_edit& e) {
  auto what = "edit of container " + backticked(e.container) + ": ";
  if (e.container.empty())
    return make_error(ec::invalid_input, "edit without container name");
  if (e.field != "requests" && e.field != "limits")
    return make_error(ec::invalid_input,
                      what + "field must be `requests` or `limits`, not "
                        + backticked(e.field));
  if (e.resource != "memory" && e.resource != "cpu"
      && e.resource != "ephemeral-storage")
    return make_error(ec::invalid_input,
                      what
                        + "resource must be `memory`, `cpu` or "
                          "`ephemeral-storage`, not "
                        + backticked(e.resource));
  if (e.value == "unset")
    return {};
  auto q = parse_quantity(e.value);
  if (!q)
    return make_error(ec::invalid_input, what + "invalid quantity "
                                           + backticked(e.value) + " for "
                                           + e.field + "." + e.resource + ": "
                                           + render(q.error()));
  if (q->negative())
    return make_error(ec::invalid_input,
                      what + "negative quantity " + backticked(e.value));
  if (e.resource != "cpu") {
    auto problem = memory_quantity_problem(e.value);
    if (!problem.empty())
      return make_error(ec::invalid_input, what + e.field + "." + e.resource
                                             + " " + backticked(e.value) + ": "
                                             + problem);
  }
  return {};
}

/// A YAML node as JSON with every scalar a string; maps compare regardless
/// of key order.
nlohmann::json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return n.Scalar();
    case YAML::NodeType::Sequence: {
      auto result = nlohmann::json::array();
      for (auto it = n.begin(); it != n.end(); ++it)
        result.push_back(to_json(*it));
      return result;
    }
    case YAML::NodeType::Map: {
      auto result = nlohmann::json::object();
      for (auto it = n.begin(); it != n.end(); ++it) {
        auto key
          = it->first.IsScalar() ? it->first.Scalar() : YAML::Dump(it->first);
        result[key] = to_json(it->second);
      }
      return result;
    }
    default:
      return nullptr;
  }
}

bool empty_map_or_null(const nlohmann::json& j) {
  return j.is_null() || (j.is_object() && j.empty());
}

/// Drops `resources.limits`/`requests` and `resources` when null or empty.
void prune_resources(nlohmann::json& container) {
  if (!container.is_object() || !container.contains("resources"))
    return;
  auto& res = container["resources"];
  if (res.is_object())
    for (const char* f : {"limits", "requests"})
      if (res.contains(f) && empty_map_or_null(res[f]))
        res.erase(f);
  if (empty_map_or_null(res))
    container.erase("resources");
}

void apply_to_json(nlohmann::json& container, const resource_edit& e) {
  if (e.value == "unset") {
    if (container.contains("resources") && container["resources"].is_object()
        && container["resources"].contains(e.field)
        && container["resources"][e.field].is_object())
      container["resources"][e.field].erase(e.resource);
    return;
  }
  auto& res = container["resources"];
  if (!res.is_object())
    res = nlohmann::json::object();
  auto& fld = res[e.field];
  if (!fld.is_object())
    fld = nlohmann::json::object();
  fld[e.resource] = e.value;
}

/// Checks that `after` differs from `before` exactly by `edits`.
caf::error verify(std::string_view before, std::string_view after,
                  size_t document, const std::vector<resource_edit>& edits) {
  auto fail = [](std::string why) {
    return make_error(ec::unspecified,
                      "manifest edit failed verification: " + std::move(why));
  };
  auto docs_before = load_all(before);
  auto docs_after = load_all(after);
  if (!docs_before || !docs_after)
    return fail(
      "the edited text does not parse: "
      + render(docs_after ? docs_before.error() : docs_after.error()));
  if (docs_before->size() != docs_after->size())
    return fail("the number of documents changed");
  for (size_t i = 0; i < docs_before->size(); ++i) {
    auto expected = to_json((*docs_before)[i]);
    auto actual = to_json((*docs_after)[i]);
    if (i == document) {
      auto ptr = nlohmann::json::json_pointer{
        containers_path(expected.value("kind", std::string{}))};
      if (!expected.contains(ptr) || !actual.contains(ptr)
          || !expected[ptr].is_array() || !actual[ptr].is_array()
          || expected[ptr].size() != actual[ptr].size())
        return fail("the containers of document " + std::to_string(i)
                    + " changed");
      for (const auto& e : edits)
        for (auto& c : expected[ptr])
          if (c.is_object() && c.value("name", std::string{}) == e.container)
            apply_to_json(c, e);
      for (auto& c : expected[ptr])
        prune_resources(c);
      for (auto& c : actual[ptr])
        prune_resources(c);
    }
    if (expected != actual) {
      auto diff = nlohmann::json::diff(expected, actual);
      std::vector<std::string> paths;
      for (const auto& op : diff)
        if (paths.size() < 3)
          paths.push_back(op.value("path", std::string{}));
      return fail("document " + std::to_string(i)
                  + " differs beyond the requested edits at "
                  + join(paths, ", "));
    }
  }
  return {};
}

// -- one edit -----------------------------------------------------------------

caf::expected<std::string> apply_one(std::string_view text, size_t document,
                                     const resource_edit& e) {
  auto docs = load_all(text);
  if (!docs)
    return docs.error();
  auto c = find_container(*docs, document, e.container);
  if (!c)
    return c.error();
  text_lines t{text};
  auto unit = document_unit(t, (*docs)[document]);
  edit_context ctx{t, resource_quote(text, c->node), unit > 0 ? unit : 2};
  caf::expected<splices> xs = splices{};
  if (e.value == "unset")
    xs = unset_in_container(ctx, c->node, e.field, e.resource);
  else
    xs = set_in_map(ctx, c->node, {"resources", e.field, e.resource}, 0,
                    e.value);
  if (!xs)
    return xs.error();
  if (overlapping(*xs))
    return make_error(ec::unspecified, "manifest edit produced overlapping "
                                       "changes");
  return apply_splices(text, std::move(*xs));
}

// -- locating manifests -------------------------------------------------------

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_yaml_path(const std::string& path) {
  auto l = lower(path);
  return ends_with(l, ".yaml") || ends_with(l, ".yml");
}

bool is_kustomization(const std::string& path) {
  auto b = base_of(path);
  return b == "kustomization.yaml" || b == "kustomization.yml"
         || b == "Kustomization";
}

bool is_workload_kind(const std::string& kind) {
  return !containers_path(kind).empty();
}

} // namespace

// -- public API ---------------------------------------------------------------

caf::expected<manifest_location>
find_workload_manifest(const std::vector<repo_file>& files,
                       const workload_ref& w) {
  try {
    // Namespaces set by kustomizations, by folder.
    std::map<std::string, std::string> kustomize_ns;
    for (const auto& f : files) {
      if (!is_kustomization(f.path))
        continue;
      auto docs = load_all(f.content);
      if (!docs || docs->empty())
        continue;
      auto ns = scalar_or_empty(child(docs->front(), "namespace"));
      if (!ns.empty())
        kustomize_ns[dir_of(f.path)] = ns;
    }
    struct candidate {
      manifest_location where;
      int score;
    };
    std::vector<candidate> found;
    size_t yaml_files = 0;
    size_t skipped = 0;
    auto wanted_kind = lower(w.kind);
    for (const auto& f : files) {
      if (!is_yaml_path(f.path))
        continue;
      ++yaml_files;
      auto docs = load_all(f.content);
      if (!docs) {
        ++skipped;
        continue;
      }
      for (size_t i = 0; i < docs->size(); ++i) {
        const auto& doc = (*docs)[i];
        if (!doc.IsMap())
          continue;
        auto kind = scalar_or_empty(child(doc, "kind"));
        auto kind_ok = wanted_kind.empty() ? is_workload_kind(kind)
                                           : lower(kind) == wanted_kind;
        if (!kind_ok)
          continue;
        const auto meta = child(doc, "metadata");
        if (scalar_or_empty(child(meta, "name")) != w.name)
          continue;
        auto ns = scalar_or_empty(child(meta, "namespace"));
        if (auto k = kustomize_ns.find(dir_of(f.path)); k != kustomize_ns.end())
          ns = k->second;
        int score = 0;
        if (ns.empty() || w.ns.empty())
          score = 1;
        else if (ns == w.ns)
          score = 2;
        if (score > 0)
          found.push_back({{f.path, i}, score});
      }
    }
    if (found.empty()) {
      auto msg = "no manifest of " + w.display() + " among "
                 + std::to_string(yaml_files) + " YAML files";
      if (skipped > 0)
        msg += " (" + std::to_string(skipped) + " did not parse)";
      return make_error(ec::not_found, std::move(msg));
    }
    auto best = std::max_element(found.begin(), found.end(),
                                 [](const candidate& a, const candidate& b) {
                                   return a.score < b.score;
                                 })
                  ->score;
    std::vector<std::string> ties;
    const candidate* winner = nullptr;
    for (const auto& c : found)
      if (c.score == best) {
        ties.push_back(c.where.path + " (document "
                       + std::to_string(c.where.document) + ")");
        winner = &c;
      }
    if (ties.size() > 1)
      return make_error(ec::invalid_input, "ambiguous manifest of "
                                             + w.display() + ": "
                                             + join(ties, " and "));
    return winner->where;
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      std::string{"finding the manifest failed: "} + e.what());
  }
}

caf::expected<std::string>
apply_resource_edits(std::string_view text, size_t document,
                     const std::vector<resource_edit>& edits) {
  try {
    for (const auto& e : edits)
      if (auto err = validate(e))
        return err;
    std::string current{text};
    if (edits.empty())
      return current;
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

caf::expected<std::map<std::string, std::map<std::string, std::string>>>
read_container_resources(std::string_view text, size_t document,
                         const std::string& container) {
  try {
    auto docs = load_all(text);
    if (!docs)
      return docs.error();
    auto c = find_container(*docs, document, container);
    if (!c)
      return c.error();
    std::map<std::string, std::map<std::string, std::string>> result;
    for (auto& [f, m] : entries(child(c->node, "resources"))) {
      if (!f.IsScalar() || !m.IsMap())
        continue;
      auto& out = result[f.Scalar()];
      for (auto& [k, v] : entries(m))
        if (k.IsScalar() && v.IsScalar())
          out[k.Scalar()] = v.Scalar();
    }
    return result;
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      std::string{"reading resources failed: "} + e.what());
  }
}

} // namespace kfix::patching
