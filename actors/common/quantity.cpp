#include "actors/common/quantity.hpp"

#include <cstdio>
#include <limits>

namespace kfix {

namespace {

using detail::int128;

constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

/// Kubernetes rejects magnitudes above 2^63-1 base units.
constexpr int128 max_millis = static_cast<int128>(int64_max) * 1000;

/// Bound for intermediate products; far below the int128 range.
constexpr int128 overflow_bound = static_cast<int128>(1) << 120;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Multiplies `x` by `factor` unless the result would pass `overflow_bound`.
bool checked_mul(int128& x, int128 factor) {
  if (x != 0 && factor > overflow_bound / x)
    return false;
  x *= factor;
  return true;
}

int128 pow10(int exponent) {
  int128 result = 1;
  for (int i = 0; i < exponent; ++i)
    result *= 10;
  return result;
}

struct suffix_info {
  quantity_format format = quantity_format::decimal_si;
  int base10 = 0; // decimal exponent of the suffix
  int base2 = 0;  // binary exponent of the suffix
};

caf::expected<suffix_info> interpret_suffix(std::string_view text,
                                            std::string_view suffix) {
  auto bad = [&](std::string why) {
    return make_error(ec::invalid_input, "invalid quantity \""
                                           + std::string{text}
                                           + "\": " + std::move(why));
  };
  suffix_info result;
  if (suffix.empty())
    return result;
  if (suffix.size() == 1) {
    switch (suffix[0]) {
      case 'n':
        result.base10 = -9;
        return result;
      case 'u':
        result.base10 = -6;
        return result;
      case 'm':
        result.base10 = -3;
        return result;
      case 'k':
        result.base10 = 3;
        return result;
      case 'M':
        result.base10 = 6;
        return result;
      case 'G':
        result.base10 = 9;
        return result;
      case 'T':
        result.base10 = 12;
        return result;
      case 'P':
        result.base10 = 15;
        return result;
      case 'E':
        result.base10 = 18;
        return result;
      case 'K':
        return bad("unknown suffix \"K\" (use k for 1000 or Ki for 1024)");
      default:
        break;
    }
  }
  if (suffix.size() == 2 && suffix[1] == 'i') {
    constexpr std::string_view binary = "KMGTPE";
    auto i = binary.find(suffix[0]);
    if (i != std::string_view::npos) {
      result.format = quantity_format::binary_si;
      result.base2 = 10 * static_cast<int>(i + 1);
      return result;
    }
  }
  if (suffix[0] == 'e' || suffix[0] == 'E') {
    auto rest = suffix.substr(1);
    bool neg = false;
    if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
      neg = rest[0] == '-';
      rest.remove_prefix(1);
    }
    if (rest.empty())
      return bad("exponent without digits");
    int exponent = 0;
    for (auto c : rest) {
      if (!is_digit(c))
        return bad("unknown suffix \"" + std::string{suffix} + "\"");
      exponent = exponent * 10 + (c - '0');
      if (exponent > 1000)
        return bad("exponent out of range");
    }
    result.format = quantity_format::decimal_exponent;
    result.base10 = neg ? -exponent : exponent;
    return result;
  }
  return bad("unknown suffix \"" + std::string{suffix} + "\"");
}

} // namespace

// -- quantity -----------------------------------------------------------------

quantity quantity::from_millis(int64_t n) {
  quantity result;
  result.millis_ = n;
  result.suffix_ = "m";
  return result;
}

quantity quantity::from_units(int64_t n) {
  quantity result;
  result.millis_ = static_cast<int128>(n) * 1000;
  return result;
}

int64_t quantity::millis() const {
  if (millis_ > int64_max)
    return int64_max;
  if (millis_ < -int64_max)
    return -int64_max;
  return static_cast<int64_t>(millis_);
}

int64_t quantity::bytes() const {
  // Round away from zero, like Quantity.Value().
  auto whole = millis_ / 1000;
  if (millis_ % 1000 != 0)
    whole += millis_ > 0 ? 1 : -1;
  return static_cast<int64_t>(whole);
}

