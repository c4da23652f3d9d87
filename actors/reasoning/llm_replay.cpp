#include "actors/reasoning/llm_replay.hpp"

#include "actors/context/recording.hpp"

namespace kfix::reasoning {

namespace {

/// A request body as the cassette holds it: parsed and masked.
nlohmann::json masked_body(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    j = body;
  context::mask_secrets(j);
  return j;
}

} // namespace

recorded_completion::recorded_completion(
  std::filesystem::path cassette, llm_config cfg,
  std::shared_ptr<completion_client> live)
  : cassette_(std::move(cassette)), cfg_(std::move(cfg)),
    live_(std::move(live)) {
  auto loaded = cassette::read(cassette_, "llm");
  if (loaded)
    recorded_ = std::move(*loaded);
  else
    load_error_ = render(loaded.error());
}

llm_exchange recorded_completion::complete(const llm_request& req) {
  auto body = request_body(cfg_, req);
  auto masked = masked_body(body);
  for (const auto& x : recorded_)
    if (x.request_body == masked) {
      llm_exchange ex;
      ex.request_body = body;
      ex.http_status = x.status;
      for (const auto& [name, value] : x.response_headers.items())
        if (value.is_string())
          ex.response_headers[name] = value.get<std::string>();
      ex.response_body = cassette::body_text(x.response_body);
      ex.reply = parse_reply(cfg_, x.status, ex.response_body);
      ex.source = "replay";
      used_.push_back(x.line);
      return ex;
    }
  if (live_) {
    auto ex = live_->complete(req);
    if (ex.http_status != 0) {
      http::outgoing out;
      out.service = "llm";
      out.method = "POST";
      out.url = endpoint_url(cfg_);
      out.body = ex.request_body;
      http::incoming in;
      in.status = ex.http_status;
      for (const auto& [name, value] : ex.response_headers)
        in.headers.emplace(name, value);
      in.body = ex.response_body;
      // An empty base keeps the whole path ("/v1/chat/completions").
      used_.push_back(context::cassette_entry(out, in, ""));
      live_used_ = true;
    }
    return ex;
  }
  llm_exchange ex;
  ex.request_body = body;
  ex.source = "stale";
  ex.attempts = 0;
  ex.reply.outcome = llm_outcome::stale;
  ex.reply.detail
    = !load_error_.empty() ? load_error_
      : recorded_.empty()
        ? "no LLM exchange is recorded in " + cassette_.string()
            + " and no endpoint is configured"
        : "none of the " + std::to_string(recorded_.size())
            + " LLM exchanges recorded in " + cassette_.string()
            + " has this request body (the prompt or the settings "
              "changed) and no endpoint is configured";
  return ex;
}

caf::error recorded_completion::save() const {
  if (!live_used_)
    return caf::none;
  return cassette::replace_service(cassette_, "llm", used_);
}

} // namespace kfix::reasoning
