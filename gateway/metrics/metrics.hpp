// Counters, gauges and histograms with labels, rendered in the Prometheus text format (0.0.4).
// Each component declares its metrics in one struct (see http/server_stats.hpp) and tests assert on
// them.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gw::metrics {

/** Counter: a monotonically increasing count. Lock-free. */
class Counter {
public:
  void inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint64_t> v_{0};
};

/** Gauge: a value that goes up and down. Lock-free. */
class Gauge {
public:
  void add(std::int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { v_.store(n, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::int64_t> v_{0};
};

/** Histogram: counts of observations in fixed upper-bounded buckets, plus sum and count. */
class Histogram {
public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  [[nodiscard]] std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double sum() const { return sum_.load(std::memory_order_relaxed); }
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  /** bucket: non-cumulative count of bucket i (i == bounds().size() is the +Inf bucket). */
  [[nodiscard]] std::uint64_t bucket(std::size_t i) const {
    return buckets_[i].load(std::memory_order_relaxed);
  }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

enum class Kind { kCounter, kGauge, kHistogram };

/**
 * Family: one metric name with a fixed list of label names; `with(values)` returns the series
 * for those label values, creating it on first use. References stay valid for the Family's life.
 * Thread-safe.
 */
template <class M>
class Family {
public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}

  M& with(std::initializer_list<std::string_view> values);
  /** find: the series for these label values, or nullptr if none was made. */
  [[nodiscard]] const M* find(std::initializer_list<std::string_view> values) const;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& help() const { return help_; }
  [[nodiscard]] const std::vector<std::string>& labels() const { return labels_; }
  /** for_each: visits every series under a shared lock. */
  template <class F>
  void for_each(F&& f) const {
    std::shared_lock lock(mu_);
    for (const auto& [values, m] : series_) {
      f(values, *m);
    }
  }

private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

/** Registry: owns every family and renders them all. Families are registered at startup. */
class Registry {
public:
  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> labels = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  HistogramFamily& histogram(std::string name, std::string help, std::vector<std::string> labels,
                             std::vector<double> bounds);

  /** render: every family in the Prometheus text exposition format, in registration order. */
  [[nodiscard]] std::string render() const;

private:
  struct Entry {
    Kind kind;
    std::unique_ptr<CounterFamily> c;
    std::unique_ptr<GaugeFamily> g;
    std::unique_ptr<HistogramFamily> h;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

/** latency_buckets: request latency bucket bounds in seconds, from 100µs to 10s. */
inline const std::vector<double>& latency_buckets() {
  static const std::vector<double> kB{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return kB;
}

}  // namespace gw::metrics
