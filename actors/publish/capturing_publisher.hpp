#pragma once

#include "actors/publish/publisher.hpp"

#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace kfix::publish {

/// Records every request in memory and publishes nothing (replay, eval,
/// tests). Thread-safe.
class capturing_publisher final : public publisher {
public:
  /// Stores `req`; returns publisher "captured", the branch, the
  /// description and a sequence number as `mr_iid`.
  [[nodiscard]] caf::expected<publication>
  publish(const publish_request& req) override;

  /// Records the note; an error for a publication it did not capture.
  [[nodiscard]] caf::error add_note(const publication& pub,
                                    const std::string& text) override;

  /// Every request so far, in order.
  std::vector<publish_request> requests() const;

  /// Every note so far: the publication's branch and the text.
  std::vector<std::pair<std::string, std::string>> notes() const;

  /// How many requests were captured.
  size_t size() const;

  void clear();

private:
  mutable std::mutex mtx_;
  std::vector<publish_request> requests_;
  std::vector<std::pair<std::string, std::string>> notes_;
};

} // namespace kfix::publish
