#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace kfix {

/// Error codes of K-Fix; every boundary returns them inside a `caf::error`.
enum class ec : uint8_t {
  unspecified = 1,
  /// Input (payload, file, flag) is malformed or misses a field.
  invalid_input,
  /// A configuration value is wrong or missing.
  invalid_config,
  /// A requested object does not exist.
  not_found,
  /// An external service answered with an error.
  upstream_error,
  /// An external service could not be reached or timed out.
  unavailable,
  /// The database rejected or failed an operation.
  database_error,
  /// A file could not be read or written.
  io_error,
  /// A safety rule or policy refused the request.
  refused,
  /// A deadline passed before the work completed.
  timeout,
};

/// Returns the enum name, e.g. "invalid_input".
const char* to_string(ec code);

/// Builds a `caf::error` with a human-readable context message.
caf::error make_error(ec code, std::string message);

/// Renders an error as "invalid_input: field `id` missing" (CAF 0.17's own
/// `to_string` prints numbers instead of enum names).
std::string render(const caf::error& err);

/// Returns the code of an error made by `make_error`, or `ec::unspecified`.
ec code_of(const caf::error& err);

} // namespace kfix

CAF_ERROR_CODE_ENUM(kfix::ec, "kfix")
