// Unit tests for gateway/metrics/metrics.hpp: counters, gauges and histograms with labels, and
// the Prometheus text exposition format
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
#include "gateway/metrics/metrics.hpp"

#include <cstdint>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gw::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

/**
 * is_valid_exposition: checks every line against the text format 0.0.4 grammar: HELP and TYPE
 * comments, then samples `name{label="value",...} number`, with label values escaped.
 */
::testing::AssertionResult is_valid_exposition(const std::string& text) {
  if (!text.empty() && text.back() != '\n') {
    return ::testing::AssertionFailure() << "the text does not end with a newline";
  }
  static const std::regex kHelp(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* ([^\\\n]|\\\\|\\n)*)");
  static const std::regex kType(
      R"(# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))");
  static const std::regex kSample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*)"
      R"((\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})?)"
      R"( (\S+))");
  for (const auto& line : lines_of(text)) {
    std::smatch m;
    if (std::regex_match(line, kHelp) || std::regex_match(line, kType)) {
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      return ::testing::AssertionFailure() << "not a valid line: " << line;
    }
    const std::string value = m[m.size() - 1].str();
    char* end = nullptr;
    (void)std::strtod(value.c_str(), &end);
    if (end != value.c_str() + value.size()) {
      return ::testing::AssertionFailure() << "not a number: '" << value << "' in " << line;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(Counter, IncrementsByOneAndByN) {
  Counter c;
  EXPECT_EQ(c.value(), 0U);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42U);
}

TEST(Gauge, AddsAndSets) {
  Gauge g;
  g.add(5);
  g.add(-7);
  EXPECT_EQ(g.value(), -2);
  g.set(10);
  EXPECT_EQ(g.value(), 10);
}

TEST(Histogram, BucketsAreUpperInclusive) {
  Histogram h({1.0, 0.1, 10.0});  // unsorted on purpose: the histogram sorts its bounds
  EXPECT_EQ(h.bounds(), (std::vector<double>{0.1, 1.0, 10.0}));
  h.observe(0.05);
  h.observe(0.1);  // on a bound: counted in that bucket (le means "less than or equal")
  h.observe(0.5);
  h.observe(20);
  EXPECT_EQ(h.bucket(0), 2U);
  EXPECT_EQ(h.bucket(1), 1U);
  EXPECT_EQ(h.bucket(2), 0U);
  EXPECT_EQ(h.bucket(3), 1U);  // +Inf
  EXPECT_EQ(h.count(), 4U);
  EXPECT_DOUBLE_EQ(h.sum(), 20.65);
}

TEST(Family, WithCreatesOnceAndReturnsTheSameSeries) {
  Registry r;
  CounterFamily& f = r.counter("things_total", "Things", {"listener", "status"});
  Counter& a = f.with({"provider", "200"});
  a.inc();
  Counter& b = f.with({"provider", "200"});
  EXPECT_EQ(&a, &b);
  b.inc(2);
  f.with({"provider", "404"}).inc();
  EXPECT_EQ(a.value(), 3U);
  const Counter* found = f.find({"provider", "404"});
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->value(), 1U);
  EXPECT_EQ(f.name(), "things_total");
  EXPECT_EQ(f.help(), "Things");
  EXPECT_EQ(f.labels(), (std::vector<std::string>{"listener", "status"}));
}

TEST(Family, FindReturnsNullForUnseenLabels) {
  Registry r;
  CounterFamily& f = r.counter("things_total", "Things", {"listener"});
  EXPECT_EQ(f.find({"provider"}), nullptr);
  f.with({"provider"}).inc();
  EXPECT_NE(f.find({"provider"}), nullptr);
  EXPECT_EQ(f.find({"browser"}), nullptr);
  EXPECT_EQ(f.find({"Provider"}), nullptr);  // label values are case-sensitive
}

