#include <fstream>

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;
using test::read_record;
using test::test_nhs;

class AuditPurgeTest : public test::LogFixture {};

TEST_F(AuditPurgeTest, PurgeArchivesAnchorsAndStillVerifies) {
  auto log = open();
  for (int i = 0; i < 40; ++i) {
    (void)ok(log->append_sync(read_record(test_nhs(i))));
    clock.advance(std::chrono::hours(24));
  }
  const auto cut = ok(log->get(26)).record.recorded_us;  // records 1..25 are older
  const std::string archive = dir.file("archive-1.csv");
  auto rep = ok(log->purge(cut, archive, "ig-lead-1"));
  EXPECT_EQ(rep.first_seq, 1U);
  EXPECT_EQ(rep.last_seq, 25U);
  EXPECT_EQ(rep.removed, 25U);
  EXPECT_EQ(rep.audit_seq, 41U);
  // What remains verifies from the purge anchor, including the purge's own record.
  auto v = ok(log->verify());
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.first_seq, 26U);
  EXPECT_EQ(v.count, 16U);
  auto purge_record = ok(log->get(41));
  EXPECT_EQ(purge_record.record.type, EventType::kAuditPurge);
  EXPECT_EQ(purge_record.record.user_id, "ig-lead-1");
  // The archive proves itself, under the same key.
  auto a = ok(verify_archive(archive, &log->key()));
  EXPECT_TRUE(a.ok) << a.problem;
  EXPECT_EQ(a.count, 25U);
  EXPECT_EQ(a.last_seq, 25U);
  // A second purge takes the next prefix and never overwrites an archive.
  auto conflict = log->purge(cut, archive, "ig-lead-1");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, Errc::kConflict) << conflict.error().detail;
  auto again = ok(log->purge(cut, dir.file("archive-2.csv"), "ig-lead-1"));
  EXPECT_EQ(again.removed, 0U) << "nothing older than the cut is left";
  const auto cut2 = ok(log->get(31)).record.recorded_us;
  auto second = ok(log->purge(cut2, dir.file("archive-3.csv"), "ig-lead-1"));
  EXPECT_EQ(second.first_seq, 26U);
  EXPECT_EQ(second.last_seq, 30U);
  EXPECT_TRUE(ok(verify_archive(dir.file("archive-3.csv"))).ok);
  EXPECT_TRUE(ok(log->verify()).ok);
}

TEST_F(AuditPurgeTest, AlteredArchiveIsDetected) {
  auto log = open();
  for (int i = 0; i < 10; ++i) {
    (void)ok(log->append_sync(read_record(test_nhs(i))));
    clock.advance(std::chrono::hours(24));
  }
  const std::string archive = dir.file("archive.csv");
  (void)ok(log->purge(ok(log->get(6)).record.recorded_us, archive, "ig-lead-1"));
  std::string text;
  {
    std::ifstream f(archive, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(f), {});
  }
  const auto pos = text.find("gp-0001");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 7, "gp-0002");
  {
    std::ofstream f(archive, std::ios::binary | std::ios::trunc);
    f << text;
  }
  auto a = ok(verify_archive(archive));
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.last_seq, 1U);
}

TEST_F(AuditPurgeTest, RecordsAfterTheAnchorCannotBeDeleted) {
  auto log = open();
  for (int i = 0; i < 5; ++i) {
    (void)ok(log->append_sync(read_record(test_nhs(i))));
  }
  auto s = store();
  EXPECT_FALSE(s.db().exec("DELETE FROM audit_record WHERE seq = 5"));
}

}  // namespace
}  // namespace gw::audit
