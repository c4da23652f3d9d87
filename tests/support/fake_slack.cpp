#include "tests/support/fake_slack.hpp"

#include "actors/common/http.hpp"
#include "actors/common/http_server.hpp"

#include <deque>
#include <mutex>
#include <stdexcept>

namespace kfix::test {

namespace {

constexpr const char* hook_path
  = "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX";

http::response text(int status, std::string body) {
  http::response r;
  r.status = status;
  r.header("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

} // namespace

struct fake_slack::impl {
  struct fault {
    int status;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  mutable std::mutex mtx;
  std::vector<nlohmann::json> messages;
  std::deque<fault> faults;
  size_t requests = 0;
  std::unique_ptr<http::server> server;

  http::response handle(const http::request& req) {
    std::lock_guard<std::mutex> guard{mtx};
    ++requests;
    if (!faults.empty()) {
      auto f = std::move(faults.front());
      faults.pop_front();
      auto r = text(f.status, std::move(f.body));
      for (auto& [k, v] : f.headers)
        r.header(k, v);
      return r;
    }
    if (req.path != hook_path)
      return text(404, "no_service");
    if (req.method != "POST")
      return text(405, "invalid_method");
    // JSON body, or a form with `payload=<json>`.
    auto body = req.body;
    if (req.header("content-type").find("x-www-form-urlencoded")
        != std::string::npos) {
      auto form = http::parse_query(body);
      auto p = form.find("payload");
      body = p == form.end() ? std::string{} : p->second;
    }
    auto payload = nlohmann::json::parse(body, nullptr, false);
    if (!payload.is_object())
      return text(400, "invalid_payload");
    auto has_text = payload.contains("text") && payload["text"].is_string()
                    && !payload["text"].get<std::string>().empty();
    auto has_blocks = payload.contains("blocks") && payload["blocks"].is_array()
                      && !payload["blocks"].empty();
    if (!has_text && !has_blocks)
      return text(400, "no_text");
    if (payload.contains("blocks") && !payload["blocks"].is_array())
      return text(400, "invalid_blocks");
    if (has_blocks)
      for (const auto& b : payload["blocks"])
        if (!b.is_object() || !b.contains("type") || !b["type"].is_string())
          return text(400, "invalid_blocks");
    messages.push_back(std::move(payload));
    return text(200, "ok");
  }
};

fake_slack::fake_slack() : impl_(std::make_unique<impl>()) {
  http::server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.threads = 1;
  auto* self = impl_.get();
  auto server = http::start_server(
    cfg, http::sync_handler([self](const http::request& req) {
      return self->handle(req);
    }));
  if (!server)
    throw std::runtime_error("fake_slack: " + render(server.error()));
  impl_->server = std::move(*server);
}

fake_slack::~fake_slack() {
  if (impl_->server)
    impl_->server->stop();
}

std::string fake_slack::webhook_url() const {
  return impl_->server->base_url() + hook_path;
}

std::string fake_slack::invalid_webhook_url() const {
  return impl_->server->base_url() + "/services/T000/B000/REVOKED";
}

std::vector<nlohmann::json> fake_slack::messages() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->messages;
}

size_t fake_slack::request_count() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->requests;
}

void fake_slack::fail_next(
  int status, std::string body,
  std::vector<std::pair<std::string, std::string>> headers) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->faults.push_back({status, std::move(body), std::move(headers)});
}

} // namespace kfix::test
