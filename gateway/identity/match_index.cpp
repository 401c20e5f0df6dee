// The in-memory blocking index: sorted (key hash, id) postings and the match() loop over them.
#include "gateway/identity/match_index.hpp"

#include <algorithm>

namespace gw::identity {

std::uint64_t MatchIndex::key_hash(std::string_view key) {
  // FNV-1a, 64-bit (http://www.isthe.com/chongo/tech/comp/fnv/): stable across platforms.
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

void MatchIndex::add(std::uint32_t id, std::span<const std::string> keys) {
  for (const auto& k : keys) {
    postings_.emplace_back(key_hash(k), id);
  }
  built_ = false;
}

void MatchIndex::build() {
  std::sort(postings_.begin(), postings_.end());
  postings_.erase(std::unique(postings_.begin(), postings_.end()), postings_.end());
  postings_.shrink_to_fit();
  built_ = true;
}

namespace {

auto block(const std::vector<std::pair<std::uint64_t, std::uint32_t>>& postings, std::uint64_t h) {
  auto first = std::lower_bound(postings.begin(), postings.end(), std::make_pair(h, 0U));
  auto last = first;
  while (last != postings.end() && last->first == h) {
    ++last;
  }
  return std::make_pair(first, last);
}

}  // namespace

std::vector<std::uint32_t> MatchIndex::candidates(std::span<const std::string> keys) const {
  std::vector<std::uint32_t> ids;
  if (!built_) {
    return ids;
  }
  for (const auto& k : keys) {
    const auto [first, last] = block(postings_, key_hash(k));
    for (auto it = first; it != last; ++it) {
      ids.push_back(it->second);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::size_t MatchIndex::block_size(std::string_view key) const {
  if (!built_) {
    return 0;
  }
  const auto [first, last] = block(postings_, key_hash(key));
  return static_cast<std::size_t>(last - first);
}

std::vector<RankedCandidate> match(const NormalisedDemographics& query, const MatchIndex& index,
                                   std::span<const NormalisedDemographics> records,
                                   const MatchWeights& weights, const MatchThresholds& thresholds,
                                   MatchGrade min_grade) {
  std::vector<RankedCandidate> ranked;
  const std::vector<std::string> keys = blocking_keys(query);
  for (const std::uint32_t id : index.candidates(keys)) {
    if (id >= records.size()) {
      continue;
    }
    ranked.push_back(RankedCandidate{id, score(query, records[id], weights, thresholds)});
  }
  rank(ranked, thresholds);  // sees every candidate, so its rules do too
  // Grades run from kCertain (0) to kNoMatch (3): keep those at least as good as min_grade.
  std::erase_if(ranked, [&](const RankedCandidate& c) {
    return static_cast<int>(c.score.grade) > static_cast<int>(min_grade);
  });
  return ranked;
}

}  // namespace gw::identity
