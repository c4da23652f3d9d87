#include "actors/reasoning/llm_cassette.hpp"

#include <fstream>
#include <sstream>

namespace kfix::cassette {

namespace {

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

std::string body_text(const nlohmann::json& body) {
  if (body.is_null())
    return {};
  return body.is_string() ? body.get<std::string>() : dump(body);
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
  x.request_body = req.value("body", nlohmann::json{});
  x.status = status.get<int>();
  x.response_headers = res.value("headers", nlohmann::json::object());
  x.response_body = res.value("body", nlohmann::json{});
  x.line = line;
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
                           const std::vector<nlohmann::json>& lines) {
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
  for (const auto& line : lines)
    kept += dump(line) + "\n";
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
