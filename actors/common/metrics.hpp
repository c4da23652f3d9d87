#pragma once

#include "messages/error.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

/// Prometheus metrics: counters, gauges and histograms grouped in labelled
/// families, rendered in the text exposition format 0.0.4 for `/metrics`.
///
/// **Cost.** Updating a metric is one atomic operation (a compare-exchange
/// loop for doubles). `family::with()` finds an existing label set without a
/// lock by walking an append-only list; the family's mutex is taken only the
/// first time a label set is seen. The registry's mutex guards registration
/// and `render()`. Hot paths keep the reference `with()` returns: it stays
/// valid as long as the registry.
///
/// **Errors.** Registration cannot fail: metric names are constants written
/// by programmers, and a `caf::expected` at every call site would be noise.
/// Names are checked with `registry::valid_name()` and
/// `registry::valid_label_name()`; an invalid registration (bad metric or
/// label name, a name already taken by another type, label set or bucket
/// layout, unsorted buckets) returns a *detached* family that works but is
/// never rendered, and the registry records an `ec::invalid_input` error in
/// `registry::errors()`. A `with()` with the wrong number of label values
/// returns the family's detached sink metric and records an error the same
/// way. Nothing asserts and nothing throws.
namespace kfix::metrics {

/// The content type of `registry::render()` for an HTTP response.
inline constexpr std::string_view content_type
  = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets in seconds: 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
/// 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 (+Inf is implicit).
std::vector<double> default_buckets();

/// Formats a sample value the way `render()` does: integers below 1e21
/// without exponent ("1000000"), other values as the shortest text that
/// parses back to the same double ("0.25", "1e-05"), and "NaN", "+Inf",
/// "-Inf".
std::string format_value(double value);

namespace detail {

/// Adds to an atomic double (C++17 has no `fetch_add` for floating point).
inline void atomic_add(std::atomic<double>& target, double delta) noexcept {
  auto current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta,
                                       std::memory_order_relaxed))
    ; // retry with the updated `current`
}

} // namespace detail

// -- metrics ------------------------------------------------------------------

/// A monotonically increasing value (requests served, errors seen).
class counter {
public:
  counter() = default;
  counter(const counter&) = delete;
  counter& operator=(const counter&) = delete;

  /// Adds `delta`; negative and NaN deltas are ignored (counters never
  /// decrease).
  void inc(double delta = 1) noexcept {
    if (delta >= 0)
      detail::atomic_add(value_, delta);
  }

  /// The current value.
  double value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{0};
};

/// A value that goes up and down (queue depth, in-flight requests).
class gauge {
public:
  gauge() = default;
  gauge(const gauge&) = delete;
  gauge& operator=(const gauge&) = delete;

  /// Replaces the value.
  void set(double value) noexcept {
    value_.store(value, std::memory_order_relaxed);
  }

  /// Adds `delta`.
  void inc(double delta = 1) noexcept {
    detail::atomic_add(value_, delta);
  }

  /// Subtracts `delta`.
  void dec(double delta = 1) noexcept {
    detail::atomic_add(value_, -delta);
  }

  /// The current value.
  double value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{0};
};

/// Counts observations (durations in seconds) in fixed buckets. A value
/// lands in the first bucket whose upper bound is >= the value, so an
/// observation on a bucket edge counts in that bucket (`le` is inclusive).
class histogram {
public:
  /// Uses `bounds` as the upper bounds; a standalone histogram sorts them
  /// and drops duplicates and non-finite values (the registry rejects such
  /// layouts instead).
  explicit histogram(std::vector<double> bounds = default_buckets());
  histogram(const histogram&) = delete;
  histogram& operator=(const histogram&) = delete;

  /// Records one observation; NaN is ignored.
  void observe(double seconds) noexcept;

  /// The finite upper bounds, ascending (+Inf is implicit).
  const std::vector<double>& bounds() const noexcept {
    return bounds_;
  }

  /// The non-cumulative count of bucket `index`; `index == bounds().size()`
  /// is the +Inf bucket.
  uint64_t bucket_count(size_t index) const noexcept;

  /// The number of observations (the sum of all buckets).
  uint64_t count() const noexcept;

  /// The sum of all observations.
  double sum() const noexcept {
    return sum_.load(std::memory_order_relaxed);
  }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

/// Observes the steady-clock seconds between construction and destruction
/// into a histogram: `scoped_timer t{latency.with({"kubernetes"})};`.
class scoped_timer {
public:
  explicit scoped_timer(histogram& target) noexcept
    : target_(&target), start_(std::chrono::steady_clock::now()) {}

  scoped_timer(const scoped_timer&) = delete;
  scoped_timer& operator=(const scoped_timer&) = delete;

  ~scoped_timer() {
    if (target_ != nullptr)
      target_->observe(elapsed());
  }

  /// Seconds since construction.
  double elapsed() const noexcept {
    return std::chrono::duration<double>(std::chrono::steady_clock::now()
                                         - start_)
      .count();
  }

