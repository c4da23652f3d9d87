#pragma once

#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

/// Reading and rewriting a recorded incident's `cassette.jsonl`
/// (shared/spec/incident-format.md): one JSON object per line, one line per
/// HTTP exchange. The lines themselves are made by `context::cassette_entry`
/// (credentials never written, secrets masked), as `kfix record` makes
/// them; this module reads them back and replaces one service's lines, which
/// the eval does for `llm`.
namespace kfix::cassette {

/// One cassette line, read back.
struct exchange {
  std::string service;
  std::string method;
  std::string path;
  /// The request body as recorded (masked): JSON, a string, or null.
  nlohmann::json request_body;
  int status = 0;
  nlohmann::json response_headers = nlohmann::json::object();
  nlohmann::json response_body;
  /// The line as it was read.
  nlohmann::json line;
};

/// An exchange from a line; the error says which field is wrong.
[[nodiscard]] caf::expected<exchange> from_line(const nlohmann::json& line);

/// The exchanges of `service` in a cassette, in order (every service when
/// `service` is empty); a missing file has none. Errors name the file and
/// the line.
[[nodiscard]] caf::expected<std::vector<exchange>>
read(const std::filesystem::path& file, std::string_view service = {});

/// Whether the cassette holds at least one exchange of `service`.
bool has_service(const std::filesystem::path& file, std::string_view service);

/// Rewrites the cassette with `lines` as its `service` lines, after the
/// other services' lines (kept byte for byte, in order); atomically.
[[nodiscard]] caf::error
replace_service(const std::filesystem::path& file, std::string_view service,
                const std::vector<nlohmann::json>& lines);

/// A recorded body as text again (JSON dumped, a string as it is, null as
/// nothing).
std::string body_text(const nlohmann::json& body);

} // namespace kfix::cassette
