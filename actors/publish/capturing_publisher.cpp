#include "actors/publish/capturing_publisher.hpp"

namespace kfix::publish {

caf::expected<publication>
capturing_publisher::publish(const publish_request& req) {
  std::lock_guard<std::mutex> guard{mtx_};
  requests_.push_back(req);
  publication result;
  result.publisher = "captured";
  result.project = req.target.project;
  result.url = "captured://" + req.content.branch;
  result.branch = req.content.branch;
  result.mr_iid = static_cast<int64_t>(requests_.size());
  result.description = req.content.description;
  return result;
}

caf::error capturing_publisher::add_note(const publication& pub,
                                         const std::string& text) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& req : requests_)
    if (req.content.branch == pub.branch) {
      notes_.emplace_back(pub.branch, text);
      return caf::none;
    }
  return make_error(ec::not_found,
                    "captured: no merge request for branch " + pub.branch);
}

std::vector<std::pair<std::string, std::string>>
capturing_publisher::notes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return notes_;
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
  notes_.clear();
}

} // namespace kfix::publish
