#include "actors/publish/capturing_publisher.hpp"

namespace kfix::publish {

caf::expected<publication>
capturing_publisher::publish(const publish_request& req) {
  std::lock_guard<std::mutex> guard{mtx_};
  requests_.push_back(req);
  publication result;
  result.publisher = "captured";
  result.url = "captured://" + req.content.branch;
  result.branch = req.content.branch;
  result.mr_iid = static_cast<int64_t>(requests_.size());
  result.description = req.content.description;
  return result;
}

std::vector<publish_request> capturing_publisher::requests() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return requests_;
}

size_t capturing_publisher::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return requests_.size();
}

void capturing_publisher::clear() {
  std::lock_guard<std::mutex> guard{mtx_};
  requests_.clear();
}

} // namespace kfix::publish
