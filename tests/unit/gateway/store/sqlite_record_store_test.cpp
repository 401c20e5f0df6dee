// The record store: upsert by (source, type, id) with versions, entered-in-error and deletes kept
// as history but not shown, reads by person and NHS number (following merges), and cursor paging
// that neither skips nor repeats a version while other writers change the records.
#include "gateway/store/sqlite/sqlite_record_store.hpp"

#include <atomic>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/store_database.hpp"
#include "tests/unit/gateway/store/mpi_fixture.hpp"

namespace gw::store::test {
namespace {

using sqlite::SqliteRecordStore;

std::string condition(const std::string& id, const std::string& text,
                      const std::string& verification = "confirmed") {
  // Built by append: GCC 12 misreports `"literal" + std::string` chains (-Wrestrict).
  std::string out = R"({"resourceType":"Condition","id":")";
  out.append(id).append(R"(","verificationStatus":{"coding":[{"system":")");
  out.append("http://terminology.hl7.org/CodeSystem/condition-ver-status");
  out.append(R"(","code":")").append(verification).append(R"("}]},"code":{"text":")");
  out.append(text).append(R"("}})");
  return out;
}

std::string allergy(const std::string& id) {
  std::string out = R"({"resourceType":"AllergyIntolerance","id":")";
  return out.append(id).append(R"("})");
}

/** numbered: "c12" and the like (by append: see condition()). */
std::string numbered(std::string prefix, int n) { return prefix.append(std::to_string(n)); }

class RecordStoreTest : public MpiFixture {
protected:
  void SetUp() override {
    MpiFixture::SetUp();
    store_ = ok(SqliteRecordStore::open_in_data_dir(data_dir(), clock_));
    alice_ = person("9990000018", "guid-alice");
    bob_ = person("9990000026", "guid-bob");
  }

  ResourceKey key(std::string_view source, std::string type, std::string id) {
    return ResourceKey{ods(source), std::move(type), std::move(id)};
  }

  UpsertResult put(PersonId p, const ResourceKey& k, const std::string& json,
                   const std::string& msg = "msg-1") {
    auto tx = ok(store_->begin());
    auto r = ok(tx->upsert(RecordWrite{k, p, msg, json}));
    ok(tx->commit());
    return r;
  }

  std::vector<std::string> ids(const RecordPage& page) {
    std::vector<std::string> out;
    for (const auto& r : page.records) {
      out.push_back(r.key.resource_id);
    }
    return out;
  }

  std::unique_ptr<SqliteRecordStore> store_;
  PersonId alice_, bob_;
};

TEST_F(RecordStoreTest, UpsertCreatesThenVersionsAndIgnoresAnIdenticalRepeat) {
  const auto k = key(kGp, "Condition", "c1");
  auto first = put(alice_, k, condition("c1", "Asthma"));
  EXPECT_EQ(first.outcome, UpsertOutcome::kCreated);
  EXPECT_EQ(first.version, 1);
  clock_.advance(std::chrono::minutes(5));
  auto again = put(alice_, k, condition("c1", "Asthma"), "msg-2");
  EXPECT_EQ(again.outcome, UpsertOutcome::kUnchanged);
  EXPECT_EQ(again.version, 1);
  auto second = put(alice_, k, condition("c1", "Asthma, moderate"), "msg-3");
  EXPECT_EQ(second.outcome, UpsertOutcome::kUpdated);
  EXPECT_EQ(second.version, 2);

  auto cur = ok(store_->current(k));
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->version, 2);
  EXPECT_EQ(cur->source_message_id, "msg-3");
  EXPECT_EQ(cur->last_updated, clock_.now());
  EXPECT_NE(cur->resource_json.find("moderate"), std::string::npos);
  auto hist = ok(store_->history(k));
  ASSERT_EQ(hist.size(), 2U);
  EXPECT_EQ(hist[0].version, 1);
  EXPECT_NE(hist[0].resource_json.find("Asthma"), std::string::npos);

  auto page = ok(store_->read(alice_, RecordQuery{}));
  ASSERT_EQ(page.records.size(), 1U);
  EXPECT_EQ(page.records[0].version, 2);
}

TEST_F(RecordStoreTest, TheSameIdFromTwoSourcesIsTwoResources) {
  put(alice_, key(kGp, "Condition", "c1"), condition("c1", "Asthma"));
  put(alice_, key(kAcute, "Condition", "c1"), condition("c1", "Fractured wrist"));
  auto page = ok(store_->read(alice_, RecordQuery{}));
  ASSERT_EQ(page.records.size(), 2U);
  EXPECT_EQ(page.records[0].key.source.str(), kGp);
  EXPECT_EQ(page.records[1].key.source.str(), kAcute);
}

