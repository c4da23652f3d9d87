#include "actors/common/time_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace kfix {

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
      || text[7] != '-'
      || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')
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
  char buf[96];
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

} // namespace kfix
