#pragma once

#include "actors/common/http.hpp"
#include "messages/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace kfix::http {

/// Sends the response for one request; may be called from any thread, once.
using responder = std::function<void(response)>;

/// Handles one request. Handlers may answer at once or later (for example
/// after a database commit) through the responder.
using handler = std::function<void(request&&, responder)>;

/// Wraps a synchronous function as a handler.
handler sync_handler(std::function<response(const request&)> fn);

struct server_config {
  std::string address = "127.0.0.1";
  uint16_t port = 0; // 0 picks a free port
  int threads = 2;
  /// Larger bodies get 413 before the handler sees them.
  uint64_t body_limit = 1 << 20;
  /// Time allowed to read a whole request (headers and body).
  std::chrono::milliseconds read_timeout{10'000};
  /// Connections beyond this get 503 and are closed.
  int max_connections = 512;
};

/// A running HTTP/1.1 server (Boost.Beast). Stops on destruction.
class server {
public:
  virtual ~server() = default;
  /// The bound port (useful with port 0).
  virtual uint16_t port() const = 0;
  /// "http://127.0.0.1:PORT".
  std::string base_url() const;
  /// Stops accepting, closes connections and joins the threads.
  virtual void stop() = 0;
};

/// Binds and starts serving; an error when the address cannot be bound.
[[nodiscard]] caf::expected<std::unique_ptr<server>>
start_server(const server_config& cfg, handler fn);

} // namespace kfix::http