TEST_F(RecordStoreTest, EnteredInErrorIsKeptAsHistoryButNotShown) {
  const auto k = key(kGp, "Condition", "c1");
  put(alice_, k, condition("c1", "Diabetes"));
  auto r = put(alice_, k, condition("c1", "Diabetes", "entered-in-error"), "msg-2");
  EXPECT_EQ(r.status, RecordStatus::kEnteredInError);
  EXPECT_EQ(r.version, 2);
  EXPECT_TRUE(ok(store_->read(alice_, RecordQuery{})).records.empty());
  auto cur = ok(store_->current(k));
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->status, RecordStatus::kEnteredInError);
  EXPECT_EQ(ok(store_->history(k)).size(), 2U);
  // A later correction from the source brings it back.
  put(alice_, k, condition("c1", "Type 2 diabetes"), "msg-3");
  EXPECT_EQ(ok(store_->read(alice_, RecordQuery{})).records.size(), 1U);
}

TEST_F(RecordStoreTest, AStatusOfEnteredInErrorCountsToo) {
  const auto k = key(kAcute, "MedicationStatement", "m1");
  auto r = put(alice_, k,
               R"({"resourceType":"MedicationStatement","id":"m1","status":"entered-in-error"})");
  EXPECT_EQ(r.status, RecordStatus::kEnteredInError);
  EXPECT_TRUE(ok(store_->read(alice_, RecordQuery{})).records.empty());
}

TEST_F(RecordStoreTest, ADeleteFromTheSourceLeavesATombstone) {
  const auto k = key(kGp, "AllergyIntolerance", "a1");
  put(alice_, k, allergy("a1"));
  auto tx = ok(store_->begin());
  auto r = ok(tx->remove(k, "msg-del"));
  EXPECT_EQ(r.status, RecordStatus::kDeleted);
  EXPECT_EQ(r.version, 2);
  EXPECT_EQ(ok(tx->remove(k, "msg-del-again")).outcome, UpsertOutcome::kUnchanged);
  EXPECT_EQ(outcome(tx->remove(key(kGp, "AllergyIntolerance", "never"), "m")), "not_found");
  ok(tx->commit());
  EXPECT_TRUE(ok(store_->read(alice_, RecordQuery{})).records.empty());
  auto hist = ok(store_->history(k));
  ASSERT_EQ(hist.size(), 2U);
  EXPECT_EQ(hist[1].status, RecordStatus::kDeleted);
  EXPECT_TRUE(hist[1].resource_json.empty());
}

TEST_F(RecordStoreTest, RefusesBadInputAndChangesNothing) {
  auto tx = ok(store_->begin());
  const auto k = key(kGp, "Condition", "c1");
  EXPECT_EQ(outcome(tx->upsert(RecordWrite{k, alice_, "m", "{not json"})), "bad_request");
  EXPECT_EQ(outcome(tx->upsert(RecordWrite{k, alice_, "m", allergy("c1")})), "bad_request");
  EXPECT_EQ(outcome(tx->upsert(
                RecordWrite{key(kGp, "Condition", "bad/id"), alice_, "m", condition("x", "y")})),
            "bad_request");
  EXPECT_EQ(outcome(tx->upsert(RecordWrite{k, alice_, "", condition("c1", "y")})), "bad_request");
  EXPECT_EQ(outcome(tx->upsert(RecordWrite{k, PersonId{999999}, "m", condition("c1", "y")})),
            "conflict");  // no such person (foreign key)
  ok(tx->commit());
  EXPECT_FALSE(ok(store_->current(k)));
}

TEST_F(RecordStoreTest, UncommittedWritesAreInvisibleAndRolledBack) {
  const auto k = key(kGp, "Condition", "c1");
  {
    auto tx = ok(store_->begin());
    ok(tx->upsert(RecordWrite{k, alice_, "m", condition("c1", "Asthma")}));
    EXPECT_TRUE(ok(tx->current(k)));  // a transaction sees its own writes
    EXPECT_FALSE(ok(store_->current(k)));
  }
  EXPECT_FALSE(ok(store_->current(k)));
}

