#pragma once

#include "actors/reasoning/llm_cassette.hpp"
#include "actors/reasoning/llm_protocol.hpp"
#include "config/config.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kfix::reasoning {

/// The eval's completion client for one incident: answers from the
/// incident's cassette.jsonl when a recorded `llm` exchange has an
/// identical request body (both masked by `context::mask_secrets`);
/// otherwise asks `live`, when an endpoint is configured, and keeps the
/// exchange (as `context::cassette_entry` records it) for `save`; with
/// neither, the answer is `stale` (a changed prompt or settings make
/// recordings stale) and nothing is called.
class recorded_completion : public completion_client {
public:
  /// `live` may be null (no endpoint).
  recorded_completion(std::filesystem::path cassette, llm_config cfg,
                      std::shared_ptr<completion_client> live);

  llm_exchange complete(const llm_request& req) override;

  /// Whether a live call was made (the cassette should be saved).
  bool recorded_live() const {
    return live_used_;
  }

  /// Rewrites the cassette's `llm` lines with this run's exchanges
  /// (replayed and live, in order) when a live call was made; other
  /// services' lines stay. Credentials are never written.
  [[nodiscard]] caf::error save() const;

private:
  std::filesystem::path cassette_;
  llm_config cfg_;
  std::shared_ptr<completion_client> live_;
  std::vector<cassette::exchange> recorded_;
  std::string load_error_;
  /// This run's exchanges as cassette lines.
  std::vector<nlohmann::json> used_;
  bool live_used_ = false;
};

} // namespace kfix::reasoning
