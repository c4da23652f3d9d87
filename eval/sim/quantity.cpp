#include "eval/sim/quantity.hpp"

#include <array>
#include <cctype>

namespace kfix::sim {

namespace {

constexpr int max_exponent = 27;

int128 pow10(int n) {
  int128 result = 1;
  for (int i = 0; i < n; ++i)
    result *= 10;
  return result;
}

std::string int128_to_string(int128 value) {
  if (value == 0)
    return "0";
  bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    auto digit = static_cast<int>(value % 10);
    digits.insert(digits.begin(),
                  static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    value /= 10;
  }
  if (negative)
    digits.insert(digits.begin(), '-');
  return digits;
}

} // namespace

double quantity::value() const {
  return static_cast<double>(static_cast<long double>(nanos) / 1e9L);
}

std::optional<quantity> parse_quantity(std::string_view text) {
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    negative = text[pos] == '-';
    ++pos;
  }
  int128 mantissa = 0;
  int digits = 0;
  int significant = 0;
  int frac_digits = 0;
  bool seen_dot = false;
  for (; pos < text.size(); ++pos) {
    auto c = text[pos];
    if (c == '.') {
      if (seen_dot)
        return std::nullopt;
      seen_dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c)))
      break;
    ++digits;
    if (mantissa != 0 || c != '0')
      ++significant;
    if (significant > 30)
      return std::nullopt;
    mantissa = mantissa * 10 + (c - '0');
    if (seen_dot)
      ++frac_digits;
  }
  if (digits == 0)
    return std::nullopt;
  auto suffix = text.substr(pos);
  int exp10 = -frac_digits;
  int bin_shift = 0;
  quantity result;
  result.format = quantity::suffix_format::decimal_si;
  static constexpr std::array<std::pair<std::string_view, int>, 6> binary{
    {{"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}}};
  static constexpr std::array<std::pair<std::string_view, int>, 10> decimal{
    {{"n", -9},
     {"u", -6},
     {"m", -3},
     {"", 0},
     {"k", 3},
     {"M", 6},
     {"G", 9},
     {"T", 12},
     {"P", 15},
     {"E", 18}}};
  bool matched = false;
  for (auto& [name, shift] : binary) {
    if (suffix == name) {
      bin_shift = shift;
      result.format = quantity::suffix_format::binary_si;
      matched = true;
    }
  }
  for (auto& [name, exp] : decimal) {
    if (!matched && suffix == name) {
      exp10 += exp;
      matched = true;
    }
  }
  if (!matched && suffix.size() >= 2
      && (suffix[0] == 'e' || suffix[0] == 'E')) {
    auto rest = suffix.substr(1);
    bool neg_exp = false;
    if (rest[0] == '+' || rest[0] == '-') {
      neg_exp = rest[0] == '-';
      rest.remove_prefix(1);
    }
    if (rest.empty() || rest.size() > 3)
      return std::nullopt;
    int exp = 0;
    for (auto c : rest) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return std::nullopt;
      exp = exp * 10 + (c - '0');
    }
    exp10 += neg_exp ? -exp : exp;
    result.format = quantity::suffix_format::decimal_exponent;
    matched = true;
  }
  if (!matched)
    return std::nullopt;
  // value = mantissa * 10^exp10 * 2^bin_shift, in nanos: exp10 + 9.
  auto scale = exp10 + 9;
  int128 nanos = mantissa;
  for (int i = 0; i < bin_shift; ++i) {
    nanos *= 2;
    if (nanos > pow10(36))
      return std::nullopt;
  }
  if (scale >= 0) {
    if (scale + significant > max_exponent + 9)
      return std::nullopt;
    nanos *= pow10(scale);
  } else {
    if (-scale > 36) {
      nanos = nanos == 0 ? 0 : 1;
    } else {
      auto divisor = pow10(-scale);
      auto rounded = nanos / divisor;
      if (nanos % divisor != 0)
        ++rounded; // round up, as the API server does
      nanos = rounded;
    }
  }
  result.nanos = negative ? -nanos : nanos;
  return result;
}

std::string to_string(const quantity& q) {
  if (q.nanos == 0)
    return "0";
  static constexpr int128 nanos_per_unit = 1000000000;
  auto format = q.format;
  if (format == quantity::suffix_format::binary_si) {
    auto abs = q.nanos < 0 ? -q.nanos : q.nanos;
    if (abs < 1024 * nanos_per_unit || q.nanos % nanos_per_unit != 0)
      format = quantity::suffix_format::decimal_si;
  }
  if (format == quantity::suffix_format::binary_si) {
    static constexpr std::array<std::string_view, 7> suffixes{
      "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    auto value = q.nanos / nanos_per_unit;
    size_t k = 0;
    while (k + 1 < suffixes.size() && value % 1024 == 0) {
      value /= 1024;
      ++k;
    }
    return int128_to_string(value) + std::string{suffixes[k]};
  }
  auto mantissa = q.nanos;
  int exp = -9;
  while (exp < 18 && mantissa % 1000 == 0) {
    mantissa /= 1000;
    exp += 3;
  }
  auto number = int128_to_string(mantissa);
  if (format == quantity::suffix_format::decimal_exponent)
    return exp == 0 ? number : number + "e" + std::to_string(exp);
  switch (exp) {
    case -9:
      return number + "n";
    case -6:
      return number + "u";
    case -3:
      return number + "m";
    case 0:
      return number;
    case 3:
      return number + "k";
    case 6:
      return number + "M";
    case 9:
      return number + "G";
    case 12:
      return number + "T";
    case 15:
      return number + "P";
    default:
      return number + "E";
  }
}

std::string canonical_quantity(std::string_view text) {
  auto q = parse_quantity(text);
  return q ? to_string(*q) : std::string{text};
}

int compare(const quantity& x, const quantity& y) {
  if (x.nanos < y.nanos)
    return -1;
  return x.nanos > y.nanos ? 1 : 0;
}

} // namespace kfix::sim