  /// Drops the observation (the destructor then records nothing).
  void cancel() noexcept {
    target_ = nullptr;
  }

private:
  histogram* target_;
  std::chrono::steady_clock::time_point start_;
};

// -- families -----------------------------------------------------------------

class registry;

namespace detail {

/// Errors recorded by a registry (defined in metrics.cpp).
struct error_log;

/// The name, help and label names shared by all families.
class family_base {
public:
  virtual ~family_base();
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  const std::string& name() const noexcept {
    return name_;
  }

  const std::string& help() const noexcept {
    return help_;
  }

  const std::vector<std::string>& label_names() const noexcept {
    return label_names_;
  }

  /// False for a detached family returned by a rejected registration.
  bool registered() const noexcept {
    return registered_;
  }

  /// Appends the `# HELP`/`# TYPE` lines and all samples; nothing when the
  /// family has no series yet.
  virtual void render(std::string& out) const = 0;

protected:
  family_base(std::string name, std::string help,
              std::vector<std::string> label_names, bool registered,
              error_log* errors);

  /// Records a wrong number of label values.
  void record_arity_error(size_t given) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  bool registered_;
  error_log* errors_;
};

} // namespace detail

/// A metric family: one `Metric` per distinct set of label values.
template <class Metric>
class family final : public detail::family_base {
public:
  ~family() override;

  /// Returns the series for `values`, one per label name in registration
  /// order, creating it on first use. The reference stays valid as long as
  /// the registry. The wrong number of values returns a detached sink and
  /// records an error.
  Metric& with(std::initializer_list<std::string_view> values = {});

  /// Same as above for label values computed at run time.
  Metric& with(const std::vector<std::string>& values);

  void render(std::string& out) const override;

private:
  friend class registry;

  struct node;

  family(std::string name, std::string help,
         std::vector<std::string> label_names, std::vector<double> bounds,
         bool registered, detail::error_log* errors);

  template <class Values>
  Metric& find_or_add(const Values& values);

  Metric* make_metric() const;

  std::vector<double> bounds_; // histograms only
  std::unique_ptr<Metric> sink_;
  std::atomic<node*> head_{nullptr};
  std::mutex mutex_;
};

using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;

// Instantiated in metrics.cpp.
extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

// -- registry -----------------------------------------------------------------

/// Owns metric families and renders them. Thread-safe; not copyable.
class registry {
public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Registers (or returns the already registered) counter family `name`.
  counter_family& counter(std::string_view name, std::string_view help,
                          std::vector<std::string> label_names = {});

  /// Registers (or returns the already registered) gauge family `name`.
  gauge_family& gauge(std::string_view name, std::string_view help,
                      std::vector<std::string> label_names = {});

  /// Registers (or returns the already registered) histogram family `name`
  /// with strictly ascending finite `buckets` (a trailing +Inf is dropped);
  /// `le` is not allowed as a label name.
  histogram_family& histogram(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names = {},
                              std::vector<double> buckets = default_buckets());

  /// Registers an unlabelled gauge whose value `callback` computes at render
  /// time (queue depth). Registering the same name again replaces the
  /// callback. `render()` calls it under the registry's mutex, so it must
  /// not use the registry, and it stays called until
  /// `remove_gauge_callback()` returns. Returns false (and records an error)
  /// on an invalid or taken name or an empty callback; a throwing callback
  /// renders NaN.
  bool gauge_callback(std::string_view name, std::string_view help,
                      std::function<double()> callback);

  /// Removes a callback gauge; returns whether one was registered.
  bool remove_gauge_callback(std::string_view name);

  /// The text exposition format 0.0.4: families sorted by name, series by
  /// label values, each line ending in a newline.
  std::string render() const;

  /// Rejected registrations and label-value mismatches, distinct messages
  /// in order of first occurrence (at most 100).
  std::vector<caf::error> errors() const;

  /// Whether `name` is a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
  static bool valid_name(std::string_view name);

  /// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*` and not
  /// starting with `__` (reserved by Prometheus).
  static bool valid_label_name(std::string_view name);

private:
  enum class kind { counter, gauge, histogram, callback };

  struct entry {
    kind type;
    std::unique_ptr<detail::family_base> family;
  };

  /// Checks `name`, `label_names` and `buckets` against the rules and the
  /// registered families; returns an error message or an empty string.
  std::string check(std::string_view name, kind type,
                    const std::vector<std::string>& label_names,
                    const std::vector<double>* buckets) const;

  template <class Metric>
  family<Metric>& add(kind type, std::string_view name, std::string_view help,
                      std::vector<std::string> label_names,
                      std::vector<double> buckets);

  mutable std::mutex mutex_;
  std::map<std::string, entry, std::less<>> families_;
  std::vector<std::unique_ptr<detail::family_base>> detached_;
  std::unique_ptr<detail::error_log> errors_;
};

/// The process-wide registry (never destroyed, so metrics stay usable from
/// threads that outlive `main`).
registry& default_registry();

} // namespace kfix::metrics
