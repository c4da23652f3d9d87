#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

/// Structured logging: one JSON object per line on stderr, with a stable
/// event id, the component, and key/value fields (always the incident id
/// when the line concerns one).
namespace kfix::log {

enum class level { debug, info, warn, error };

/// Sets the minimum level ("debug", "info", "warn", "error").
void set_level(level lvl);
bool parse_level(std::string_view text, level& out);

void write(level lvl, std::string_view component, std::string_view event,
           nlohmann::json fields);

inline void debug(std::string_view component, std::string_view event,
                  nlohmann::json fields = nlohmann::json::object()) {
  write(level::debug, component, event, std::move(fields));
}

inline void info(std::string_view component, std::string_view event,
                 nlohmann::json fields = nlohmann::json::object()) {
  write(level::info, component, event, std::move(fields));
}

inline void warn(std::string_view component, std::string_view event,
                 nlohmann::json fields = nlohmann::json::object()) {
  write(level::warn, component, event, std::move(fields));
}

inline void error(std::string_view component, std::string_view event,
                  nlohmann::json fields = nlohmann::json::object()) {
  write(level::error, component, event, std::move(fields));
}

/// Removes credentials from a URL: user info and secret-looking query
/// parameters (token, sig, key, password, secret) become "<redacted>".
std::string redact_url(std::string_view url);

} // namespace kfix::log
