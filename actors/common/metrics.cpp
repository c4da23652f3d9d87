#include "actors/common/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <type_traits>
#include <utility>

namespace kfix::metrics {

namespace {

// -- text helpers -------------------------------------------------------------

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (value == 0) { // also -0
    out += '0';
    return;
  }
  // Shortest round-trip text; fixed notation (integers without exponent) in
  // the range where Go's strconv 'g' would also avoid tiny exponents.
  auto magnitude = std::fabs(value);
  auto format = magnitude >= 1e-4 && magnitude < 1e21
                  ? std::chars_format::fixed
                  : std::chars_format::scientific;
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, format);
  out.append(buffer, result.ptr);
}

/// Escapes a HELP text: backslash and newline.
void append_help(std::string& out, std::string_view text) {
  for (auto c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

/// Escapes a label value: backslash, double quote and newline.
void append_label_value(std::string& out, std::string_view text) {
  for (auto c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_header(std::string& out, const std::string& name,
                   const std::string& help, std::string_view type) {
  if (!help.empty()) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_help(out, help);
    out += '\n';
  }
  out += "# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

/// `a="x",b="y"` without braces.
std::string label_pairs(const std::vector<std::string>& names,
                        const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      out += ',';
    out += names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  return out;
}

/// `name{pairs} value\n`, or `name value\n` without labels.
void append_sample(std::string& out, const std::string& name,
                   std::string_view suffix, const std::string& pairs,
                   double value) {
  out += name;
  out += suffix;
  if (!pairs.empty()) {
    out += '{';
    out += pairs;
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

template <class Values>
size_t hash_values(const Values& values) {
  size_t seed = values.size();
  for (const auto& value : values)
    seed ^= std::hash<std::string_view>{}(std::string_view{value})
            + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  return seed;
}

/// A gauge computed by a callback at render time.
class callback_family final : public detail::family_base {
public:
  callback_family(std::string name, std::string help,
                  std::function<double()> fn, detail::error_log* errors)
    : family_base(std::move(name), std::move(help), {}, true, errors),
      callback(std::move(fn)) {}

  void render(std::string& out) const override {
    auto value = std::numeric_limits<double>::quiet_NaN();
    try {
      value = callback();
    } catch (...) {
      // A throwing callback renders NaN: nothing leaves render().
    }
    append_header(out, name_, help_, "gauge");
    append_sample(out, name_, {}, {}, value);
  }

  std::function<double()> callback;
};

constexpr size_t max_errors = 100;

} // namespace

std::vector<double> default_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}

std::string format_value(double value) {
  std::string out;
  append_value(out, value);
  return out;
}

// -- histogram ----------------------------------------------------------------

histogram::histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  bounds_.erase(std::remove_if(bounds_.begin(), bounds_.end(),
                               [](double b) {
                                 return !std::isfinite(b);
                               }),
                bounds_.end());
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void histogram::observe(double seconds) noexcept {
  if (std::isnan(seconds))
    return;
  // First bound >= the value: `le` is inclusive.
  auto index = std::lower_bound(bounds_.begin(), bounds_.end(), seconds)
               - bounds_.begin();
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  detail::atomic_add(sum_, seconds);
}

uint64_t histogram::bucket_count(size_t index) const noexcept {
  if (index > bounds_.size())
    return 0;
  return counts_[index].load(std::memory_order_relaxed);
}

uint64_t histogram::count() const noexcept {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i)
    total += counts_[i].load(std::memory_order_relaxed);
  return total;
}

// -- error log ----------------------------------------------------------------

namespace detail {

struct error_log {
  /// Records `message` once; keeps at most `max_errors` messages.
  void record(std::string message) {
    std::lock_guard<std::mutex> guard{mutex};
    if (errors.size() >= max_errors || !seen.insert(message).second)
      return;
    errors.push_back(make_error(ec::invalid_input, std::move(message)));
  }

  std::mutex mutex;
  std::vector<caf::error> errors;
  std::set<std::string> seen;
};

// -- family_base --------------------------------------------------------------

family_base::family_base(std::string name, std::string help,
                         std::vector<std::string> label_names, bool registered,
                         error_log* errors)
  : name_(std::move(name)), help_(std::move(help)),
    label_names_(std::move(label_names)), registered_(registered),
    errors_(errors) {}

family_base::~family_base() = default;

void family_base::record_arity_error(size_t given) const {
  if (errors_ != nullptr)
    errors_->record("metrics: `" + name_ + "` takes "
                    + std::to_string(label_names_.size())
                    + " label values, got " + std::to_string(given));
}

} // namespace detail

// -- family -------------------------------------------------------------------

template <class Metric>
struct family<Metric>::node {
  template <class... Args>
  node(std::vector<std::string> label_values, size_t label_hash,
       node* successor, Args&&... args)
    : values(std::move(label_values)), hash(label_hash), next(successor),
      metric(std::forward<Args>(args)...) {}

  const std::vector<std::string> values;
  const size_t hash;
  node* const next;
  Metric metric;
};

template <class Metric>
family<Metric>::family(std::string name, std::string help,
                       std::vector<std::string> label_names,
                       std::vector<double> bounds, bool registered,
                       detail::error_log* errors)
  : family_base(std::move(name), std::move(help), std::move(label_names),
                registered, errors),
    bounds_(std::move(bounds)) {
  sink_.reset(make_metric());
}

template <class Metric>
family<Metric>::~family() {
  auto* current = head_.load(std::memory_order_acquire);
  while (current != nullptr) {
    auto* next = current->next;
    delete current;
    current = next;
  }
}

template <class Metric>
Metric* family<Metric>::make_metric() const {
  if constexpr (std::is_same_v<Metric, histogram>)
    return new Metric(bounds_);
  else
    return new Metric();
}

template <class Metric>
Metric& family<Metric>::with(std::initializer_list<std::string_view> values) {
  return find_or_add(values);
}

template <class Metric>
Metric& family<Metric>::with(const std::vector<std::string>& values) {
  return find_or_add(values);
}

template <class Metric>
template <class Values>
Metric& family<Metric>::find_or_add(const Values& values) {
  if (values.size() != label_names_.size()) {
    record_arity_error(values.size());
    return *sink_;
  }
  auto hash = hash_values(values);
  auto find = [&](node* current) -> node* {
    for (; current != nullptr; current = current->next) {
      if (current->hash != hash)
        continue;
      if (std::equal(current->values.begin(), current->values.end(),
                     values.begin(), [](const std::string& x, const auto& y) {
                       return x == std::string_view{y};
                     }))
        return current;
    }
    return nullptr;
  };
  // Fast path: nodes are only ever prepended, so a lock-free walk is safe.
  if (auto* found = find(head_.load(std::memory_order_acquire)))
    return found->metric;
  // Slow path: insert under the mutex unless another thread just did.
  std::lock_guard<std::mutex> guard{mutex_};
  auto* head = head_.load(std::memory_order_relaxed);
  if (auto* found = find(head))
    return found->metric;
  std::vector<std::string> copy;
  copy.reserve(values.size());
  for (const auto& value : values)
    copy.emplace_back(std::string_view{value});
  node* added;
  if constexpr (std::is_same_v<Metric, histogram>)
    added = new node(std::move(copy), hash, head, bounds_);
  else
    added = new node(std::move(copy), hash, head);
  head_.store(added, std::memory_order_release);
  return added->metric;
}

template <class Metric>
void family<Metric>::render(std::string& out) const {
  std::vector<const node*> series;
  for (auto* current = head_.load(std::memory_order_acquire);
       current != nullptr; current = current->next)
    series.push_back(current);
  if (series.empty())
    return;
  std::sort(series.begin(), series.end(), [](const node* x, const node* y) {
    return x->values < y->values;
  });
  if constexpr (std::is_same_v<Metric, counter>)
    append_header(out, name_, help_, "counter");
  else if constexpr (std::is_same_v<Metric, gauge>)
    append_header(out, name_, help_, "gauge");
  else
    append_header(out, name_, help_, "histogram");
  for (const auto* current : series) {
    auto pairs = label_pairs(label_names_, current->values);
    if constexpr (std::is_same_v<Metric, histogram>) {
      const auto& h = current->metric;
      const auto& bounds = h.bounds();
      auto prefix = pairs.empty() ? std::string{} : pairs + ',';
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += h.bucket_count(i);
        out += name_;
        out += "_bucket{";
        out += prefix;
        out += "le=\"";
        if (i < bounds.size())
          append_value(out, bounds[i]);
        else
          out += "+Inf";
        out += "\"} ";
        append_value(out, static_cast<double>(cumulative));
        out += '\n';
      }
      append_sample(out, name_, "_sum", pairs, h.sum());
      // The count is the +Inf bucket, so the two always agree.
      append_sample(out, name_, "_count", pairs,
                    static_cast<double>(cumulative));
    } else {
      append_sample(out, name_, {}, pairs, current->metric.value());
    }
  }
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

// -- registry -----------------------------------------------------------------

registry::registry() : errors_(std::make_unique<detail::error_log>()) {}

registry::~registry() = default;

bool registry::valid_name(std::string_view name) {
  if (name.empty())
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = name[i];
    if (!is_letter(c) && c != ':' && !(i > 0 && is_digit(c)))
      return false;
  }
  return true;
}

bool registry::valid_label_name(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__")
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = name[i];
    if (!is_letter(c) && !(i > 0 && is_digit(c)))
      return false;
  }
  return true;
}

std::string registry::check(std::string_view name, kind type,
                            const std::vector<std::string>& label_names,
                            const std::vector<double>* buckets) const {
  auto quoted = "`" + std::string{name} + "`";
  if (!valid_name(name))
    return "metrics: invalid metric name " + quoted;
  for (size_t i = 0; i < label_names.size(); ++i) {
    const auto& label = label_names[i];
    if (!valid_label_name(label))
      return "metrics: invalid label name `" + label + "` in " + quoted;
    if (type == kind::histogram && label == "le")
      return "metrics: label name `le` is reserved in histogram " + quoted;
    if (std::find(label_names.begin(), label_names.begin() + i, label)
        != label_names.begin() + i)
      return "metrics: duplicate label name `" + label + "` in " + quoted;
  }
  if (buckets != nullptr) {
    for (size_t i = 0; i < buckets->size(); ++i) {
      if (!std::isfinite((*buckets)[i])
          || (i > 0 && (*buckets)[i] <= (*buckets)[i - 1]))
        return "metrics: buckets of " + quoted
               + " must be finite and strictly ascending";
    }
  }
  // A histogram `h` also writes `h_bucket`, `h_sum` and `h_count`.
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (type == kind::histogram) {
      auto derived = std::string{name} + std::string{suffix};
      if (families_.find(derived) != families_.end())
        return "metrics: histogram " + quoted + " clashes with `" + derived
               + "`";
    }
    if (name.size() > suffix.size()
        && name.substr(name.size() - suffix.size()) == suffix) {
      auto stem = name.substr(0, name.size() - suffix.size());
      auto it = families_.find(stem);
      if (it != families_.end() && it->second.type == kind::histogram)
        return "metrics: " + quoted + " clashes with histogram `"
               + std::string{stem} + "`";
    }
  }
  return {};
}