TEST_F(RecordStoreTest, ReadsByTypeSinceAndNhsNumber) {
  put(alice_, key(kGp, "Condition", "c1"), condition("c1", "Asthma"));
  clock_.advance(std::chrono::hours(1));
  const auto later = clock_.now();
  put(alice_, key(kGp, "AllergyIntolerance", "a1"), allergy("a1"));
  put(alice_, key(kGp, "Condition", "c2"), condition("c2", "Eczema"));
  put(bob_, key(kGp, "Condition", "c3"), condition("c3", "Gout"));

  RecordQuery conditions{.resource_type = "Condition"};
  EXPECT_EQ(ids(ok(store_->read(alice_, conditions))), (std::vector<std::string>{"c1", "c2"}));
  RecordQuery since{.since = later};
  EXPECT_EQ(ids(ok(store_->read(alice_, since))), (std::vector<std::string>{"a1", "c2"}));
  EXPECT_EQ(ids(ok(store_->read_by_nhs_number(nhs("9990000026"), RecordQuery{}))),
            (std::vector<std::string>{"c3"}));
  EXPECT_TRUE(ok(store_->read_by_nhs_number(nhs("9990000034"), RecordQuery{})).records.empty());
}

TEST_F(RecordStoreTest, ReadsFollowMerges) {
  put(alice_, key(kGp, "Condition", "c1"), condition("c1", "Asthma"));
  put(bob_, key(kAcute, "Condition", "c2"), condition("c2", "Fracture"));
  merge(alice_, bob_);
  EXPECT_EQ(ids(ok(store_->read(alice_, RecordQuery{}))), (std::vector<std::string>{"c1", "c2"}));
  // Bob's own NHS number (and id) now answer with the survivor's whole record.
  EXPECT_EQ(ids(ok(store_->read_by_nhs_number(nhs("9990000026"), RecordQuery{}))),
            (std::vector<std::string>{"c1", "c2"}));
}

TEST_F(RecordStoreTest, TheGenerationChangesWithEveryWriteThatChangesWhatAReadShows) {
  std::set<std::int64_t> seen{ok(store_->generation(alice_))};
  const auto changed = [&](const char* what) {
    const auto g = ok(store_->generation(alice_));
    EXPECT_TRUE(seen.insert(g).second) << what << ": generation " << g << " seen before";
  };
  put(alice_, key(kGp, "Condition", "c1"), condition("c1", "Asthma"));
  changed("a new resource");
  put(alice_, key(kGp, "Condition", "c1"), condition("c1", "Asthma"), "msg-repeat");
  EXPECT_EQ(ok(store_->generation(alice_)), *seen.rbegin()) << "an identical repeat stores nothing";
  put(alice_, key(kGp, "Condition", "c1"), condition("c1", "Asthma", "entered-in-error"));
  changed("entered in error");
  put(alice_, key(kGp, "Condition", "c2"), condition("c2", "Eczema"));
  changed("another resource");
  {
    auto tx = ok(store_->begin());
    ok(tx->remove(key(kGp, "Condition", "c2"), "msg-del"));
    ok(tx->commit());
  }
  changed("a deletion");
  // A write for another person leaves Alice's generation as it was.
  const auto before = ok(store_->generation(alice_));
  put(bob_, key(kAcute, "Condition", "b1"), condition("b1", "Fracture"));
  EXPECT_EQ(ok(store_->generation(alice_)), before);
  // Bob merged into Alice: her family changes; then a write to Bob's own (merged) record shows.
  merge(alice_, bob_);
  changed("a merge");
  {
    auto tx = ok(store_->begin());
    ok(tx->upsert(
        RecordWrite{key(kAcute, "Condition", "b2"), bob_, "msg-b2", condition("b2", "Sprain")}));
    ok(tx->commit());
  }
  changed("a write to the merged person's record");
  EXPECT_EQ(ok(store_->generation(bob_)), ok(store_->generation(alice_)));  // one family
  {
    auto tx = begin();
    ok(tx->unmerge(
        bob_, UnmergeRequest{
                  .reason = "not the same person", .actor = "ig-lead", .message_id = "msg-u1"}));
    ok(tx->commit());
  }
  changed("an unmerge");
  // Another connection to the same file (a CLI verb, another process) bumps it too.
  auto other = ok(SqliteRecordStore::open_in_data_dir(data_dir(), clock_));
  {
    auto tx = ok(other->begin());
    ok(tx->upsert(
        RecordWrite{key(kGp, "Condition", "c3"), alice_, "msg-c3", condition("c3", "Migraine")}));
    ok(tx->commit());
  }
  changed("a write through another connection");
}

