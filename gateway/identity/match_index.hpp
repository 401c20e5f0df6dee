// An in-memory blocking index: blocking key → person ids, for tests, the population generator
// and the benchmark. The MPI's real index lives in the store (SQLite); this one shows how the
// keys are used and measures their selectivity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/identity/matching.hpp"

namespace gw::identity {

/**
 * MatchIndex: postings (64-bit key hash, person id) sorted once, so a lookup is a binary search
 * and the whole index costs 16 bytes a posting. A hash collision only adds a candidate, which
 * scoring then rejects. Build with add() and build(); then lookups are const and may run on
 * many threads at once. Not for incremental updates.
 */
class MatchIndex {
public:
  /** add: files person `id` under each key. Call before build(). */
  void add(std::uint32_t id, std::span<const std::string> keys);
  /** build: sorts the postings; call once after the last add(). */
  void build();

  /**
   * candidates: the ids filed under at least one of the keys, ascending and unique.
   * Precondition: build() was called.
   */
  [[nodiscard]] std::vector<std::uint32_t> candidates(std::span<const std::string> keys) const;

  /** block_size: how many ids are filed under one key (its selectivity). */
  [[nodiscard]] std::size_t block_size(std::string_view key) const;

  /** postings: the number of (key, id) pairs filed. */
  [[nodiscard]] std::size_t postings() const { return postings_.size(); }

  /** key_hash: the 64-bit hash (FNV-1a) under which a key is filed. */
  [[nodiscard]] static std::uint64_t key_hash(std::string_view key);

private:
  std::vector<std::pair<std::uint64_t, std::uint32_t>> postings_;
  bool built_ = false;
};

/**
 * match: the whole demographic match over an in-memory population: blocking keys of the query,
 * candidates from the index, score() of each, rank().
 * @param records the normalised population, indexed by the ids given to index.add().
 * @param min_grade candidates graded below this are left out (kPossible: what a search shows).
 * @return ranked candidates, best first (rank() decides ambiguity).
 */
[[nodiscard]] std::vector<RankedCandidate> match(const NormalisedDemographics& query,
                                                 const MatchIndex& index,
                                                 std::span<const NormalisedDemographics> records,
                                                 const MatchWeights& weights,
                                                 const MatchThresholds& thresholds,
                                                 MatchGrade min_grade = MatchGrade::kPossible);

}  // namespace gw::identity
