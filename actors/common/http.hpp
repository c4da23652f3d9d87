#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kfix::http {

/// Header names are stored lower-cased; lookups must use lower case.
using header_map = std::multimap<std::string, std::string>;

/// An HTTP request received by one of K-Fix's servers (intake, simulators,
/// test fakes), with the target split and percent-decoded.
struct request {
  std::string method; // GET, POST, ...
  std::string target; // as sent: /path?query
  std::string path;   // decoded path, without the query
  std::multimap<std::string, std::string> query; // decoded
  header_map headers;
  std::string body;
  std::string remote; // peer address

  /// The first value of a header (lower-case name), or "".
  std::string header(const std::string& lower_name) const;
  /// The first value of a query parameter, or "".
  std::string query_param(const std::string& name) const;
  bool has_query(const std::string& name) const;
};

/// A response to send back.
struct response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

/// A JSON response with `Content-Type: application/json`.
response json_response(int status, const nlohmann::json& body);

/// K-Fix's own error body: {"error": {"status": 400, "message": "..."}}.
response error_response(int status, std::string message);

/// The standard reason phrase ("Not Found").
std::string_view reason_phrase(int status);

// -- URL helpers --------------------------------------------------------------

std::string url_encode(std::string_view text);
std::string url_decode(std::string_view text, bool plus_as_space = true);

/// Splits "a=1&b=2" into decoded pairs.
std::multimap<std::string, std::string> parse_query(std::string_view query);

/// Builds "a=1&b=2" from pairs, encoding each part.
std::string
build_query(const std::vector<std::pair<std::string, std::string>>& params);

} // namespace kfix::http
