// caregw-identity-bench: demographic matching at scale. Builds an in-memory blocking index over
// a synthetic population (1,000,000 people by default), times demographic match (blocking
// lookup + scoring every candidate + ranking) over labelled messages, and reports latency
// percentiles, candidates per query, key selectivity, and precision/recall at both thresholds.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <sys/resource.h>

#include "gateway/identity/match_index.hpp"
#include "gateway/identity/match_population.hpp"

namespace {

namespace id = gw::identity;
namespace syn = gw::identity::synthetic;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t people = 1'000'000;
  std::size_t queries = 10'000;
  std::uint64_t seed = 1;
  double auto_link = id::MatchThresholds{}.auto_link;
  double review = id::MatchThresholds{}.review;
};

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if ((a == "--people" || a == "--queries" || a == "--seed" || a == "--auto-link" ||
         a == "--review") &&
        (v = value()) != nullptr) {
      if (a == "--people") {
        o.people = std::strtoull(v, nullptr, 10);
      } else if (a == "--queries") {
        o.queries = std::strtoull(v, nullptr, 10);
      } else if (a == "--seed") {
        o.seed = std::strtoull(v, nullptr, 10);
      } else if (a == "--auto-link") {
        o.auto_link = std::strtod(v, nullptr);
      } else {
        o.review = std::strtod(v, nullptr);
      }
      continue;
    }
    std::fprintf(stderr,
                 "usage: caregw-identity-bench [--people N] [--queries N] [--seed S] "
                 "[--auto-link W] [--review W]\n");
    return false;
  }
  return o.people > 0 && o.queries > 0;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  // Nearest rank.
  const auto rank =
      static_cast<std::size_t>(std::max(1.0, p / 100.0 * static_cast<double>(v.size()) + 0.5));
  return v[std::min(rank, v.size()) - 1];
}

long peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;  // Linux reports KiB
}

struct Tally {
  std::size_t messages = 0;
  std::size_t existing = 0;         // the true person is in the population
  std::size_t auto_linked = 0;      // decision auto-link
  std::size_t auto_correct = 0;     // ... to the true person
  std::size_t flagged = 0;          // decision auto-link or review
  std::size_t flagged_correct = 0;  // ... with the true person ranked first
  std::size_t blocked = 0;          // the true person was among the candidates
  std::size_t new_auto_linked = 0;  // a new person auto-linked to someone
  std::size_t new_kept_new = 0;     // a new person decided new person

  void add(const syn::LabelledMessage& m, id::MatchDecision d, std::optional<std::uint64_t> top,
           bool truth_in_candidates) {
    ++messages;
    const bool correct = m.truth && top && *top == *m.truth;
    existing += m.truth ? 1 : 0;
    blocked += truth_in_candidates ? 1 : 0;
    if (d == id::MatchDecision::kAutoLink) {
      ++auto_linked;
      auto_correct += correct ? 1 : 0;
      new_auto_linked += m.truth ? 0 : 1;
    }
    if (!m.truth && d == id::MatchDecision::kNewPerson) {
      ++new_kept_new;
    }
    if (d != id::MatchDecision::kNewPerson) {
      ++flagged;
      flagged_correct += correct ? 1 : 0;
    }
  }
};

