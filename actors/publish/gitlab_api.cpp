#include "actors/publish/gitlab_api.hpp"

#include "actors/common/http.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace kfix::publish {

namespace {

constexpr size_t max_raw_message = 300;

std::string join_strings(const nlohmann::json& array) {
  std::string out;
  for (const auto& item : array) {
    if (!out.empty())
      out += "; ";
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size()
         && s.substr(s.size() - suffix.size()) == suffix;
}

} // namespace

std::string gitlab_api_base(std::string_view url) {
  std::string base{url};
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  if (!ends_with(base, "/api/v4"))
    base += "/api/v4";
  return base;
}

std::string gitlab_project_id(std::string_view project) {
  auto numeric = !project.empty()
                 && std::all_of(project.begin(), project.end(), [](char c) {
                      return std::isdigit(static_cast<unsigned char>(c));
                    });
  return numeric ? std::string{project} : http::url_encode(project);
}

std::string gitlab_error_message(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (auto i = j.find("message"); i != j.end()) {
      if (i->is_string())
        return i->get<std::string>();
      if (i->is_array())
        return join_strings(*i);
      if (i->is_object()) {
        std::string out;
        for (const auto& [field, value] : i->items()) {
          if (!out.empty())
            out += "; ";
          out += field + ": "
                 + (value.is_array()    ? join_strings(value)
                    : value.is_string() ? value.get<std::string>()
                                        : value.dump());
        }
        return out;
      }
    }
    if (auto i = j.find("error"); i != j.end()) {
      auto out = i->is_string() ? i->get<std::string>() : i->dump();
      if (auto d = j.find("error_description"); d != j.end() && d->is_string())
        out += ": " + d->get<std::string>();
      return out;
    }
  }
  std::string raw{body.substr(0, max_raw_message)};
  std::replace(raw.begin(), raw.end(), '\n', ' ');
  if (body.size() > max_raw_message)
    raw += "...";
  return raw.empty() ? std::string{"(empty body)"} : raw;
}

std::optional<int64_t> parse_duplicate_mr_iid(std::string_view message) {
  auto bang = message.rfind('!');
  while (bang != std::string_view::npos) {
    auto start = bang + 1;
    auto end = start;
    while (end < message.size()
           && std::isdigit(static_cast<unsigned char>(message[end])))
      ++end;
    if (end > start && end - start < 18)
      return std::stoll(std::string{message.substr(start, end - start)});
    if (bang == 0)
      break;
    bang = message.rfind('!', bang - 1);
  }
  return std::nullopt;
}

std::string json_string(const nlohmann::json& j, const char* key) {
  if (!j.is_object())
    return {};
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

int64_t json_int(const nlohmann::json& j, const char* key, int64_t fallback) {
  if (!j.is_object())
    return fallback;
  auto i = j.find(key);
  return i != j.end() && i->is_number_integer() ? i->get<int64_t>() : fallback;
}

bool is_yaml_path(std::string_view path) {
  auto lower = std::string{path};
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) {
                   return std::tolower(c);
                 });
  return ends_with(lower, ".yaml") || ends_with(lower, ".yml");
}

} // namespace kfix::publish
