#include "actors/common/http_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace kfix::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string server::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

handler sync_handler(std::function<response(const request&)> fn) {
  return [fn = std::move(fn)](request&& req, responder respond) {
    respond(fn(req));
  };
}

namespace {

std::string lower(boost::beast::string_view text) {
  std::string result{text.data(), text.size()};
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) {
                   return std::tolower(c);
                 });
  return result;
}

request to_request(bhttp::request<bhttp::string_body>&& raw,
                   const std::string& remote) {
  request req;
  req.method = std::string{raw.method_string()};
  req.target = std::string{raw.target()};
  auto q = req.target.find('?');
  req.path = url_decode(std::string_view{req.target}.substr(0, q), false);
  if (q != std::string::npos)
    req.query = parse_query(std::string_view{req.target}.substr(q + 1));
  for (const auto& field : raw)
    req.headers.emplace(lower(field.name_string()), std::string{field.value()});
  req.body = std::move(raw.body());
  req.remote = remote;
  return req;
}

struct shared_state {
  handler fn;
  server_config cfg;
  std::atomic<int> connections{0};
};

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, std::shared_ptr<shared_state> state)
    : stream_(std::move(socket)), state_(std::move(state)) {
    state_->connections.fetch_add(1);
    boost::system::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_ = ep.address().to_string();
  }

  ~session() {
    state_->connections.fetch_sub(1);
  }

  void start(bool over_capacity) {
    over_capacity_ = over_capacity;
    net::dispatch(
      stream_.get_executor(),
      beast::bind_front_handler(&session::read, shared_from_this()));
  }

private:
  void read() {
    parser_.emplace();
    parser_->body_limit(state_->cfg.body_limit);
    buffer_.consume(buffer_.size());
    stream_.expires_after(state_->cfg.read_timeout);
    bhttp::async_read(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof)
      return close();
    if (ec == bhttp::error::body_limit) {
      keep_alive_ = false;
      return write(error_response(
        413, "request body exceeds " + std::to_string(state_->cfg.body_limit)
               + " bytes"));
    }
    if (ec == beast::error::timeout)
      return close();
    if (ec) {
      keep_alive_ = false;
      return write(
        error_response(400, "malformed HTTP request: " + ec.message()));
    }
    auto raw = parser_->release();
    keep_alive_ = raw.keep_alive();
    version_ = raw.version();
    if (over_capacity_) {
      keep_alive_ = false;
      auto resp = error_response(503, "too many concurrent connections");
      resp.header("Retry-After", "1");
      return write(std::move(resp));
    }
    auto req = to_request(std::move(raw), remote_);
    auto self = shared_from_this();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    responder respond = [self, answered](response resp) {
      if (answered->exchange(true))
        return;
      net::post(self->stream_.get_executor(),
                [self, resp = std::move(resp)]() mutable {
                  self->write(std::move(resp));
                });
    };
    try {
      state_->fn(std::move(req), respond);
    } catch (const std::exception& e) {
      respond(error_response(500, std::string{"internal error: "} + e.what()));
    }
  }

  void write(response resp) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>();
    msg->version(version_);
    msg->result(static_cast<unsigned>(resp.status));
    msg->set(bhttp::field::server, "k-fix");
    for (auto& [name, value] : resp.headers)
      msg->set(name, value);
    msg->body() = std::move(resp.body);
    msg->keep_alive(keep_alive_);
    msg->prepare_payload();
    stream_.expires_after(state_->cfg.read_timeout);
    bhttp::async_write(
      stream_, *msg,
      [self = shared_from_this(), msg](beast::error_code ec, std::size_t) {
        self->on_write(ec);
      });
  }

  void on_write(beast::error_code ec) {
    if (ec || !keep_alive_)
      return close();
    read();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<shared_state> state_;
  std::string remote_;
  bool keep_alive_ = false;
  bool over_capacity_ = false;
  unsigned version_ = 11;
};

class beast_server : public server {
public:
  beast_server(std::shared_ptr<shared_state> state)
    : state_(std::move(state)), ioc_(std::max(1, state_->cfg.threads)),
      acceptor_(net::make_strand(ioc_)) {}

  ~beast_server() override {
    stop();
  }

  caf::error bind() {
    boost::system::error_code ec;
    auto address = net::ip::make_address(state_->cfg.address, ec);
    if (ec)
      return make_error(ec::invalid_config,
                        "invalid listen address " + state_->cfg.address);
    tcp::endpoint endpoint{address, state_->cfg.port};
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec)
      acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
      acceptor_.bind(endpoint, ec);
    if (!ec)
      acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return make_error(ec::unavailable, "cannot listen on "
                                           + state_->cfg.address + ":"
                                           + std::to_string(state_->cfg.port)
                                           + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    accept();
    for (int i = 0; i < std::max(1, state_->cfg.threads); ++i)
      threads_.emplace_back([this] {
        ioc_.run();
      });
    return caf::none;
  }

  uint16_t port() const override {
    return port_;
  }

  void stop() override {
    if (stopped_.exchange(true))
      return;
    net::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    ioc_.stop();
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
  }

private:
  void accept() {
    acceptor_.async_accept(
      net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
        if (ec)
          return stopped_ ? void() : accept();
        bool over = state_->connections.load() >= state_->cfg.max_connections;
        std::make_shared<session>(std::move(socket), state_)->start(over);
        accept();
      });
  }

  std::shared_ptr<shared_state> state_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
};

} // namespace

caf::expected<std::unique_ptr<server>> start_server(const server_config& cfg,
                                                    handler fn) {
  auto state = std::make_shared<shared_state>();
  state->fn = std::move(fn);
  state->cfg = cfg;
  auto result = std::make_unique<beast_server>(state);
  if (auto err = result->bind())
    return err;
  return std::unique_ptr<server>{std::move(result)};
}

} // namespace kfix::http