TEST(Family, HistogramSeriesUseTheFamilyBounds) {
  Registry r;
  HistogramFamily& f = r.histogram("latency_seconds", "Latency", {"route"}, {0.5, 1});
  Histogram& h = f.with({"healthz"});
  EXPECT_EQ(h.bounds(), (std::vector<double>{0.5, 1}));
  h.observe(0.7);
  const Histogram* found = f.find({"healthz"});
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->bucket(1), 1U);
}

TEST(Registry, RenderEmptyRegistry) {
  const Registry r;
  EXPECT_EQ(r.render(), "");
}

TEST(Registry, RenderCounterWithHelpTypeAndLabels) {
  Registry r;
  CounterFamily& f = r.counter("caregw_things_total", "Things done", {"listener", "status"});
  f.with({"provider", "200"}).inc(3);
  const std::string text = r.render();
  EXPECT_EQ(text,
            "# HELP caregw_things_total Things done\n"
            "# TYPE caregw_things_total counter\n"
            "caregw_things_total{listener=\"provider\",status=\"200\"} 3\n");
  EXPECT_TRUE(is_valid_exposition(text));
}

TEST(Registry, RenderCounterWithoutLabels) {
  Registry r;
  r.counter("errors_total", "Errors").with({}).inc(2);
  EXPECT_EQ(r.render(),
            "# HELP errors_total Errors\n"
            "# TYPE errors_total counter\n"
            "errors_total 2\n");
}

TEST(Registry, FamilyWithNoSeriesRendersOnlyItsHeader) {
  Registry r;
  r.counter("unused_total", "Never incremented", {"reason"});
  EXPECT_EQ(r.render(),
            "# HELP unused_total Never incremented\n"
            "# TYPE unused_total counter\n");
}

TEST(Registry, RenderGaugeIncludingNegative) {
  Registry r;
  GaugeFamily& g = r.gauge("open_connections", "Open now", {"listener"});
  g.with({"provider"}).set(-3);
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("# TYPE open_connections gauge\n"));
  EXPECT_THAT(text, HasSubstr("open_connections{listener=\"provider\"} -3\n"));
  EXPECT_TRUE(is_valid_exposition(text));
}

TEST(Registry, LabelValuesAreEscaped) {
  Registry r;
  r.counter("esc_total", "Escaping", {"v"}).with({"a\"b\\c\nd"}).inc();
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("esc_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
  EXPECT_TRUE(is_valid_exposition(text));
}

TEST(Registry, HelpIsEscapedButKeepsQuotes) {
  Registry r;
  r.counter("help_total", "back\\slash\nnew \"quoted\"");
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("# HELP help_total back\\\\slash\\nnew \"quoted\"\n"));
  EXPECT_TRUE(is_valid_exposition(text));
}

TEST(Registry, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  HistogramFamily& f = r.histogram("req_seconds", "Latency", {"route"}, {0.5, 1, 2});
  Histogram& h = f.with({"healthz"});
  h.observe(0.25);
  h.observe(0.5);
  h.observe(1.5);
  h.observe(3);
  const std::string text = r.render();
  EXPECT_EQ(text,
            "# HELP req_seconds Latency\n"
            "# TYPE req_seconds histogram\n"
            "req_seconds_bucket{route=\"healthz\",le=\"0.5\"} 2\n"
            "req_seconds_bucket{route=\"healthz\",le=\"1\"} 2\n"
            "req_seconds_bucket{route=\"healthz\",le=\"2\"} 3\n"
            "req_seconds_bucket{route=\"healthz\",le=\"+Inf\"} 4\n"
            "req_seconds_sum{route=\"healthz\"} 5.25\n"
            "req_seconds_count{route=\"healthz\"} 4\n");
  EXPECT_TRUE(is_valid_exposition(text));
}

TEST(Registry, HistogramWithoutLabelsStillLabelsBuckets) {
  Registry r;
  r.histogram("size_bytes", "Sizes", {}, {1024}).with({}).observe(10);
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("size_bytes_bucket{le=\"1024\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("size_bytes_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("size_bytes_sum 10\n"));
  EXPECT_THAT(text, HasSubstr("size_bytes_count 1\n"));
  EXPECT_TRUE(is_valid_exposition(text));
}

