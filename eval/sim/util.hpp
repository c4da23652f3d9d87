#pragma once

#include "actors/common/http.hpp"
#include "actors/common/time_text.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Small helpers shared by the simulators: string handling, base64 tokens,
/// time parsing and request accessors that do not depend on http.cpp.
namespace kfix::sim {

// -- strings ------------------------------------------------------------------

std::string to_lower(std::string_view text);
std::string_view trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);

/// Splits at every `sep`, keeping empty parts.
std::vector<std::string> split(std::string_view text, char sep);

/// Splits at `sep` outside (), {} and [] and outside double quotes.
std::vector<std::string> split_top_level(std::string_view text, char sep);

/// Glob match where `*` matches any run of characters (and `?` one).
bool glob_match(std::string_view pattern, std::string_view text);

/// Case-insensitive glob match.
bool glob_match_icase(std::string_view pattern, std::string_view text);

// -- encodings ----------------------------------------------------------------

/// Base64url without padding (the form Kubernetes uses for continue tokens).
std::string base64url_encode(std::string_view bytes);

/// Decodes base64 or base64url, with or without padding; nullopt on bad
/// input.
std::optional<std::string> base64_decode(std::string_view text);

/// Percent-decoding (`+` as space when asked).
std::string percent_decode(std::string_view text, bool plus_as_space);

/// Percent-encoding of everything except unreserved characters.
std::string percent_encode(std::string_view text);

// -- numbers ------------------------------------------------------------------

/// Parses a whole string as a (signed) integer.
std::optional<int64_t> parse_int(std::string_view text);

/// Parses a whole string as a floating-point number.
std::optional<double> parse_double(std::string_view text);

// -- errors -------------------------------------------------------------------

/// The message of an error made by `make_error`, without the code prefix
/// that `render` adds.
std::string error_message(const caf::error& err);

// -- requests and responses ---------------------------------------------------

/// The request path: `req.path`, or the path part of `req.target`.
std::string request_path(const http::request& req);

/// Query parameters: `req.query`, or the ones parsed from `req.target`.
std::multimap<std::string, std::string> request_query(const http::request& req);

/// The first value of a query parameter, if present.
std::optional<std::string>
query_value(const std::multimap<std::string, std::string>& query,
            const std::string& name);

/// The first value of a header (case-insensitive name), if present.
std::optional<std::string> header_value(const http::request& req,
                                        std::string_view name);

/// Returns a copy of `req` whose path (and target) lose `prefix`.
http::request strip_prefix(const http::request& req, std::string_view prefix);

/// A JSON response with `Content-Type: application/json`.
http::response make_json_response(int status, const nlohmann::json& body);

} // namespace kfix::sim
