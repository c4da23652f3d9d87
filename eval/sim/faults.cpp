#include "eval/sim/faults.hpp"

#include <algorithm>

namespace kfix::sim {

fault_injector::decision fault_injector::on_request(const std::string& path) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++requests_;
  decision result;
  for (const auto& d : delays_)
    if (path.rfind(d.prefix, 0) == 0)
      result.wait = std::max(result.wait, d.duration);
  for (auto& f : faults_) {
    if (f.remaining != 0 && path.rfind(f.prefix, 0) == 0) {
      result.failure = f.status;
      if (f.remaining > 0)
        --f.remaining;
      break;
    }
  }
  return result;
}

void fault_injector::fail_path(std::string prefix, int status, int times) {
  std::lock_guard<std::mutex> guard{mtx_};
  faults_.erase(std::remove_if(faults_.begin(), faults_.end(),
                               [&](const fault& f) {
                                 return f.prefix == prefix;
                               }),
                faults_.end());
  faults_.push_back(fault{std::move(prefix), status, times});
}

void fault_injector::delay_path(std::string prefix,
                                std::chrono::milliseconds delay_for) {
  std::lock_guard<std::mutex> guard{mtx_};
  delays_.erase(std::remove_if(delays_.begin(), delays_.end(),
                               [&](const delay& d) {
                                 return d.prefix == prefix;
                               }),
                delays_.end());
  delays_.push_back(delay{std::move(prefix), delay_for});
}

void fault_injector::clear() {
  std::lock_guard<std::mutex> guard{mtx_};
  faults_.clear();
  delays_.clear();
}

void fault_injector::record_unknown(std::string request_line) {
  std::lock_guard<std::mutex> guard{mtx_};
  unknown_.push_back(std::move(request_line));
}

size_t fault_injector::request_count() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return requests_;
}

std::vector<std::string> fault_injector::unknown_requests() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return unknown_;
}

} // namespace kfix::sim