TEST(Registry, LatencyBucketBoundsRenderInShortestForm) {
  // Dashboards select buckets by the le label's text (e.g. rate(x_bucket{le="0.25"}[5m]) for an
  // Apdex score), so a bound must render as "0.25", as the Prometheus client libraries do, not as
  // a 17-digit expansion such as "0.10000000000000001".
  Registry r;
  r.histogram("lat_seconds", "Latency", {}, latency_buckets()).with({}).observe(0.3);
  const std::string text = r.render();
  for (const char* le : {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                         "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"}) {
    EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"" + std::string(le) + "\"}"))
        << "le=\"" << le << "\"";
  }
  EXPECT_THAT(text, HasSubstr("lat_seconds_sum 0.3\n"));
  EXPECT_TRUE(is_valid_exposition(text));
}

TEST(Registry, RendersFamiliesInRegistrationOrder) {
  Registry r;
  r.gauge("b_gauge", "B").with({}).set(1);
  r.counter("a_total", "A").with({}).inc();
  const std::string text = r.render();
  EXPECT_LT(text.find("b_gauge"), text.find("a_total"));
  EXPECT_TRUE(is_valid_exposition(text));
}

TEST(Registry, SeriesOfOneFamilyAreGroupedUnderOneHeader) {
  Registry r;
  CounterFamily& f = r.counter("req_total", "Requests", {"status"});
  f.with({"500"}).inc();
  f.with({"200"}).inc(2);
  const std::string text = r.render();
  const auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 4U) << text;
  EXPECT_EQ(lines[0], "# HELP req_total Requests");
  EXPECT_EQ(lines[1], "# TYPE req_total counter");
  EXPECT_THAT(lines[2], HasSubstr("req_total{status="));
  EXPECT_THAT(lines[3], HasSubstr("req_total{status="));
  EXPECT_THAT(text, HasSubstr("req_total{status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("req_total{status=\"500\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("# HELP req_total Requests\n# HELP")));
}

/** thread_label: "t<n>". (Built by append: GCC 12 gives a false -Wrestrict for "t" + string.) */
std::string thread_label(int t) {
  std::string s = "t";
  s += std::to_string(t);
  return s;
}

TEST(Concurrency, IncrementsFromSeveralThreadsSumCorrectly) {
  Registry r;
  CounterFamily& counters = r.counter("conc_total", "Concurrent", {"k"});
  GaugeFamily& gauges = r.gauge("conc_gauge", "Concurrent", {"k"});
  HistogramFamily& hists = r.histogram("conc_seconds", "Concurrent", {"k"}, {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = thread_label(t);
      for (int i = 0; i < kPerThread; ++i) {
        // Look the series up every time, so creation and lookup race as they do in the server.
        counters.with({"shared"}).inc();
        counters.with({own}).inc();
        gauges.with({"shared"}).add(i % 2 == 0 ? 1 : -1);
        hists.with({"shared"}).observe(i % 2 == 0 ? 0.25 : 1.0);
        if (i % 1000 == 0) {
          (void)r.render();  // rendering takes shared locks while writers add series
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  const Counter* shared = counters.find({"shared"});
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->value(), std::uint64_t{kThreads} * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    const Counter* own = counters.find({thread_label(t)});
    ASSERT_NE(own, nullptr);
    EXPECT_EQ(own->value(), std::uint64_t{kPerThread});
  }
  EXPECT_EQ(gauges.find({"shared"})->value(), 0);
  const Histogram* h = hists.find({"shared"});
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->count(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h->bucket(0), std::uint64_t{kThreads} * kPerThread / 2);
  EXPECT_DOUBLE_EQ(h->sum(), kThreads * (kPerThread / 2) * 1.25);
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("conc_total{k=\"shared\"} 80000\n"));
  EXPECT_TRUE(is_valid_exposition(text));
}

}  // namespace
}  // namespace gw::metrics
