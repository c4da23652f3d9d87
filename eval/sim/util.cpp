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

// -- time ---------------------------------------------------------------------

namespace {

// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  auto era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  auto doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  auto doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  auto era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  auto yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

} // namespace

std::optional<int64_t> parse_rfc3339_ms(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > text.size())
      return std::nullopt;
    int value = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i])))
        return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  if (text.size() < 20)
    return std::nullopt;
  auto year = digits(0, 4);
  auto month = digits(5, 2);
  auto day = digits(8, 2);
  auto hour = digits(11, 2);
  auto minute = digits(14, 2);
  auto second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-'
      || text[7] != '-' || (text[10] != 'T' && text[10] != 't')
      || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  static constexpr std::array<int, 12> month_days{31, 28, 31, 30, 31, 30,
                                                  31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *day < 1)
    return std::nullopt;
  auto max_day = month_days[*month - 1] + (*month == 2 && is_leap(*year));
  if (*day > max_day || *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos < text.size()
           && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (n < 3)
        millis = millis * 10 + (text[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0)
      return std::nullopt;
    for (; n < 3; ++n)
      millis *= 10;
  }
  int64_t offset_s = 0;
  if (pos >= text.size())
    return std::nullopt;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    auto sign = text[pos] == '+' ? 1 : -1;
    auto oh = digits(pos + 1, 2);
    auto om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= text.size() || text[pos + 3] != ':')
      return std::nullopt;
    offset_s = sign * (int64_t{*oh} * 3600 + int64_t{*om} * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size())
    return std::nullopt;
  auto days = days_from_civil(*year, static_cast<unsigned>(*month),
                              static_cast<unsigned>(*day));
  auto seconds = days * 86400 + int64_t{*hour} * 3600 + int64_t{*minute} * 60
                 + std::min(*second, 59) - offset_s;
  return seconds * 1000 + millis;
}

std::string format_rfc3339_ms(int64_t ms) {
  auto seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  auto millis = ms - seconds * 1000;
  auto days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  auto rest = seconds - days * 86400;
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(days, y, m, d);
  char buf[40];
  std::snprintf(
    buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
    static_cast<long long>(y), m, d, static_cast<long long>(rest / 3600),
    static_cast<long long>((rest / 60) % 60), static_cast<long long>(rest % 60),
    static_cast<long long>(millis));
  return buf;
}

std::string format_rfc3339_s(int64_t seconds) {
  auto text = format_rfc3339_ms(seconds * 1000);
  // Drop ".000".
  return text.substr(0, 19) + "Z";
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
