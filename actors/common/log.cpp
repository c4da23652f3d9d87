#include "actors/common/log.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>

namespace kfix::log {

namespace {

std::atomic<level> min_level{level::info};

/// Lines are written by a background thread, so that a hot path (the
/// intake's serial commit loop) only formats and enqueues; a full queue
/// blocks rather than drops. The pool outlives the logger (members are
/// destroyed in reverse order) and drains the queue when destroyed.
struct async_stderr {
  std::shared_ptr<spdlog::details::thread_pool> pool
    = std::make_shared<spdlog::details::thread_pool>(8192, 1);
  std::shared_ptr<spdlog::async_logger> logger = [this] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto result = std::make_shared<spdlog::async_logger>(
      "kfix", sink, pool, spdlog::async_overflow_policy::block);
    result->set_pattern("%v");
    result->set_level(spdlog::level::trace);
    result->flush_on(spdlog::level::trace);
    return result;
  }();
};

spdlog::logger& logger() {
  static async_stderr instance;
  return *instance.logger;
}

const char* name_of(level lvl) {
  switch (lvl) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}

std::string now_iso8601() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto millis
    = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(millis));
  return out;
}

} // namespace

void set_level(level lvl) {
  min_level = lvl;
}

bool parse_level(std::string_view text, level& out) {
  for (auto lvl : {level::debug, level::info, level::warn, level::error})
    if (text == name_of(lvl)) {
      out = lvl;
      return true;
    }
  return false;
}

void write(level lvl, std::string_view component, std::string_view event,
           nlohmann::json fields) {
  if (lvl < min_level.load())
    return;
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = now_iso8601();
  line["level"] = name_of(lvl);
  line["component"] = component;
  line["event"] = event;
  if (fields.is_object())
    for (auto& [key, value] : fields.items())
      line[key] = std::move(value);
  logger().info(
    line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string redact_url(std::string_view url) {
  std::string result{url};
  // User info: scheme://user:pass@host
  auto scheme = result.find("://");
  if (scheme != std::string::npos) {
    auto host_start = scheme + 3;
    auto at = result.find('@', host_start);
    auto slash = result.find('/', host_start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash))
      result.replace(host_start, at - host_start, "<redacted>");
  }
  // Webhook URLs carry their secret in the path (Slack /services/T/B/X,
  // Teams /webhookb2/..., /workflows/...).
  for (const char* marker : {"/services/", "/webhookb2/", "/workflows/"}) {
    auto at = result.find(marker);
    if (at != std::string::npos) {
      auto end = result.find('?', at);
      result.replace(at + std::strlen(marker),
                     (end == std::string::npos ? result.size() : end) - at
                       - std::strlen(marker),
                     "<redacted>");
    }
  }
  auto q = result.find('?');
  if (q == std::string::npos)
    return result;
  std::string out = result.substr(0, q + 1);
  std::string_view query{result};
  query.remove_prefix(q + 1);
  bool first = true;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    auto eq = part.find('=');
    std::string key{part.substr(0, eq)};
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) {
      return std::tolower(c);
    });
    bool secret = key.find("token") != std::string::npos
                  || key.find("sig") != std::string::npos
                  || key.find("key") != std::string::npos
                  || key.find("secret") != std::string::npos
                  || key.find("password") != std::string::npos;
    if (!first)
      out += '&';
    first = false;
    if (secret && eq != std::string_view::npos)
      out += std::string{part.substr(0, eq)} + "=<redacted>";
    else
      out += std::string{part};
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

} // namespace kfix::log
