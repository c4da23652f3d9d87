#include "actors/common/http_client.hpp"
#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

namespace kfix::http {

std::string incoming::header(const std::string& lower_name) const {
  auto i = headers.find(lower_name);
  return i == headers.end() ? std::string{} : i->second;
}

bool is_secret_header(std::string_view name) {
  std::string lower{name};
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) {
                   return std::tolower(c);
                 });
  return lower == "authorization" || lower == "dd-api-key"
         || lower == "dd-application-key" || lower == "private-token"
         || lower == "x-api-key" || lower == "x-kfix-token"
         || lower == "x-gitlab-token" || lower == "proxy-authorization"
         || lower == "cookie";
}

namespace {

/// One attempt's outcome: an answer, or a transport failure.
struct attempt {
  CURLcode code = CURLE_OK;
  std::string curl_error;
  incoming answer;
};

struct transfer {
  const outgoing* req = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  attempt result;
  bool too_large = false;
  char error_buffer[CURL_ERROR_SIZE] = {0};
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  auto n = size * count;
  auto cap = t->req->max_response_bytes;
  if (cap > 0 && t->result.answer.body.size() + n > cap) {
    t->too_large = true;
    return 0; // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->result.answer.body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  std::string_view line{data, size * count};
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name{line.substr(0, colon)};
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
      return std::tolower(c);
    });
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (
      !value.empty()
      && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    t->result.answer.headers.emplace(std::move(name), std::string{value});
  } else if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (redirect, 100-continue): drop earlier headers.
    t->result.answer.headers.clear();
  }
  return size * count;
}

bool retryable_status(int status) {
  return status == 408 || status == 429 || (status >= 500 && status != 501);
}

bool retryable_code(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

/// The wait a server asked for, from Retry-After, retry-after-ms or the
/// rate-limit reset headers; negative when none.
std::chrono::milliseconds server_wait(const incoming& answer) {
  auto parse_seconds = [](const std::string& text) -> double {
    if (text.empty())
      return -1;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || value < 0)
      return -1;
    return value;
  };
  if (auto ms = parse_seconds(answer.header("retry-after-ms")); ms >= 0)
    return std::chrono::milliseconds{static_cast<int64_t>(ms)};
  if (auto s = parse_seconds(answer.header("retry-after")); s >= 0)
    return std::chrono::milliseconds{static_cast<int64_t>(s * 1000)};
  // Datadog: X-RateLimit-Reset holds the seconds until the next period.
  if (auto s = parse_seconds(answer.header("x-ratelimit-reset")); s >= 0)
    return std::chrono::milliseconds{static_cast<int64_t>(s * 1000)};
  return std::chrono::milliseconds{-1};
}

class curl_client : public client {
public:
  explicit curl_client(client_config cfg) : cfg_(std::move(cfg)) {
    static std::once_flag once;
    std::call_once(once, [] {
      curl_global_init(CURL_GLOBAL_DEFAULT);
    });
    std::random_device rd;
    rng_.seed(rd());
  }

  caf::expected<incoming> send(const outgoing& req) override {
    return std::move(send_all({req}).front());
  }

  std::vector<caf::expected<incoming>>
  send_all(const std::vector<outgoing>& reqs) override {
    std::vector<caf::expected<incoming>> results(
      reqs.size(), caf::expected<incoming>{incoming{}});
    std::vector<size_t> pending(reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i)
      pending[i] = i;
    std::vector<int> attempts(reqs.size(), 0);
    std::vector<std::chrono::milliseconds> elapsed(reqs.size());
    while (!pending.empty()) {
      auto started = std::chrono::steady_clock::now();
      auto outcomes = perform(reqs, pending);
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
      std::vector<size_t> again;
      std::chrono::milliseconds wait{0};
      for (size_t k = 0; k < pending.size(); ++k) {
        auto i = pending[k];
        auto& out = outcomes[k];
        ++attempts[i];
        elapsed[i] += took;
        const auto& req = reqs[i];
        bool transport_failed = out.code != CURLE_OK;
        bool retry = transport_failed ? retryable_code(out.code)
                                      : retryable_status(out.answer.status);
        std::chrono::milliseconds this_wait = backoff(attempts[i]);
        if (!transport_failed) {
          auto asked = server_wait(out.answer);
          if (asked.count() >= 0) {
            if (asked > cfg_.max_retry_after)
              retry = false;
            this_wait = asked;
          }
        }
        if (retry && req.deadline
            && std::chrono::steady_clock::now() + this_wait >= *req.deadline)
          retry = false;
        log_attempt(req, out, attempts[i],
                    retry && attempts[i] < req.max_attempts);
        if (retry && attempts[i] < req.max_attempts) {
          again.push_back(i);
          wait = std::max(wait, this_wait);
          continue;
        }
        count_failure(req, out, transport_failed);
        if (transport_failed) {
          auto code = out.code == CURLE_OPERATION_TIMEDOUT ? ec::timeout
                                                           : ec::unavailable;
          results[i] = make_error(
            code, req.service + " " + req.method + " "
                    + log::redact_url(req.url) + ": " + out.curl_error
                    + " (after " + std::to_string(attempts[i]) + " attempts)");
        } else {
          out.answer.attempts = attempts[i];
          out.answer.elapsed = elapsed[i];
          if (cfg_.observer)
            cfg_.observer(req, out.answer);
          results[i] = std::move(out.answer);
        }
      }
      pending = std::move(again);
      if (!pending.empty() && wait.count() > 0)
        std::this_thread::sleep_for(wait);
    }
    return results;
  }

private:
  /// External-call errors by service: final transport failures and error
  /// statuses.
  static metrics::counter_family& external_errors() {
    static auto& errors = metrics::default_registry().counter(
      "kfix_external_call_errors_total",
      "Calls to external services that failed, by service and kind",
      {"service", "kind"});
    return errors;
  }

