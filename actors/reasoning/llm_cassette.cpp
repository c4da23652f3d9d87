#include "actors/reasoning/llm_cassette.hpp"

#include "actors/context/log_redaction.hpp"

#include <fstream>
#include <set>
#include <sstream>

namespace kfix::cassette {

namespace {

bool credential_key(std::string key) {
  for (auto& c : key)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::set<std::string> keys{
    "authorization", "proxy-authorization",
    "api_key",       "apikey",
    "api-key",       "x-api-key",
    "password",      "passwd",
    "secret",        "client_secret",
    "access_token",  "refresh_token",
    "private_key",   "private-token",
    "dd-api-key",    "dd-application-key",
    "cookie",        "set-cookie"};
  return keys.count(key) > 0;
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

nlohmann::json mask_secrets(const nlohmann::json& value) {
  if (value.is_string())
    return context::redact(value.get<std::string>());
  if (value.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& v : value)
      out.push_back(mask_secrets(v));
    return out;
  }
  if (value.is_object()) {
    auto out = nlohmann::json::object();
    for (const auto& [key, v] : value.items())
      out[key] = credential_key(key)
                   ? nlohmann::json(std::string{context::redacted_marker})
                   : mask_secrets(v);
    return out;
  }
  return value;
}

bool recorded_header(std::string_view name) {
  static const std::set<std::string_view> exact{
    "content-type",   "request-id",           "x-request-id",  "retry-after",
    "retry-after-ms", "openai-processing-ms", "openai-version"};
  return exact.count(name) > 0 || name.rfind("x-ratelimit-", 0) == 0
         || name.rfind("anthropic-ratelimit-", 0) == 0;
}

nlohmann::json body_json(const std::string& body) {
  if (body.empty())
    return nullptr;
  auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_discarded() ? nlohmann::json(body) : j;
}

std::string body_text(const nlohmann::json& body) {
  if (body.is_null())
    return {};
  return body.is_string() ? body.get<std::string>() : dump(body);
}

nlohmann::json to_line(const exchange& x) {
  auto headers = nlohmann::json::object();
  for (const auto& [name, value] : x.response_headers.items())
    if (recorded_header(name))
      headers[name] = value;
  return {{"service", x.service},
          {"request",
           {{"method", x.method},
            {"path", x.path},
            {"query", x.query},
            {"body", mask_secrets(x.request_body)}}},
          {"response",
           {{"status", x.status},
            {"headers", std::move(headers)},
            {"body", mask_secrets(x.response_body)}}}};
}

caf::expected<exchange> from_line(const nlohmann::json& line) {
  auto fail = [](const std::string& what) {
    return make_error(ec::invalid_input, what);
  };
  if (!line.is_object())
    return fail("not a JSON object");
  exchange x;
  auto service = line.value("service", nlohmann::json{});
  if (!service.is_string())
    return fail("service: must be a string");
  x.service = service.get<std::string>();
  auto req = line.value("request", nlohmann::json{});
  auto res = line.value("response", nlohmann::json{});
  if (!req.is_object() || !res.is_object())
    return fail("request and response must be objects");
  auto method = req.value("method", nlohmann::json{});
  auto path = req.value("path", nlohmann::json{});
  auto status = res.value("status", nlohmann::json{});
  if (!method.is_string() || !path.is_string())
    return fail("request.method and request.path must be strings");
  if (!status.is_number_integer())
    return fail("response.status must be an integer");
  x.method = method.get<std::string>();
  x.path = path.get<std::string>();
  x.query = req.value("query", nlohmann::json::object());
  x.request_body = req.value("body", nlohmann::json{});
  x.status = status.get<int>();
  x.response_headers = res.value("headers", nlohmann::json::object());
  x.response_body = res.value("body", nlohmann::json{});
  return x;
}

caf::expected<std::vector<exchange>> read(const std::filesystem::path& file,
                                          std::string_view service) {
  std::vector<exchange> out;
  std::error_code missing;
  if (!std::filesystem::exists(file, missing))
    return out;
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return make_error(ec::io_error, file.string() + ": cannot be read");
  std::string text;
  size_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    auto where = file.string() + ": line " + std::to_string(number) + ": ";
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded())
      return make_error(ec::invalid_input, where + "not JSON");
    auto x = from_line(j);
    if (!x)
      return make_error(ec::invalid_input, where + render(x.error()));
    if (service.empty() || x->service == service)
      out.push_back(std::move(*x));
  }
  return out;
}

bool has_service(const std::filesystem::path& file, std::string_view service) {
  auto all = read(file, service);
  return all && !all->empty();
}

caf::error replace_service(const std::filesystem::path& file,
                           std::string_view service,
                           const std::vector<exchange>& exchanges) {
  std::string kept;
  std::error_code missing;
  if (std::filesystem::exists(file, missing)) {
    std::ifstream in{file, std::ios::binary};
    if (!in)
      return make_error(ec::io_error, file.string() + ": cannot be read");
    std::string text;
    while (std::getline(in, text)) {
      auto j = nlohmann::json::parse(text, nullptr, false);
      bool ours = j.is_object() && j.value("service", "") == service;
      if (!ours && text.find_first_not_of(" \t\r") != std::string::npos)
        kept += text + "\n";
    }
  }
  for (const auto& x : exchanges) {
    auto line = x;
    line.service = std::string{service};
    kept += dump(to_line(line)) + "\n";
  }
  auto temp = file;
  temp += ".tmp";
  {
    std::ofstream out{temp, std::ios::binary | std::ios::trunc};
    out << kept;
    out.close();
    if (!out)
      return make_error(ec::io_error, temp.string() + ": cannot be written");
  }
  std::error_code renamed;
  std::filesystem::rename(temp, file, renamed);
  if (renamed)
    return make_error(ec::io_error, file.string() + ": " + renamed.message());
  return caf::none;
}

} // namespace kfix::cassette
