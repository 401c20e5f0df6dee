// Metric families and the Prometheus text exposition format
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
#include "gateway/metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <type_traits>

namespace gw::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

template <class M>
M& Family<M>::with(std::initializer_list<std::string_view> values) {
  std::vector<std::string> key(values.begin(), values.end());
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(key); it != series_.end()) {
      return *it->second;
    }
  }
  std::unique_lock lock(mu_);
  auto& slot = series_[std::move(key)];
  if (!slot) {
    if constexpr (std::is_same_v<M, Histogram>) {
      slot = std::make_unique<Histogram>(bounds_);
    } else {
      slot = std::make_unique<M>();
    }
  }
  return *slot;
}

template <class M>
const M* Family<M>::find(std::initializer_list<std::string_view> values) const {
  const std::vector<std::string> key(values.begin(), values.end());
  std::shared_lock lock(mu_);
  auto it = series_.find(key);
  return it == series_.end() ? nullptr : it->second.get();
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CounterFamily& Registry::counter(std::string name, std::string help,
                                 std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  auto& e = entries_.emplace_back(Entry{Kind::kCounter, nullptr, nullptr, nullptr});
  e.c = std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(labels));
  return *e.c;
}

GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  auto& e = entries_.emplace_back(Entry{Kind::kGauge, nullptr, nullptr, nullptr});
  e.g = std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(labels));
  return *e.g;
}

HistogramFamily& Registry::histogram(std::string name, std::string help,
                                     std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& e = entries_.emplace_back(Entry{Kind::kHistogram, nullptr, nullptr, nullptr});
  e.h = std::make_unique<HistogramFamily>(std::move(name), std::move(help), std::move(labels),
                                          std::move(bounds));
  return *e.h;
}

namespace {

void escape_into(std::string& out, std::string_view v, bool help) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && !help) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void labels_into(std::string& out, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, std::string_view extra_name = {},
                 std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) {
    return;
  }
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += names[i];
    out += "=\"";
    escape_into(out, values[i], false);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) {
      out += ',';
    }
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

/** number: the shortest text that reads back as `v` ("0.1", not "0.10000000000000001"), so that
 *  dashboards selecting buckets by their le label's text find them. */
std::string number(double v) {
  char buf[64];
  const double mag = v < 0 ? -v : v;
  // Fixed notation reads best for the usual range ("0.0001", not "1e-04"); very large or small
  // values fall back to the shortest general form.
  const bool fixed = mag == 0 || (mag >= 1e-9 && mag < 1e15);
  const auto r = fixed ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                       : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

template <class F>
void header_into(std::string& out, const F& f, std::string_view type) {
  out += "# HELP ";
  out += f.name();
  out += ' ';
  escape_into(out, f.help(), true);
  out += "\n# TYPE ";
  out += f.name();
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const Entry& e : entries_) {
    if (e.kind == Kind::kCounter) {
      header_into(out, *e.c, "counter");
      e.c->for_each([&](const std::vector<std::string>& values, const Counter& c) {
        out += e.c->name();
        labels_into(out, e.c->labels(), values);
        out += ' ' + std::to_string(c.value()) + '\n';
      });
    } else if (e.kind == Kind::kGauge) {
      header_into(out, *e.g, "gauge");
      e.g->for_each([&](const std::vector<std::string>& values, const Gauge& g) {
        out += e.g->name();
        labels_into(out, e.g->labels(), values);
        out += ' ' + std::to_string(g.value()) + '\n';
      });
    } else {
      header_into(out, *e.h, "histogram");
      e.h->for_each([&](const std::vector<std::string>& values, const Histogram& h) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
          cumulative += h.bucket(i);
          out += e.h->name() + "_bucket";
          const std::string le = i < h.bounds().size() ? number(h.bounds()[i]) : "+Inf";
          labels_into(out, e.h->labels(), values, "le", le);
          out += ' ' + std::to_string(cumulative) + '\n';
        }
        out += e.h->name() + "_sum";
        labels_into(out, e.h->labels(), values);
        out += ' ' + number(h.sum()) + '\n';
        out += e.h->name() + "_count";
        labels_into(out, e.h->labels(), values);
        out += ' ' + std::to_string(h.count()) + '\n';
      });
    }
  }
  return out;
}

}  // namespace gw::metrics
