#include "eval/sim/util.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kfix::sim {

// -- strings ------------------------------------------------------------------

std::string to_lower(std::string_view text) {
  std::string result{text};
  for (auto& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text[0])))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size()
         && text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size()
         && text.compare(text.size() - suffix.size(), suffix.size(), suffix)
              == 0;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> result;
  size_t start = 0;
  for (;;) {
    auto pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      result.emplace_back(text.substr(start));
      return result;
    }
    result.emplace_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string> split_top_level(std::string_view text, char sep) {
  std::vector<std::string> result;
  int depth = 0;
  bool quoted = false;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    if (quoted) {
      current += c;
      if (c == '\\' && i + 1 < text.size())
        current += text[++i];
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '(' || c == '{' || c == '[') {
      ++depth;
    } else if ((c == ')' || c == '}' || c == ']') && depth > 0) {
      --depth;
    } else if (c == sep && depth == 0) {
      result.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += c;
  }
  result.push_back(std::move(current));
  return result;
}

namespace {

template <class Eq>
bool glob_impl(std::string_view pattern, std::string_view text, Eq eq) {
  // Iterative matcher with backtracking to the last star.
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || eq(pattern[p], text[t]))
        && pattern[p] != '*') {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  return glob_impl(pattern, text, [](char x, char y) {
    return x == y;
  });
}

bool glob_match_icase(std::string_view pattern, std::string_view text) {
  return glob_impl(pattern, text, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x))
           == std::tolower(static_cast<unsigned char>(y));
  });
}

// -- encodings ----------------------------------------------------------------

std::string base64url_encode(std::string_view bytes) {
  static constexpr char alphabet[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string result;
  uint32_t buffer = 0;
  int bits = 0;
  for (auto c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      result += alphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0)
    result += alphabet[(buffer << (6 - bits)) & 0x3F];
  return result;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string result;
  uint32_t buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (auto c : text) {
    int value = 0;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+' || c == '-')
      value = 62;
    else if (c == '/' || c == '_')
      value = 63;
    else if (c == '=') {
      ++padding;
      continue;
    } else
      return std::nullopt;
    if (padding > 0)
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      result += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bits >= 6 || padding > 2)
    return std::nullopt;
  return result;
}

std::string percent_decode(std::string_view text, bool plus_as_space) {
  std::string result;
  result.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      auto hi = hex(text[i + 1]);
      auto lo = hex(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        result += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    if (c == '+' && plus_as_space)
      result += ' ';
    else
      result += c;
  }
  return result;
}

std::string percent_encode(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string result;
  for (auto c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      result += c;
    } else {
      result += '%';
      result += digits[u >> 4];
      result += digits[u & 0x0F];
    }
  }
  return result;
}

// -- numbers ------------------------------------------------------------------

std::optional<int64_t> parse_int(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text[0] == '+')
    text.remove_prefix(1);
  int64_t value = 0;
  auto [ptr, err]
    = std::from_chars(text.data(), text.data() + text.size(), value);
  if (err != std::errc{} || ptr != text.data() + text.size() || text.empty())
    return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  text = trim(text);
  if (text.empty())
    return std::nullopt;
  std::string copy{text};
  char* end = nullptr;
  auto value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size())
    return std::nullopt;
  // Reject hex floats, inf and nan spellings strtod accepts.
  for (auto c : copy)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e'
          || c == 'E' || c == '+' || c == '-'))
      return std::nullopt;
  return value;
}

// -- errors -------------------------------------------------------------------

std::string error_message(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return render(err);
}

// -- requests and responses ---------------------------------------------------

std::string request_path(const http::request& req) {
  if (!req.path.empty())
    return req.path;
  auto target = std::string_view{req.target};
  auto pos = target.find('?');
  return percent_decode(target.substr(0, pos), false);
}

std::multimap<std::string, std::string>
request_query(const http::request& req) {
  if (!req.query.empty())
    return req.query;
  std::multimap<std::string, std::string> result;
  auto target = std::string_view{req.target};
  auto pos = target.find('?');
  if (pos == std::string_view::npos)
    return result;
  for (auto& part : split(target.substr(pos + 1), '&')) {
    if (part.empty())
      continue;
    auto eq = part.find('=');
    if (eq == std::string::npos)
      result.emplace(percent_decode(part, true), "");
    else
      result.emplace(
        percent_decode(std::string_view{part}.substr(0, eq), true),
        percent_decode(std::string_view{part}.substr(eq + 1), true));
  }
  return result;
}

std::optional<std::string>
query_value(const std::multimap<std::string, std::string>& query,
            const std::string& name) {
  auto i = query.find(name);
  if (i == query.end())
    return std::nullopt;
  return i->second;
}

std::optional<std::string> header_value(const http::request& req,
                                        std::string_view name) {
  auto lower = to_lower(name);
  auto i = req.headers.find(lower);
  if (i != req.headers.end())
    return i->second;
  for (auto& [key, value] : req.headers)
    if (to_lower(key) == lower)
      return value;
  return std::nullopt;
}

http::request strip_prefix(const http::request& req, std::string_view prefix) {
  auto result = req;
  auto path = request_path(req);
  result.query = request_query(req);
  if (starts_with(path, prefix))
    path = path.substr(prefix.size());
  if (path.empty() || path[0] != '/')
    path.insert(path.begin(), '/');
  result.path = path;
  auto target = std::string_view{req.target};
  if (starts_with(target, prefix)) {
    auto rest = std::string{target.substr(prefix.size())};
    if (rest.empty() || rest[0] != '/')
      rest.insert(rest.begin(), '/');
    result.target = rest;
  }
  return result;
}

http::response make_json_response(int status, const nlohmann::json& body) {
  http::response result;
  result.status = status;
  result.headers.emplace_back("Content-Type", "application/json");
  result.body = body.dump();
  return result;
}

} // namespace kfix::sim
