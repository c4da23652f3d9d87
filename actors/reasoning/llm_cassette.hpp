#pragma once

#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

/// Reading and writing a recorded incident's `cassette.jsonl`
/// (shared/spec/incident-format.md): one JSON object per line, one line per
/// HTTP exchange, credentials never written, secret-looking values masked
/// as "<redacted>". Self-contained so that the Kubernetes and Datadog
/// recording can share it later; K-Fix uses it for service `llm`.
namespace kfix::cassette {

/// One exchange as a cassette line holds it.
struct exchange {
  std::string service;
  std::string method = "POST";
  std::string path;
  nlohmann::json query = nlohmann::json::object();
  /// The request body as JSON (null for none; a string when not JSON).
  nlohmann::json request_body;
  int status = 0;
  /// Lower-case names; only the ones `recorded_header` allows.
  nlohmann::json response_headers = nlohmann::json::object();
  nlohmann::json response_body;
};

/// The line of an exchange (masked).
nlohmann::json to_line(const exchange& x);

/// An exchange from a line; the error says which field is wrong.
[[nodiscard]] caf::expected<exchange> from_line(const nlohmann::json& line);

/// The exchanges of `service` in a cassette, in order (every service when
/// `service` is empty); a missing file has none. Errors name the file and
/// the line.
[[nodiscard]] caf::expected<std::vector<exchange>>
read(const std::filesystem::path& file, std::string_view service = {});

/// Whether the cassette holds at least one exchange of `service`.
bool has_service(const std::filesystem::path& file, std::string_view service);

/// Rewrites the cassette with `exchanges` as its `service` lines, after the
/// other services' lines (kept byte for byte, in order); atomically.
[[nodiscard]] caf::error
replace_service(const std::filesystem::path& file, std::string_view service,
                const std::vector<exchange>& exchanges);

/// Masks what may not be recorded: values of credential-named keys
/// (authorization, api_key, password, secret, ...) and secrets inside
/// strings (tokens, keys in URLs, ...) become "<redacted>".
nlohmann::json mask_secrets(const nlohmann::json& value);

/// Whether a response header is recorded: content type, request ids,
/// rate-limit and retry headers; never credentials or cookies.
bool recorded_header(std::string_view lower_name);

/// A body as cassette JSON: parsed when it is JSON, else the text.
nlohmann::json body_json(const std::string& body);

/// A cassette body as text again (JSON dumped, strings as they are).
std::string body_text(const nlohmann::json& body);

} // namespace kfix::cassette
