#pragma once

#include "messages/error.hpp"

#include <string>
#include <string_view>

namespace kfix::publish {

/// Standard base64 (RFC 4648 with padding) of `data`.
std::string base64_encode(std::string_view data);

/// Decodes standard base64; whitespace is ignored and missing padding is
/// tolerated. An error for characters outside the alphabet.
[[nodiscard]] caf::expected<std::string> base64_decode(std::string_view text);

} // namespace kfix::publish
