#pragma once

#include "messages/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace kfix {

namespace detail {
/// 128-bit arithmetic for exact quantities (`__extension__` keeps -pedantic
/// quiet).
__extension__ typedef __int128 int128;
} // namespace detail

/// How a quantity was written; Kubernetes keeps this to serialise it again.
enum class quantity_format : uint8_t {
  /// Ki, Mi, Gi, Ti, Pi, Ei.
  binary_si,
  /// No suffix, or n, u, m, k, M, G, T, P, E.
  decimal_si,
  /// 1e3, 129E6.
  decimal_exponent,
};

/// A Kubernetes resource quantity (k8s.io/apimachinery `resource.Quantity`),
/// held exactly as a signed number of milli-units. Like Kubernetes, values
/// finer than 1m are rounded up (away from zero) and magnitudes above
/// 2^63-1 base units are rejected.
class quantity {
public:
  quantity() = default;

  /// A quantity of `n` milli-units ("1500m" is 1500).
  static quantity from_millis(int64_t n);

  /// A quantity of `n` whole units (bytes for memory, cores for CPU).
  static quantity from_units(int64_t n);

  /// The value in milli-units, saturated to the int64 range (values above
  /// about 9.2e15 units, 8 PiB of memory, do not fit).
  int64_t millis() const;

  /// The value in whole units, rounded up like `Quantity.Value()`: bytes for
  /// memory, cores for CPU.
  int64_t bytes() const;

  /// The exact value in milli-units.
  detail::int128 exact_millis() const {
    return millis_;
  }

  /// Whether the value is a whole number of units (no fraction of a byte).
  bool is_integral() const {
    return millis_ % 1000 == 0;
  }

  bool negative() const {
    return millis_ < 0;
  }

  /// Whether parsing rounded the text up to a whole milli-unit (`0.1m`,
  /// `1.0001`): finer precision than Kubernetes keeps.
  bool rounded() const {
    return rounded_;
  }

  quantity_format format() const {
    return format_;
  }

  /// The suffix as written ("Mi", "m", "e3", "").
  const std::string& suffix() const {
    return suffix_;
  }

  friend bool operator==(const quantity& x, const quantity& y) {
    return x.millis_ == y.millis_;
  }
  friend bool operator!=(const quantity& x, const quantity& y) {
    return x.millis_ != y.millis_;
  }
  friend bool operator<(const quantity& x, const quantity& y) {
    return x.millis_ < y.millis_;
  }
  friend bool operator<=(const quantity& x, const quantity& y) {
    return x.millis_ <= y.millis_;
  }
  friend bool operator>(const quantity& x, const quantity& y) {
    return x.millis_ > y.millis_;
  }
  friend bool operator>=(const quantity& x, const quantity& y) {
    return x.millis_ >= y.millis_;
  }

private:
  friend caf::expected<quantity> parse_quantity(std::string_view text);

  detail::int128 millis_ = 0;
  bool rounded_ = false;
  quantity_format format_ = quantity_format::decimal_si;
  std::string suffix_;
};

/// Parses a Kubernetes quantity: `<signedNumber><suffix>` with the binary
/// suffixes Ki..Ei, the decimal suffixes n u m "" k M G T P E, or a decimal
/// exponent (`1e3`, `129E6`). Capital `K` is not a suffix. The error names
/// the text and what is wrong with it.
[[nodiscard]] caf::expected<quantity> parse_quantity(std::string_view text);

/// Whether `text` is acceptable as a memory (or ephemeral-storage) quantity:
/// it parses, is not negative, has no `m`/`u`/`n` suffix (`400m` is 0.4
/// bytes) and is a whole number of bytes (`0.5` is rejected too). `K` fails
/// parsing already.
bool is_valid_memory_quantity(std::string_view text);

/// The message of a `parse_quantity` error without the code prefix
/// (`invalid quantity "5K": unknown suffix ...`).
std::string quantity_error_text(const caf::error& err);

/// Why `text` is not a valid memory quantity; empty when it is.
std::string memory_quantity_problem(std::string_view text);

/// Formats bytes the way K-Fix writes memory: `NGi` when divisible by 1Gi,
/// else `NMi` when divisible by 1Mi, else the plain number of bytes.
std::string format_memory(int64_t bytes);

/// Formats CPU milli-cores: whole cores as `N`, else `Nm`.
std::string format_cpu(int64_t millis);

/// Formats bytes for prose: `format_memory` when divisible by 1Mi, else
/// MiB with one decimal ("873.6Mi").
std::string describe_memory(int64_t bytes);

/// Rounds bytes up to a clean step, so that limits read well in a diff and
/// do not creep by a few bytes each time:
///
/// | input         | step  |
/// | ------------- | ----- |
/// | up to 512Mi   | 32Mi  |
/// | up to 2Gi     | 64Mi  |
/// | up to 8Gi     | 256Mi |
/// | above 8Gi     | 512Mi |
///
/// The step grows with the size (about 3-12 % of the value) so a rounding
/// never adds more than the sizing margins themselves, and every band
/// boundary is a multiple of the next step, which keeps the function
/// monotonic. Values <= 0 give 0; results saturate at the int64 range.
int64_t round_up_memory(int64_t bytes);

/// The largest clean value <= `bytes`, with the step of the band `bytes`
/// lies in (same table as `round_up_memory`); 0 below one step.
int64_t round_down_memory(int64_t bytes);

/// Binary units for memory arithmetic.
namespace units {
constexpr int64_t kib = 1024;
constexpr int64_t mib = 1024 * kib;
constexpr int64_t gib = 1024 * mib;
} // namespace units

} // namespace kfix