  static void count_failure(const outgoing& req, const attempt& out,
                            bool transport_failed) {
    auto& errors = external_errors();
    const char* kind = nullptr;
    if (transport_failed)
      kind = out.code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "network";
    else if (out.answer.status >= 500)
      kind = "status_5xx";
    else if (out.answer.status == 429)
      kind = "rate_limited";
    else if (out.answer.status >= 400)
      kind = "status_4xx";
    if (kind != nullptr)
      errors.with({req.service, kind}).inc();
  }

  std::chrono::milliseconds backoff(int attempt_no) {
    auto ceiling = std::min<int64_t>(
      cfg_.backoff_cap.count(),
      cfg_.backoff_base.count() * (int64_t{1} << std::min(attempt_no, 20)));
    std::lock_guard<std::mutex> guard{rng_mutex_};
    std::uniform_int_distribution<int64_t> dist{ceiling / 2, ceiling};
    return std::chrono::milliseconds{dist(rng_)};
  }

  void log_attempt(const outgoing& req, const attempt& out, int attempt_no,
                   bool will_retry) {
    nlohmann::json fields{{"service", req.service},
                          {"method", req.method},
                          {"url", log::redact_url(req.url)},
                          {"attempt", attempt_no}};
    if (out.code != CURLE_OK) {
      fields["error"] = out.curl_error;
      fields["retry"] = will_retry;
      log::warn("http-client", "call-failed", std::move(fields));
    } else if (out.answer.status >= 400) {
      fields["status"] = out.answer.status;
      fields["retry"] = will_retry;
      log::info("http-client", "call-error-status", std::move(fields));
    } else {
      fields["status"] = out.answer.status;
      log::debug("http-client", "call", std::move(fields));
    }
  }

  void configure(transfer& t) {
    const auto& req = *t.req;
    auto* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer);
    curl_easy_setopt(
      e, CURLOPT_TIMEOUT_MS,
      static_cast<long>(std::max<int64_t>(1, req.timeout.count())));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<int64_t>(
                       std::max<int64_t>(1, req.timeout.count()), 5000)));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "k-fix/0.1");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
    if (req.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(req.body.size()));
    }
    for (const auto& [name, value] : req.headers) {
      auto line = name + ": " + value;
      t.headers = curl_slist_append(t.headers, line.c_str());
    }
    // Without this, curl sends "Expect: 100-continue" for large bodies.
    t.headers = curl_slist_append(t.headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
    if (!cfg_.ca_file.empty())
      curl_easy_setopt(e, CURLOPT_CAINFO, cfg_.ca_file.c_str());
    if (!cfg_.ca_pem.empty()) {
      curl_blob blob{const_cast<char*>(cfg_.ca_pem.data()), cfg_.ca_pem.size(),
                     CURL_BLOB_COPY};
      curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!cfg_.client_cert_file.empty())
      curl_easy_setopt(e, CURLOPT_SSLCERT, cfg_.client_cert_file.c_str());
    if (!cfg_.client_key_file.empty())
      curl_easy_setopt(e, CURLOPT_SSLKEY, cfg_.client_key_file.c_str());
    if (!cfg_.client_cert_pem.empty()) {
      curl_blob blob{const_cast<char*>(cfg_.client_cert_pem.data()),
                     cfg_.client_cert_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &blob);
      curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!cfg_.client_key_pem.empty()) {
      curl_blob blob{const_cast<char*>(cfg_.client_key_pem.data()),
                     cfg_.client_key_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &blob);
      curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (!cfg_.proxy_url.empty())
      curl_easy_setopt(e, CURLOPT_PROXY, cfg_.proxy_url.c_str());
    if (cfg_.insecure_skip_verify) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }

  /// Runs one attempt of each pending request concurrently (curl multi).
  std::vector<attempt> perform(const std::vector<outgoing>& reqs,
                               const std::vector<size_t>& pending) {
    std::vector<transfer> transfers(pending.size());
    CURLM* multi = curl_multi_init();
    for (size_t k = 0; k < pending.size(); ++k) {
      auto& t = transfers[k];
      t.req = &reqs[pending[k]];
      t.easy = curl_easy_init();
      configure(t);
      curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
      curl_multi_add_handle(multi, t.easy);
    }
    int running = 0;
    do {
      auto mc = curl_multi_perform(multi, &running);
      if (mc != CURLM_OK)
        break;
      if (running > 0)
        curl_multi_poll(multi, nullptr, 0, 200, nullptr);
    } while (running > 0);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      t->result.code = msg->data.result;
      if (t->result.code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        t->result.answer.status = static_cast<int>(status);
      } else if (t->too_large) {
        t->result.curl_error = "response larger than "
                               + std::to_string(t->req->max_response_bytes)
                               + " bytes";
      } else {
        t->result.curl_error = t->error_buffer[0] != '\0'
                                 ? std::string{t->error_buffer}
                                 : curl_easy_strerror(t->result.code);
      }
    }
    std::vector<attempt> outcomes;
    outcomes.reserve(transfers.size());
    for (auto& t : transfers) {
      curl_multi_remove_handle(multi, t.easy);
      curl_easy_cleanup(t.easy);
      curl_slist_free_all(t.headers);
      outcomes.push_back(std::move(t.result));
    }
    curl_multi_cleanup(multi);
    return outcomes;
  }

  client_config cfg_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;
};

} // namespace

std::shared_ptr<client> make_curl_client(client_config cfg) {
  return std::make_shared<curl_client>(std::move(cfg));
}

} // namespace kfix::http
