// Counting codes that had no mapping, so an integrator knows what to add: per (adapter, system,
// code) in memory (with the display first seen), in a bounded metric, and as deltas a store can
// flush (unmapped_store.hpp). Counts hold no patient data: a code and how often it was seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "gateway/mapping/mapping_set.hpp"
#include "gateway/metrics/metrics.hpp"

namespace gw::mapping {

/** UnmappedEntry: one unmapped code and how often it was seen. */
struct UnmappedEntry {
  std::string adapter;
  std::string system;
  std::string code;
  std::string display;
  std::uint64_t count = 0;
};

/** UnmappedLimits: the bounds that keep memory and metric label sets small. */
struct UnmappedLimits {
  /** Distinct codes that get their own metric series; later ones count as code="other". */
  std::size_t labelled_series = 100;
  /** Distinct codes tracked in memory; later ones count under system="other", code="other". */
  std::size_t tracked_codes = 10'000;
};

/** kOther: the system and code of the overflow bucket. */
inline constexpr std::string_view kOther = "other";

/**
 * UnmappedTracker: the in-memory unmapped-code table.
 * Metric: caregw_mapping_unmapped_total{adapter, system, code}: the first `labelled_series`
 * distinct codes get a series each, the rest share {system="other", code="other"} per adapter,
 * so the label set stays bounded whatever senders send.
 * Thread safety: all members are safe to call from any thread (one mutex).
 */
class UnmappedTracker {
public:
  explicit UnmappedTracker(metrics::Registry* metrics = nullptr, UnmappedLimits limits = {});

  /** record: one occurrence of `native` (its system, code, display) that had no mapping. */
  void record(Adapter adapter, const Coding& native);

  /** top: the `n` most frequent since start, most frequent first (ties: adapter, system, code). */
  [[nodiscard]] std::vector<UnmappedEntry> top(std::size_t n) const;

  /** take_pending: counts recorded since the last take, and resets them (for a flush). */
  [[nodiscard]] std::vector<UnmappedEntry> take_pending();

  /** give_back: returns deltas a failed flush could not write, so the next flush has them. */
  void give_back(const std::vector<UnmappedEntry>& pending);

  /** total: occurrences recorded since start. */
  [[nodiscard]] std::uint64_t total() const;

private:
  using Key = std::tuple<std::string, std::string, std::string>;  // adapter, system, code
  struct Counts {
    std::string display;
    std::uint64_t total = 0;
    std::uint64_t pending = 0;
  };
  /** series_for: the metric series that counts `key` (caller holds mu_). */
  metrics::Counter& series_for(const Key& key);

  metrics::CounterFamily* family_ = nullptr;
  UnmappedLimits limits_;
  mutable std::mutex mu_;
  std::map<Key, Counts> counts_;
  std::size_t labelled_ = 0;
  std::map<Key, metrics::Counter*> series_;
  std::uint64_t total_ = 0;
};

/**
 * unmapped_json: the body for `GET /mappings/unmapped` (the HTTP wiring is the integrator's):
 * {"unmapped": [{"adapter", "system", "code", "display", "count"}, ...]}, in the given order
 * (pass UnmappedTracker::top(n), or UnmappedStore::top(n) for counts since the store began).
 * Integrator-only (IG / admin role): codes carry no patient data, but displays are clinical text.
 */
[[nodiscard]] std::string unmapped_json(const std::vector<UnmappedEntry>& entries);

/**
 * Mapper: one message's view of the mappings: the set that was current when the message began
 * (held for the whole message, so a reload never changes it half-way) and the tracker that
 * counts what it could not map. Without a set (none loaded yet) nothing maps: every code comes
 * back as it came and is counted. Cheap to copy. Thread safety: as MappingSet and
 * UnmappedTracker.
 */
class Mapper {
public:
  Mapper(std::shared_ptr<const MappingSet> set, UnmappedTracker* tracker)
      : set_(std::move(set)), tracker_(tracker) {}

  /** value: MappingSet::map_value for `adapter` and `sender`, counting a miss. */
  [[nodiscard]] Mapped value(Adapter adapter, std::string_view sender, std::string_view map,
                             std::string_view code, std::string_view display = {},
                             std::string_view native_system = {}) const;
  /** code: MappingSet::map_code, counting a miss against `adapter`. */
  [[nodiscard]] Mapped code(Adapter adapter, const Coding& native,
                            std::string_view target_system) const;
  /** identifier_rules: MappingSet::identifier_rules. */
  [[nodiscard]] std::vector<IdentifierRule> identifier_rules(Adapter adapter,
                                                             std::string_view sender) const {
    return set_ ? set_->identifier_rules(adapter, sender) : std::vector<IdentifierRule>{};
  }
  /** set: the snapshot (nullptr when no set has been loaded yet). */
  [[nodiscard]] const MappingSet* set() const { return set_.get(); }

private:
  std::shared_ptr<const MappingSet> set_;
  UnmappedTracker* tracker_;
};

}  // namespace gw::mapping
