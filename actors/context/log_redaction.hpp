#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kfix::context {

/// The text that replaces every secret.
inline constexpr std::string_view redacted_marker = "<redacted>";

/// The longest log message kept, in bytes (cut at a UTF-8 boundary).
inline constexpr size_t max_log_message_bytes = 2048;

/// Replaces secrets and personal data in `text` with `<redacted>`: bearer
/// tokens, credentials in URLs, `password=...` and other secret-named keys in
/// `key=value`, `key: value` and JSON form, AWS access key ids, JWTs, common
/// vendor tokens (GitHub, GitLab, Slack), PEM private keys, e-mail addresses
/// and Luhn-valid card-like numbers. Keys and prefixes stay readable
/// (`password=<redacted>`, `Bearer <redacted>`).
std::string redact(std::string_view text);

/// Cuts `text` to at most `max_bytes` bytes without splitting a UTF-8
/// sequence.
std::string_view truncate_utf8(std::string_view text, size_t max_bytes);

/// Redacts a log message and truncates it to `max_bytes`. Redaction runs
/// before truncation, on a bounded prefix, so that a secret straddling the
/// cut is never half kept.
std::string redact_log_message(std::string_view text,
                               size_t max_bytes = max_log_message_bytes);

/// Whether the digits of `number` (separators ignored) pass the Luhn check.
bool luhn_valid(std::string_view number);

} // namespace kfix::context