template <class Metric>
family<Metric>& registry::add(kind type, std::string_view name,
                              std::string_view help,
                              std::vector<std::string> label_names,
                              std::vector<double> buckets) {
  if (type == kind::histogram && !buckets.empty() && std::isinf(buckets.back())
      && buckets.back() > 0)
    buckets.pop_back();
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = families_.find(name);
  if (it != families_.end() && it->second.type == type) {
    auto& existing = static_cast<family<Metric>&>(*it->second.family);
    if (existing.label_names() == label_names && existing.bounds_ == buckets)
      return existing;
  }
  auto problem = check(name, type, label_names,
                       type == kind::histogram ? &buckets : nullptr);
  if (problem.empty() && it != families_.end())
    problem = "metrics: `" + std::string{name}
              + "` is already registered with another type, labels or "
                "buckets";
  auto ok = problem.empty();
  if (!ok)
    errors_->record(std::move(problem));
  std::unique_ptr<family<Metric>> created{new family<Metric>(
    std::string{name}, std::string{help}, std::move(label_names),
    std::move(buckets), ok, errors_.get())};
  auto& result = *created;
  // An unlabelled family has exactly one series; create it so it renders 0.
  if (result.label_names().empty())
    result.with();
  if (ok)
    families_.emplace(std::string{name}, entry{type, std::move(created)});
  else
    detached_.push_back(std::move(created));
  return result;
}

