#pragma once

#include <optional>
#include <string>
#include <string_view>

/// Kubernetes resource quantities ("512Mi", "250m", "1e3"), enough of
/// apimachinery's `resource.Quantity` for the simulators: exact parsing,
/// comparison by value and the canonical form the API server returns.
namespace kfix::sim {

__extension__ typedef __int128 int128; // NOLINT(modernize-use-using)

/// A parsed quantity. The value is held exactly in units of 10^-9 (rounded
/// up, as the API server does for finer values).
struct quantity {
  enum class suffix_format { binary_si, decimal_si, decimal_exponent };

  int128 nanos = 0;
  suffix_format format = suffix_format::decimal_si;

  /// The value in base units (bytes, cores).
  double value() const;
};

/// Parses a quantity; nullopt when the text is not one.
std::optional<quantity> parse_quantity(std::string_view text);

/// The canonical form ("1024Mi" -> "1Gi", "0.5" -> "500m", "1500M" ->
/// "1500M").
std::string to_string(const quantity& q);

/// The canonical form of a quantity text, or the text unchanged when it does
/// not parse.
std::string canonical_quantity(std::string_view text);

/// Compares by value: negative, zero or positive.
int compare(const quantity& x, const quantity& y);

} // namespace kfix::sim
