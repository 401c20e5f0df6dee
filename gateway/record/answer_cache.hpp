// The shared record's answer cache: the assembled, policy-filtered $everything (and search)
// answer of one person for one kind of requester, with the audit details it needs, kept so
// that the same read by the same kind of requester is not assembled again while nothing it
// depends on has changed. Bounded in bytes, least recently used evicted first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/audit/record.hpp"
#include "gateway/metrics/metrics.hpp"
#include "gateway/policy/engine.hpp"
#include "gateway/policy/explain.hpp"
#include "gateway/store/mpi_types.hpp"

namespace gw::record {

/**
 * CachedAnswer: one answer without its per-request parts. The Bundle's id and timestamp are
 * spliced in per request (splice_bundle); everything else (total, links, entries, notices,
 * Provenance) is the same for every request with the same key.
 */
struct CachedAnswer {
  /** tail: the Bundle's JSON after `"timestamp":"..."` (total, link, entry, meta, closing). */
  std::string tail;
  /** audit: what the audit record of this answer says was disclosed and withheld, under
   * which agreement, rule and decision (only those fields are set). */
  audit::AuditRecord audit;
  /** resources_json: the facts of every resource decided, as the dry run records them,
   * prepared once with their digest (policy::prepare_recorded_resources). */
  std::string resources_json;
};

/**
 * CachedPerson: the MPI's view of the person holding an NHS number, and the record generation
 * it was read at (it is used only while the person's generation is still that).
 */
struct CachedPerson {
  store::PersonView view;
  std::int64_t generation = 0;
};

/**
 * AnswerKey: everything an answer depends on besides the per-request parts. Two requests
 * with equal keys get byte-identical answers (but for Bundle.id and Bundle.timestamp).
 */
struct AnswerKey {
  std::int64_t person = 0;       // the surviving person (MPI id)
  std::int64_t generation = 0;   // store::RecordReader::generation of the person
  const void* config = nullptr;  // the config snapshot in force (organisation names, kinds)
  const void* policy = nullptr;  // the policy set in force (agreements, sensitive code lists)
  std::string_view system_ods;   // the calling system's organisation (certificate)
  std::string_view user_ods;     // the user's organisation (token)
  std::string_view role_code;
  policy::Purpose purpose = policy::Purpose::kDirectCare;
  const policy::AccessGrant* grant = nullptr;  // the request's grant (authorise())
  bool everything = true;                      // $everything (else a search by patient)
  std::string_view base_path;                  // scheme, host and path of the request
  /** params: the request's query parameters, in order (_type, _since, _count, _cursor, ...). */
  const std::vector<std::pair<std::string, std::string>>* params = nullptr;
};

/** answer_key: the cache key of `k` (unambiguous: every part length-prefixed). */
[[nodiscard]] std::string answer_key(const AnswerKey& k);

/** context_key: the cache key of a person's policy context (person, generation, config). */
[[nodiscard]] std::string context_key(std::int64_t person, std::int64_t generation,
                                      const void* config);

/**
 * split_bundle: the tail of an assembled Bundle whose id and timestamp are `id` and
 * `timestamp`, or empty if the JSON does not start as record::assemble writes it.
 */
[[nodiscard]] std::string split_bundle(std::string_view json, std::string_view id,
                                       std::string_view timestamp);

/**
 * bundle_head: the JSON a kept answer's tail follows: the Bundle's opening with this request's
 * id and timestamp. bundle_head(id, ts) + tail is splice_bundle(tail, id, ts).
 */
[[nodiscard]] std::string bundle_head(std::string_view id, std::string_view timestamp);

/** splice_bundle: a whole Bundle from a cached tail with this request's id and timestamp. */
[[nodiscard]] std::string splice_bundle(std::string_view tail, std::string_view id,
                                        std::string_view timestamp);

/** AnswerCacheStats: what the cache holds and did (also on /metrics). */
struct AnswerCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;
  std::size_t bytes = 0;
  std::size_t entries = 0;
};

/** AnswerCacheMetrics: where the cache counts on /metrics (each may be null). */
struct AnswerCacheMetrics {
  metrics::Counter* hits = nullptr;
  metrics::Counter* misses = nullptr;
  metrics::Counter* evictions = nullptr;
  metrics::Gauge* bytes = nullptr;
  metrics::Gauge* entries = nullptr;
};

/**
 * AnswerCache: a bounded LRU of answers and patient contexts by key. Values are immutable and
 * shared; each entry may pin what its key names by address (the config and policy snapshots),
 * so an address is never reused while a key naming it is held.
 *
 * Thread safety: every call is thread-safe (one mutex, held only for map and list updates).
 */
class AnswerCache {
public:
  /**
   * AnswerCache: holds at most `max_bytes` (estimated) of entries; 0 holds nothing (every
   * lookup misses and nothing is stored).
   */
  explicit AnswerCache(std::size_t max_bytes, AnswerCacheMetrics m = {});

  /**
   * attach: counts from now on in `m` (the registry exists only once the server does). Call
   * once at start, before any request; not thread-safe.
   */
  void attach(AnswerCacheMetrics m);

  /** make_metrics: the cache's families on `registry` (caregw_record_cache_*). */
  [[nodiscard]] static AnswerCacheMetrics make_metrics(metrics::Registry& registry);

  /** enabled: whether anything can be stored (max_bytes > 0). */
  [[nodiscard]] bool enabled() const { return max_bytes_ > 0; }

  /** find_answer: the answer under `key`, or null (counted as a hit or a miss). */
  [[nodiscard]] std::shared_ptr<const CachedAnswer> find_answer(const std::string& key);

  /** put_answer: stores `a` under `key` (replacing), evicting least recently used entries to
   * stay within the bound; an answer larger than the whole bound is not stored. */
  void put_answer(std::string key, std::shared_ptr<const CachedAnswer> a,
                  std::shared_ptr<const void> pin);

  /** find_context / put_context: a person's policy context (not counted as hits or misses). */
  [[nodiscard]] std::shared_ptr<const policy::PatientContext> find_context(const std::string& key);
  void put_context(std::string key, std::shared_ptr<const policy::PatientContext> c,
                   std::shared_ptr<const void> pin);

  /** find_person / put_person: the person holding an NHS number (not counted as hits or
   * misses; the caller checks the generation). */
  [[nodiscard]] std::shared_ptr<const CachedPerson> find_person(const std::string& key);
  void put_person(std::string key, std::shared_ptr<const CachedPerson> p);

  /** stats: counts so far and what is held now. */
  [[nodiscard]] AnswerCacheStats stats() const;

private:
  struct Item {
    std::string key;
    std::shared_ptr<const void> value;
    std::shared_ptr<const void> pin;
    std::size_t bytes = 0;
  };
  using List = std::list<Item>;

  std::shared_ptr<const void> find(const std::string& key);
  void put(std::string key, std::shared_ptr<const void> value, std::shared_ptr<const void> pin,
           std::size_t bytes);
  void publish() const;  // mu_ held

  const std::size_t max_bytes_;
  AnswerCacheMetrics metrics_;
  mutable std::mutex mu_;
  List lru_;                                                    // most recently used first
  std::unordered_map<std::string_view, List::iterator> index_;  // keys point into lru_ items
  std::size_t bytes_ = 0;
  AnswerCacheStats stats_;
};

/** answer_bytes: the estimated memory of an answer and its key (what the bound counts). */
[[nodiscard]] std::size_t answer_bytes(const std::string& key, const CachedAnswer& a);

}  // namespace gw::record