TEST_F(RecordStoreTest, CursorRejectsGarbageAndLimitsAreChecked) {
  EXPECT_EQ(outcome(store_->read(alice_, RecordQuery{.cursor = "nonsense"})), "bad_request");
  EXPECT_EQ(outcome(store_->read(alice_, RecordQuery{.cursor = "r1.-4"})), "bad_request");
  EXPECT_EQ(outcome(store_->read(alice_, RecordQuery{.limit = 0})), "bad_request");
  EXPECT_EQ(outcome(store_->read(alice_, RecordQuery{.limit = 1001})), "bad_request");
}

TEST_F(RecordStoreTest, PagingUnderConcurrentUpdatesNeitherSkipsNorRepeatsAVersion) {
  constexpr int kRecords = 300;
  for (int i = 0; i < kRecords; i += 50) {
    auto tx = ok(store_->begin());
    for (int j = i; j < i + 50; ++j) {
      const auto id = numbered("c", j);
      ok(tx->upsert(RecordWrite{key(kGp, "Condition", id), alice_, "m", condition(id, "v1")}));
    }
    ok(tx->commit());
  }
  // A writer updates records (old and new alike) while the reader pages through.
  std::atomic<bool> stop{false};
  std::atomic<int> updates{0};
  std::thread writer([&] {
    for (int round = 2; !stop.load() && round < 400; ++round) {
      auto tx = ok(store_->begin());
      const int j = (round * 37) % kRecords;
      const auto id = numbered("c", j);
      ok(tx->upsert(RecordWrite{key(kGp, "Condition", id), alice_, "m",
                                condition(id, numbered("v", round))}));
      ok(tx->commit());
      updates.fetch_add(1);
    }
  });
  std::set<std::pair<std::string, std::int64_t>> seen;
  std::set<std::string> ids_seen;
  RecordQuery q{.limit = 7};
  int pages = 0;
  RecordPage last;
  for (;;) {
    auto page = ok(store_->read(alice_, q));
    for (const auto& r : page.records) {
      EXPECT_TRUE(seen.insert({r.key.resource_id, r.version}).second)
          << r.key.resource_id << " v" << r.version << " came twice";
      ids_seen.insert(r.key.resource_id);
    }
    ++pages;
    if (!page.next_cursor) {
      last = std::move(page);
      break;
    }
    q.cursor = *page.next_cursor;
  }
  stop = true;
  writer.join();
  q.cursor = last.resume_cursor;
  EXPECT_EQ(ids_seen.size(), static_cast<std::size_t>(kRecords));  // nothing skipped
  EXPECT_GT(pages, kRecords / 7);
  // Paging on from the last cursor gives exactly the versions written after the walk.
  for (;;) {
    auto page = ok(store_->read(alice_, q));
    for (const auto& r : page.records) {
      EXPECT_TRUE(seen.insert({r.key.resource_id, r.version}).second);
    }
    if (!page.next_cursor) {
      break;
    }
    q.cursor = *page.next_cursor;
  }
  // Every record's current version was seen.
  for (int j = 0; j < kRecords; ++j) {
    const auto id = numbered("c", j);
    auto cur = ok(store_->current(key(kGp, "Condition", id)));
    ASSERT_TRUE(cur);
    EXPECT_EQ(seen.count({id, cur->version}), 1U) << id << " v" << cur->version;
  }
}

TEST_F(RecordStoreTest, HotReadsUseIndexes) {
  auto db = ok(sqlite::open_store_database(data_dir()));
  for (auto statement :
       {sqlite::record_sql::kCurrent, sqlite::record_sql::kHistory, sqlite::record_sql::kPageByType,
        sqlite::record_sql::kPageAllTypes, sqlite::record_sql::kPersonByNhsNumber,
        sqlite::record_sql::kFamilyGeneration}) {
    const auto plan = ok(sqlite::explain_query_plan(db, statement));
    std::cout << "[ plan ] " << statement << "\n";
    for (const auto& line : plan) {
      std::cout << "           " << line << "\n";
    }
    for (const auto& line : plan) {
      // "SCAN fam" is the merge family CTE's own rows; any other table access must be a SEARCH
      // (or a scan of an index, which is ordered and bounded by the query).
      const bool scan = line.rfind("SCAN ", 0) == 0 && line != "SCAN fam" &&
                        line != "SCAN CONSTANT ROW" && line.find(" USING ") == std::string::npos;
      EXPECT_FALSE(scan) << statement << "\n  " << line;
    }
  }
}

}  // namespace
}  // namespace gw::store::test
