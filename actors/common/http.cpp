#include "actors/common/http.hpp"

#include <nlohmann/json.hpp>

#include <cctype>

namespace kfix::http {

std::string request::header(const std::string& lower_name) const {
  auto i = headers.find(lower_name);
  return i == headers.end() ? std::string{} : i->second;
}

std::string request::query_param(const std::string& name) const {
  auto i = query.find(name);
  return i == query.end() ? std::string{} : i->second;
}

bool request::has_query(const std::string& name) const {
  return query.count(name) > 0;
}

response json_response(int status, const nlohmann::json& body) {
  response result;
  result.status = status;
  result.headers.emplace_back("Content-Type", "application/json");
  result.body = body.dump();
  return result;
}

response error_response(int status, std::string message) {
  return json_response(status,
                       {{"error",
                         {{"status", status},
                          {"reason", std::string{reason_phrase(status)}},
                          {"message", std::move(message)}}}});
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string result;
  result.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      result += static_cast<char>(c);
    } else {
      result += '%';
      result += hex[c >> 4];
      result += hex[c & 0x0F];
    }
  }
  return result;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::string url_decode(std::string_view text, bool plus_as_space) {
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        result += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    result += (c == '+' && plus_as_space) ? ' ' : c;
  }
  return result;
}

std::multimap<std::string, std::string> parse_query(std::string_view query) {
  std::multimap<std::string, std::string> result;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string_view::npos)
        result.emplace(url_decode(part), std::string{});
      else
        result.emplace(url_decode(part.substr(0, eq)),
                       url_decode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return result;
}

std::string
build_query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string result;
  for (const auto& [key, value] : params) {
    if (!result.empty())
      result += '&';
    result += url_encode(key);
    result += '=';
    result += url_encode(value);
  }
  return result;
}

} // namespace kfix::http