caf::expected<quantity> parse_quantity(std::string_view text) {
  auto bad = [&](std::string why) {
    return make_error(ec::invalid_input, "invalid quantity \""
                                           + std::string{text}
                                           + "\": " + std::move(why));
  };
  if (text.empty())
    return bad("empty");
  size_t pos = 0;
  bool neg = false;
  if (text[pos] == '+' || text[pos] == '-') {
    neg = text[pos] == '-';
    ++pos;
  }
  auto int_begin = pos;
  while (pos < text.size() && is_digit(text[pos]))
    ++pos;
  auto int_part = text.substr(int_begin, pos - int_begin);
  std::string_view frac_part;
  if (pos < text.size() && text[pos] == '.') {
    auto frac_begin = ++pos;
    while (pos < text.size() && is_digit(text[pos]))
      ++pos;
    frac_part = text.substr(frac_begin, pos - frac_begin);
  }
  if (int_part.empty() && frac_part.empty())
    return bad("no digits");
  auto suffix = text.substr(pos);
  auto info = interpret_suffix(text, suffix);
  if (!info)
    return std::move(info.error());
  // Trailing zeros of the fraction do not change the value.
  while (!frac_part.empty() && frac_part.back() == '0')
    frac_part.remove_suffix(1);
  // The significant digits as one integer mantissa.
  std::string digits{int_part};
  digits += frac_part;
  auto first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? std::string{} : digits.substr(first);
  if (digits.size() > 36)
    return bad("too many significant digits");
  int128 mantissa = 0;
  for (auto c : digits)
    mantissa = mantissa * 10 + (c - '0');
  auto frac_digits = static_cast<int>(frac_part.size());
  int128 millis = 0;
  bool rounded = false;
  if (mantissa != 0) {
    // millis = mantissa * 2^base2 * 10^(base10 + 3 - frac_digits), rounded
    // up (away from zero) to a whole milli-unit.
    auto e10 = info->base10 + 3 - frac_digits;
    int128 num = mantissa;
    if (!checked_mul(num, static_cast<int128>(1) << info->base2))
      return bad("exceeds the maximum magnitude 2^63-1");
    if (e10 >= 0) {
      if (e10 > 36 || !checked_mul(num, pow10(e10)))
        return bad("exceeds the maximum magnitude 2^63-1");
      millis = num;
    } else if (-e10 > 36) {
      millis = 1; // a positive value far below 1m rounds up to 1m
      rounded = true;
    } else {
      auto den = pow10(-e10);
      millis = (num + den - 1) / den;
      rounded = num % den != 0;
    }
    if (millis > max_millis)
      return bad("exceeds the maximum magnitude 2^63-1");
  }
  quantity result;
  result.millis_ = neg ? -millis : millis;
  result.rounded_ = rounded;
  result.format_ = info->format;
  result.suffix_ = std::string{suffix};
  return result;
}

// -- validation ---------------------------------------------------------------

std::string quantity_error_text(const caf::error& err) {
  auto text = render(err);
  std::string_view prefix = "invalid_input: ";
  if (text.compare(0, prefix.size(), prefix) == 0)
    text.erase(0, prefix.size());
  return text;
}

std::string memory_quantity_problem(std::string_view text) {
  auto q = parse_quantity(text);
  if (!q)
    return quantity_error_text(q.error());
  auto quoted = "\"" + std::string{text} + "\"";
  const auto& suffix = q->suffix();
  if (suffix == "m" || suffix == "u" || suffix == "n")
    return quoted + " uses the suffix \"" + suffix
           + "\", a fraction of a byte for memory (M is 10^6, Mi 2^20)";
  if (q->negative())
    return quoted + " is negative";
  if (!q->is_integral())
    return quoted + " is not a whole number of bytes";
  return {};
}

bool is_valid_memory_quantity(std::string_view text) {
  return memory_quantity_problem(text).empty();
}

// -- formatting ---------------------------------------------------------------

std::string format_memory(int64_t bytes) {
  if (bytes == 0)
    return "0";
  if (bytes % units::gib == 0)
    return std::to_string(bytes / units::gib) + "Gi";
  if (bytes % units::mib == 0)
    return std::to_string(bytes / units::mib) + "Mi";
  return std::to_string(bytes);
}

std::string format_cpu(int64_t millis) {
  if (millis % 1000 == 0)
    return std::to_string(millis / 1000);
  return std::to_string(millis) + "m";
}

std::string describe_memory(int64_t bytes) {
  if (bytes % units::mib == 0)
    return format_memory(bytes);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1fMi",
                static_cast<double>(bytes) / static_cast<double>(units::mib));
  return buf;
}

// -- rounding -----------------------------------------------------------------

namespace {

int64_t memory_step(int64_t bytes) {
  if (bytes <= 512 * units::mib)
    return 32 * units::mib;
  if (bytes <= 2 * units::gib)
    return 64 * units::mib;
  if (bytes <= 8 * units::gib)
    return 256 * units::mib;
  return 512 * units::mib;
}

} // namespace

int64_t round_up_memory(int64_t bytes) {
  if (bytes <= 0)
    return 0;
  auto step = memory_step(bytes);
  auto steps = bytes / step + (bytes % step != 0 ? 1 : 0);
  if (steps > int64_max / step)
    return int64_max / step * step;
  return steps * step;
}

int64_t round_down_memory(int64_t bytes) {
  if (bytes <= 0)
    return 0;
  auto step = memory_step(bytes);
  return bytes / step * step;
}

} // namespace kfix
