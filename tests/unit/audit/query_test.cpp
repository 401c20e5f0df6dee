#include "gateway/audit/query.hpp"

#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "gateway/audit/reports.hpp"
#include "gateway/audit/sqlite/audit_store.hpp"
#include "gateway/store/sqlite/database.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;
using test::read_record;
using test::test_nhs;

class AuditQueryTest : public test::LogFixture {
protected:
  void SetUp() override {
    log_ = open();
    // 60 records over 60 minutes: users u0..u2, orgs by parity, every 10th a denial, every
    // 15th a break-glass, patients cycling over 4.
    for (int i = 0; i < 60; ++i) {
      static const char* const kUsers[] = {"u0", "u1", "u2"};
      AuditRecord r = read_record(test_nhs(i % 4), kUsers[i % 3], i % 2 == 0 ? "Z90001" : "Z9A01");
      if (i % 10 == 0) {
        r.decision = Decision::kDeny;
        r.outcome = Outcome::kMinorFailure;
        r.disclosed.clear();
      }
      if (i % 15 == 0) {
        r.type = EventType::kBreakGlass;
        r.decision = Decision::kBreakGlass;
        r.purpose_of_use = "ETREAT";
        r.break_glass_reason = "unconscious, no relationship on record";
        r.outcome = Outcome::kSuccess;
      }
      (void)ok(log_->append_sync(r));
      clock.advance(std::chrono::minutes(1));
    }
  }
  std::vector<std::uint64_t> all(const QueryFilter& f, std::size_t page_size,
                                 bool newest_first = false) {
    std::vector<std::uint64_t> seqs;
    PageRequest p;
    p.limit = page_size;
    p.newest_first = newest_first;
    for (int guard = 0; guard < 1000; ++guard) {
      auto page = ok(log_->query(f, p));
      for (const auto& s : page.records) {
        seqs.push_back(s.record.seq);
      }
      if (page.next_cursor.empty()) {
        break;
      }
      p.cursor = page.next_cursor;
    }
    return seqs;
  }
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditQueryTest, FiltersMatchExactly) {
  QueryFilter f;
  f.nhs_number = test_nhs(1);
  auto seqs = all(f, 100);
  ASSERT_EQ(seqs.size(), 15U);
  for (auto s : seqs) {
    EXPECT_EQ((s - 1) % 4, 1U);
  }
  f = {};
  f.user_id = "u2";
  f.org_ods = "Z90001";
  for (auto s : all(f, 100)) {
    EXPECT_EQ((s - 1) % 3, 2U);
    EXPECT_EQ((s - 1) % 2, 0U);
  }
  EXPECT_EQ(all(f, 100).size(), 10U);
  f = {};
  f.decision = Decision::kDeny;
  EXPECT_EQ(all(f, 100).size(), 4U);  // 10, 20, 40, 50 (0 and 30 became break-glass)
  f = {};
  f.break_glass_only = true;
  EXPECT_EQ(all(f, 100), (std::vector<std::uint64_t>{1, 16, 31, 46}));
  f = {};
  f.types = {EventType::kBreakGlass};
  f.purpose_of_use = "ETREAT";
  EXPECT_EQ(all(f, 100).size(), 4U);
  f = {};
  f.outcome = Outcome::kMinorFailure;
  EXPECT_EQ(all(f, 100).size(), 4U);
}

TEST_F(AuditQueryTest, TimeRangeIsFromInclusiveToExclusive) {
  const auto first = ok(log_->get(1)).record.recorded_us;
  QueryFilter f;
  f.from_us = first + 10 * 60'000'000LL;
  f.to_us = first + 20 * 60'000'000LL;
  auto seqs = all(f, 100);
  ASSERT_EQ(seqs.size(), 10U);
  EXPECT_EQ(seqs.front(), 11U);
  EXPECT_EQ(seqs.back(), 20U);
}

TEST_F(AuditQueryTest, PagesHaveNoGapsOrDuplicatesWhileAppendsContinue) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 2000; ++i) {
      (void)log_->append_sync(read_record(test_nhs(i % 4), "u1"));
    }
  });
  QueryFilter f;
  f.user_id = "u1";
  // Oldest first: everything there at the start is seen exactly once, in order.
  auto seqs = all(f, 7);
  stop = true;
  writer.join();
  std::set<std::uint64_t> unique(seqs.begin(), seqs.end());
  EXPECT_EQ(unique.size(), seqs.size()) << "no duplicates";
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  for (std::uint64_t s = 2; s <= 60; s += 3) {
    EXPECT_TRUE(unique.contains(s)) << "record " << s << " skipped";
  }
  // Newest first over a finished log: the same set, reversed.
  auto asc = all(f, 1000);
  auto desc = all(f, 13, true);
  std::reverse(desc.begin(), desc.end());
  EXPECT_EQ(asc, desc);
}

