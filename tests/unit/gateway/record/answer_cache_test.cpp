// The answer cache: keys that differ whenever an input differs, the Bundle splice that gives
// each request its own id and timestamp, the LRU bound (memory stays under record.cache_mb) and
// a cache of 0 bytes that holds nothing.
#include "gateway/record/answer_cache.hpp"

#include <set>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"

namespace gw::record {
namespace {

std::string numbered(int i) { return std::string("k").append(std::to_string(i)); }

std::shared_ptr<const CachedAnswer> answer(std::size_t tail_bytes, std::string id = "c1") {
  auto a = std::make_shared<CachedAnswer>();
  a->tail.assign(tail_bytes + 2, 'x');  // ",xxx...}"
  a->tail.front() = ',';
  a->tail.back() = '}';
  a->audit.disclosed.push_back({"Condition", std::move(id), std::string(64, 'a')});
  a->audit.decision = audit::Decision::kPermit;
  return a;
}

TEST(AnswerKeyTest, EveryInputOfTheAnswerChangesTheKey) {
  const std::vector<std::pair<std::string, std::string>> params{{"_count", "10"}};
  policy::AccessGrant grant;
  grant.effect = policy::Effect::kPermit;
  grant.rule = policy::Rule::kPermitted;
  grant.by_source.resize(3);
  AnswerKey base;
  base.person = 7;
  base.generation = 41;
  base.system_ods = "Z90001";
  base.user_ods = "Z90001";
  base.role_code = "R8000";
  base.grant = &grant;
  base.base_path = "https://localhost/fhir/Patient/9991158383/$everything";
  base.params = &params;
  std::set<std::string> keys{answer_key(base)};
  const auto differs = [&](AnswerKey k, const char* what) {
    EXPECT_TRUE(keys.insert(answer_key(k)).second) << what;
  };
  const int config = 0;
  const int policy_set = 0;
  AnswerKey k = base;
  k.person = 8;
  differs(k, "person");
  k = base;
  k.generation = 42;
  differs(k, "generation");
  k = base;
  k.config = &config;
  differs(k, "config");
  k = base;
  k.policy = &policy_set;
  differs(k, "policy");
  k = base;
  k.system_ods = "Z9A01";
  differs(k, "system organisation");
  k = base;
  k.user_ods = "Z9A01";
  differs(k, "user organisation");
  k = base;
  k.role_code = "R8001";
  differs(k, "role");
  k = base;
  k.purpose = policy::Purpose::kSafeguarding;
  differs(k, "purpose");
  k = base;
  k.everything = false;
  differs(k, "operation");
  k = base;
  k.base_path = "https://other/fhir/Patient/9991158383/$everything";
  differs(k, "base");
  const std::vector<std::pair<std::string, std::string>> other{{"_count", "11"}};
  k = base;
  k.params = &other;
  differs(k, "parameters");
  policy::Agreement agreement;
  policy::AccessGrant g2 = grant;
  g2.by_source[1].agreement = &agreement;
  k = base;
  k.grant = &g2;
  differs(k, "an agreement covering one more source");
  policy::AccessGrant g3 = grant;
  g3.relationship = policy::Relationship::kRegisteredPractice;
  k.grant = &g3;
  differs(k, "relationship");
  // Length-prefixed: moving text between neighbouring parts gives another key.
  AnswerKey a = base;
  a.system_ods = "Z9";
  a.user_ods = "0001Z90001";
  differs(a, "shifted text");
}

TEST(SpliceTest, EachRequestGetsItsOwnIdAndTimestamp) {
  const std::string json = R"({"resourceType":"Bundle","id":"req-1","type":"searchset",)"
                           R"("timestamp":"2026-11-27T06:00:00Z","link":[],"entry":[]})";
  const std::string tail = split_bundle(json, "req-1", "2026-11-27T06:00:00Z");
  ASSERT_FALSE(tail.empty());
  EXPECT_EQ(splice_bundle(tail, "req-1", "2026-11-27T06:00:00Z"), json);
  const std::string other = splice_bundle(tail, "req-\"2", "2026-11-27T06:00:01Z");
  auto doc = fhir::parse_json(other);
  ASSERT_TRUE(doc) << other;
  EXPECT_STREQ((*doc)["id"].GetString(), "req-\"2");
  EXPECT_STREQ((*doc)["timestamp"].GetString(), "2026-11-27T06:00:01Z");
  // Not what assemble writes: not split (the caller then does not cache).
  EXPECT_TRUE(split_bundle(json, "req-2", "2026-11-27T06:00:00Z").empty());
}

TEST(AnswerCacheTest, HitsMissesAndReplacement) {
  AnswerCache cache(1024 * 1024);
  EXPECT_EQ(cache.find_answer("k1"), nullptr);
  cache.put_answer("k1", answer(100), nullptr);
  auto hit = cache.find_answer("k1");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->audit.disclosed.front().resource_id, "c1");
  cache.put_answer("k1", answer(100, "c2"), nullptr);
  EXPECT_EQ(cache.find_answer("k1")->audit.disclosed.front().resource_id, "c2");
  const auto s = cache.stats();
  EXPECT_EQ(s.hits, 2U);
  EXPECT_EQ(s.misses, 1U);
  EXPECT_EQ(s.entries, 1U);
}

TEST(AnswerCacheTest, EvictionKeepsMemoryUnderTheBoundLeastRecentlyUsedFirst) {
  constexpr std::size_t kBound = 64 * 1024;
  AnswerCache cache(kBound);
  for (int i = 0; i < 100; ++i) {
    cache.put_answer(numbered(i), answer(4000), nullptr);
    if (i >= 1) {
      ASSERT_NE(cache.find_answer("k0"), nullptr) << "the most recently used stays";
    }
    EXPECT_LE(cache.stats().bytes, kBound);
  }
  const auto s = cache.stats();
  EXPECT_GT(s.evictions, 0U);
  EXPECT_LT(s.entries, 100U);
  EXPECT_EQ(cache.find_answer("k1"), nullptr);  // least recently used: gone
  EXPECT_NE(cache.find_answer("k99"), nullptr);
  // An answer larger than the whole bound is never stored.
  cache.put_answer("huge", answer(kBound), nullptr);
  EXPECT_EQ(cache.find_answer("huge"), nullptr);
  EXPECT_LE(cache.stats().bytes, kBound);
}

TEST(AnswerCacheTest, ZeroBytesHoldsNothing) {
  AnswerCache cache(0);
  EXPECT_FALSE(cache.enabled());
  cache.put_answer("k1", answer(10), nullptr);
  cache.put_context("c1", std::make_shared<const policy::PatientContext>(), nullptr);
  EXPECT_EQ(cache.find_answer("k1"), nullptr);
  EXPECT_EQ(cache.find_context("c1"), nullptr);
  EXPECT_EQ(cache.stats().entries, 0U);
  EXPECT_EQ(cache.stats().bytes, 0U);
}

TEST(AnswerCacheTest, MetricsFollowTheCache) {
  metrics::Registry registry;
  AnswerCache cache(1024 * 1024);
  cache.attach(AnswerCache::make_metrics(registry));
  (void)cache.find_answer("k1");
  cache.put_answer("k1", answer(10), nullptr);
  (void)cache.find_answer("k1");
  const std::string text = registry.render();
  EXPECT_NE(text.find("caregw_record_cache_hits_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("caregw_record_cache_misses_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("caregw_record_cache_entries 1"), std::string::npos) << text;
  EXPECT_NE(text.find("caregw_record_cache_bytes "), std::string::npos) << text;
}

}  // namespace
}  // namespace gw::record