double ratio(std::size_t a, std::size_t b) {
  return b == 0 ? 1.0 : static_cast<double>(a) / static_cast<double>(b);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_options(argc, argv, opt)) {
    return 2;
  }
  const id::MatchThresholds thresholds{opt.auto_link, opt.review};
  const id::MatchWeights weights = id::default_weights();

  // 1. The population and the labelled messages about it.
  auto t = Clock::now();
  std::vector<syn::Person> people = syn::generate_people(opt.people, opt.seed);
  const std::vector<syn::LabelledMessage> messages =
      syn::generate_messages(people, opt.queries, opt.seed);
  const double generate_s = seconds_since(t);

  // 2. Normalise everyone once and file them under their blocking keys.
  t = Clock::now();
  std::vector<id::NormalisedDemographics> records;
  records.reserve(people.size());
  id::MatchIndex index;
  std::size_t without_nhs = 0;
  for (const auto& p : people) {
    records.push_back(id::prepare(p.demographics));
    without_nhs += p.demographics.nhs_number ? 0 : 1;
    index.add(p.id, id::blocking_keys(records.back()));
  }
  people.clear();
  people.shrink_to_fit();
  index.build();
  const double index_s = seconds_since(t);

  // 3. Match every message: normalise, keys, candidates, score each, rank.
  std::vector<double> latency_ms;
  std::vector<double> candidates_per_query;
  latency_ms.reserve(messages.size());
  candidates_per_query.reserve(messages.size());
  Tally all;
  std::map<std::string_view, Tally> by_kind;
  std::map<std::string, std::pair<std::size_t, std::size_t>> key_blocks;  // type → (n, sum)
  std::map<std::string, std::size_t> key_max;
  for (const auto& m : messages) {
    const auto start = Clock::now();
    const id::NormalisedDemographics query = id::prepare(m.demographics);
    const std::vector<std::string> keys = id::blocking_keys(query);
    const std::vector<std::uint32_t> ids = index.candidates(keys);
    std::vector<id::RankedCandidate> ranked;
    ranked.reserve(ids.size());
    for (const std::uint32_t c : ids) {
      ranked.push_back(id::RankedCandidate{c, id::score(query, records[c], weights, thresholds)});
    }
    const id::MatchDecision decision = id::rank(ranked, thresholds);
    latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    candidates_per_query.push_back(static_cast<double>(ids.size()));

    std::optional<std::uint64_t> top;
    if (!ranked.empty()) {
      top = ranked.front().id;
    }
    const bool blocked = m.truth && std::binary_search(ids.begin(), ids.end(), *m.truth);
    all.add(m, decision, top, blocked);
    by_kind[syn::message_kind_name(m.kind)].add(m, decision, top, blocked);
    for (const auto& k : keys) {
      const std::string type = k.substr(0, k.find(':'));
      const std::size_t n = index.block_size(k);
      auto& [count, sum] = key_blocks[type];
      ++count;
      sum += n;
      key_max[type] = std::max(key_max[type], n);
    }
  }

  // 4. Report.
  std::printf(
      "population: %zu people (%zu without an NHS number), %zu postings; generated in "
      "%.1f s, normalised and indexed in %.1f s\n",
      records.size(), without_nhs, index.postings(), generate_s, index_s);
  std::printf("thresholds: auto-link %.1f, review %.1f\n", thresholds.auto_link, thresholds.review);
  std::printf("latency per demographic match (ms): p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
              percentile(latency_ms, 50), percentile(latency_ms, 90), percentile(latency_ms, 99),
              percentile(latency_ms, 100));
  double mean_candidates = 0;
  for (double c : candidates_per_query) {
    mean_candidates += c;
  }
  mean_candidates /= static_cast<double>(candidates_per_query.size());
  std::printf("candidates per query: mean %.1f  p50 %.0f  p99 %.0f  max %.0f\n", mean_candidates,
              percentile(candidates_per_query, 50), percentile(candidates_per_query, 99),
              percentile(candidates_per_query, 100));
  std::printf("block size by key type (ids per key looked up): ");
  for (const auto& [type, v] : key_blocks) {
    std::printf(" %s mean %.1f max %zu;", type.c_str(),
                static_cast<double>(v.second) / static_cast<double>(v.first), key_max[type]);
  }
  std::printf("\n\n%-27s %6s %8s %9s %9s %9s %9s %7s\n", "messages by error", "n", "blocked",
              "auto-ok", "auto-bad", "review+ok", "rev+bad", "new-ok");
  auto percent = [](std::size_t a, std::size_t b) {
    char buf[16];
    if (b == 0) {
      std::snprintf(buf, sizeof buf, "-");
    } else {
      std::snprintf(buf, sizeof buf, "%.1f%%", 100 * ratio(a, b));
    }
    return std::string(buf);
  };
  auto row = [&](std::string_view name, const Tally& k) {
    std::printf("%-27.*s %6zu %8s %9s %9zu %9s %9zu %7s\n", static_cast<int>(name.size()),
                name.data(), k.messages, percent(k.blocked, k.existing).c_str(),
                percent(k.auto_correct, k.existing).c_str(), k.auto_linked - k.auto_correct,
                percent(k.flagged_correct, k.existing).c_str(), k.flagged - k.flagged_correct,
                percent(k.new_kept_new, k.messages - k.existing).c_str());
  };
  for (const auto& [name, k] : by_kind) {
    row(name, k);
  }
  row("all", all);
  std::printf(
      "\nauto-link threshold: precision %.4f recall %.4f (%zu links, %zu wrong, %zu of "
      "them new people)\n",
      ratio(all.auto_correct, all.auto_linked), ratio(all.auto_correct, all.existing),
      all.auto_linked, all.auto_linked - all.auto_correct, all.new_auto_linked);
  std::printf(
      "review threshold:    precision %.4f recall %.4f (%zu flagged, %zu with the wrong "
      "person first)\n",
      ratio(all.flagged_correct, all.flagged), ratio(all.flagged_correct, all.existing),
      all.flagged, all.flagged - all.flagged_correct);
  std::printf("blocking recall: %.4f (true person among the candidates)\n",
              ratio(all.blocked, all.existing));
  std::printf("peak RSS: %ld MiB\n", peak_rss_mib());
  std::printf(
      "RESULT people=%zu queries=%zu p50_ms=%.3f p99_ms=%.3f mean_candidates=%.1f "
      "auto_precision=%.4f auto_recall=%.4f review_precision=%.4f review_recall=%.4f "
      "peak_rss_mib=%ld\n",
      records.size(), messages.size(), percentile(latency_ms, 50), percentile(latency_ms, 99),
      mean_candidates, ratio(all.auto_correct, all.auto_linked),
      ratio(all.auto_correct, all.existing), ratio(all.flagged_correct, all.flagged),
      ratio(all.flagged_correct, all.existing), peak_rss_mib());
  return 0;
}