counter_family& registry::counter(std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names) {
  return add<metrics::counter>(kind::counter, name, help,
                               std::move(label_names), {});
}

gauge_family& registry::gauge(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names) {
  return add<metrics::gauge>(kind::gauge, name, help, std::move(label_names),
                             {});
}

histogram_family& registry::histogram(std::string_view name,
                                      std::string_view help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> buckets) {
  return add<metrics::histogram>(kind::histogram, name, help,
                                 std::move(label_names), std::move(buckets));
}

bool registry::gauge_callback(std::string_view name, std::string_view help,
                              std::function<double()> callback) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!callback) {
    errors_->record("metrics: empty callback for `" + std::string{name} + "`");
    return false;
  }
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second.type == kind::callback) {
      static_cast<callback_family&>(*it->second.family).callback
        = std::move(callback);
      return true;
    }
    errors_->record("metrics: `" + std::string{name}
                    + "` is already registered with another type");
    return false;
  }
  if (auto problem = check(name, kind::callback, {}, nullptr);
      !problem.empty()) {
    errors_->record(std::move(problem));
    return false;
  }
  families_.emplace(
    std::string{name},
    entry{kind::callback, std::make_unique<callback_family>(
                            std::string{name}, std::string{help},
                            std::move(callback), errors_.get())});
  return true;
}

bool registry::remove_gauge_callback(std::string_view name) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != kind::callback)
    return false;
  families_.erase(it);
  return true;
}

std::string registry::render() const {
  std::string out;
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& [name, e] : families_)
    e.family->render(out);
  return out;
}

std::vector<caf::error> registry::errors() const {
  std::lock_guard<std::mutex> guard{errors_->mutex};
  return errors_->errors;
}

registry& default_registry() {
  // Leaked on purpose: no destruction-order hazards at exit.
  static auto* instance = new registry;
  return *instance;
}

} // namespace kfix::metrics