TEST_F(AuditQueryTest, CursorBelongsToItsQuery) {
  QueryFilter f;
  f.user_id = "u0";
  PageRequest p;
  p.limit = 5;
  auto page = ok(log_->query(f, p));
  ASSERT_FALSE(page.next_cursor.empty());
  QueryFilter other;
  other.user_id = "u1";
  p.cursor = page.next_cursor;
  auto r = log_->query(other, p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  p.cursor = "not-a-cursor";
  EXPECT_FALSE(log_->query(f, p));
}

TEST_F(AuditQueryTest, FilteredQueriesUseTheirIndexes) {
  auto s = store();
  auto plan = [&s](const std::string& where) {
    auto lines =
        ok(store::sqlite::explain_query_plan(s.db(), "SELECT seq FROM audit_record WHERE " + where +
                                                         " AND seq > 0 ORDER BY seq LIMIT 10"));
    std::string all;
    for (const auto& l : lines) {
      all += l + "\n";
    }
    return all;
  };
  EXPECT_NE(plan("nhs_number = '9990000018'").find("audit_patient"), std::string::npos);
  EXPECT_NE(plan("user_id = 'u1'").find("audit_user"), std::string::npos);
  EXPECT_NE(plan("org_ods = 'Z90001'").find("audit_org"), std::string::npos);
  EXPECT_NE(plan("decision = 'deny'").find("audit_denied"), std::string::npos);
  EXPECT_NE(plan("event_type IN ('audit-purge')").find("audit_type"), std::string::npos);
  EXPECT_NE(plan("recorded_us >= 1 AND recorded_us < 2").find("audit_time"), std::string::npos);
  EXPECT_NE(
      plan("(decision = 'break-glass' OR event_type = 'break-glass')").find("audit_break_glass"),
      std::string::npos);
}

// The statements AuditStore::query and the unusual-activity report run, planned as SQLite plans
// them on a log without ANALYZE statistics (how audit.db is kept): a patient's or a user's query
// is bounded by that patient or user, and a period by its time range, never by the event type's
// index, which on tens of millions of record-reads would walk most of the log.
TEST_F(AuditQueryTest, NarrowFiltersBoundTheScanRatherThanTheEventType) {
  auto s = store();
  auto plan = [&s](const std::string& sql) {
    std::string all;
    for (const auto& l : ok(store::sqlite::explain_query_plan(s.db(), sql))) {
      all += l + "\n";
    }
    return all;
  };
  auto built = [&plan](const QueryFilter& f, bool newest_first) {
    return plan(build_query_sql(f, 0, newest_first, 101).sql);
  };
  const std::vector<EventType> reads = {EventType::kRecordRead};
  QueryFilter patient;  // "who has accessed my record": a patient and the kinds of access
  patient.nhs_number = "9991158383";
  patient.types = reads;
  patient.from_us = 1;
  EXPECT_NE(built(patient, true).find("audit_patient"), std::string::npos) << built(patient, true);
  QueryFilter user;
  user.user_id = "u1";
  user.types = reads;
  EXPECT_NE(built(user, false).find("audit_user"), std::string::npos) << built(user, false);
  QueryFilter org;
  org.org_ods = "Z90001";
  org.types = reads;
  EXPECT_NE(built(org, false).find("audit_org"), std::string::npos) << built(org, false);
  QueryFilter period;
  period.from_us = 1;
  period.to_us = 2;
  period.types = {EventType::kRecordRead, EventType::kRecordSearch};
  EXPECT_NE(built(period, false).find("audit_time"), std::string::npos) << built(period, false);
  QueryFilter since;  // from a time on, no end
  since.from_us = 1;
  since.types = reads;
  EXPECT_NE(built(since, false).find("audit_time"), std::string::npos) << built(since, false);
  QueryFilter by_type;  // the type alone: its own index
  by_type.types = {EventType::kAuditPurge};
  EXPECT_NE(built(by_type, false).find("audit_type"), std::string::npos) << built(by_type, false);
  const std::string unusual = plan(std::string(kUnusualActivityScan));
  EXPECT_NE(unusual.find("audit_time"), std::string::npos) << unusual;
}

}  // namespace
}  // namespace gw::audit
