// `caregw audit ...`: verify's exit codes and messages on an intact and a tampered log, queries
// that are themselves audited, CSV export that reads back, purge that leaves a verifiable log,
// break-glass reviews recorded once (unless revised) and only of granted break-glass.
#include <filesystem>

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/audit/export.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace gw::test {
namespace {

std::string synthetic_nhs(int i) {
  for (int stem = 999100000 + i * 7;; ++stem) {
    const int check = NhsNumber::check_digit(std::to_string(stem));
    if (check >= 0) {
      return std::to_string(stem) + std::to_string(check);
    }
  }
}

class AuditCli : public ::testing::Test {
protected:
  void SetUp() override {
    SystemClock clock;
    audit::AuditLogOptions o;
    o.data_dir = dir.file("data");
    o.checkpoint_every = 5;
    auto log = audit::AuditLog::open(o, clock);
    ASSERT_TRUE(log) << log.error().detail;
    for (int i = 0; i < 10; ++i) {
      audit::AuditRecord r;
      r.type = audit::EventType::kRecordRead;
      r.decision = audit::Decision::kPermit;
      r.user_id = "gp-" + std::to_string(i % 2);
      r.org_ods = "Z90001";
      r.purpose_of_use = "TREAT";
      r.nhs_number = synthetic_nhs(i);
      ASSERT_TRUE((*log)->append_sync(r));
    }
  }
  RunResult audit(std::vector<std::string> args) {
    std::vector<std::string> all{caregw_binary(), "audit"};
    all.insert(all.end(), args.begin(), args.end());
    all.emplace_back("--data-dir");
    all.push_back(dir.file("data"));
    return run_command(all);
  }
  TempDir dir;
};

TEST_F(AuditCli, VerifyIntactLogExitsZeroWithTheCount) {
  const auto r = audit({"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("audit log intact: 10 records (1..10)"), std::string::npos) << r.out;
}

TEST_F(AuditCli, VerifyTamperedLogExitsOneNamingTheRecord) {
  {
    auto s = audit::AuditStore::open(dir.file("data"));
    ASSERT_TRUE(s);
    ASSERT_TRUE(
        s->db().exec("DROP TRIGGER audit_record_append_only;"
                     "UPDATE audit_record SET user_id = 'someone' WHERE seq = 4"));
  }
  const auto r = audit({"verify"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("audit log BROKEN at record 4"), std::string::npos) << r.out;
}

TEST_F(AuditCli, QueryIsAuditedAndCsvReadsBack) {
  const auto q = audit({"query", "--user", "gp-1", "--format", "csv", "--as", "ig-lead-1"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto rows = audit::read_csv(q.out);
  ASSERT_TRUE(rows) << rows.error().detail;
  EXPECT_EQ(rows->size(), 5U);
  const auto t = audit({"query", "--type", "audit-export"});
  EXPECT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("ig-lead-1"), std::string::npos) << t.out;
  const auto v = audit({"verify"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("12 records"), std::string::npos) << v.out;
}

TEST_F(AuditCli, UsageErrorsExitTwo) {
  EXPECT_EQ(audit({"query", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(audit({"query", "--from", "yesterday"}).exit_code, 2);
  EXPECT_EQ(audit({"query", "--nhs-number", "1234567890"}).exit_code, 2);
  EXPECT_EQ(run_command({caregw_binary(), "audit"}).exit_code, 2);
  const auto help = run_command({caregw_binary(), "audit", "verify", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--data-dir"), std::string::npos);
}

TEST_F(AuditCli, NoLogInTheDirectoryIsAnErrorAndNothingIsCreated) {
  const auto empty = dir.file("empty");
  for (const std::string verb : {"verify", "query"}) {
    const auto r = run_command({caregw_binary(), "audit", verb, "--data-dir", empty});
    EXPECT_EQ(r.exit_code, 1) << verb;
    EXPECT_NE(r.err.find("no audit log at"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(empty + "/db/audit.db"));
}

TEST_F(AuditCli, PurgeLeavesAVerifiableLogAndArchive) {
  const auto archive = dir.file("archive.csv");
  const auto p = audit({"purge", "--before", "2999-01-01", "--archive", archive, "--as", "ig-1"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("purged records 1..10 (10)"), std::string::npos) << p.out;
  const auto v = audit({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("1 records (11..11)"), std::string::npos) << v.out;
  const auto a = audit({"verify", "--archive", archive});
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("archive intact: 10 records (1..10)"), std::string::npos) << a.out;
}

TEST_F(AuditCli, BreakGlassReviewIsRecordedOnceUnlessRevised) {
  {
    SystemClock clock;
    audit::AuditLogOptions o;
    o.data_dir = dir.file("data");
    auto log = audit::AuditLog::open(o, clock);
    ASSERT_TRUE(log) << log.error().detail;
    audit::AuditRecord r;
    r.type = audit::EventType::kBreakGlass;
    r.decision = audit::Decision::kBreakGlass;
    r.user_id = "para-1";
    r.org_ods = "Z9L01";
    r.purpose_of_use = "ETREAT";
    r.nhs_number = synthetic_nhs(3);
    r.break_glass_reason = "emergency-treatment";
    ASSERT_EQ(*(*log)->append_sync(r), 11U);
    r.decision = audit::Decision::kDeny;  // a refused attempt: not reviewable
    r.outcome = audit::Outcome::kMinorFailure;
    ASSERT_EQ(*(*log)->append_sync(r), 12U);
  }
  const auto queue = audit({"break-glass", "--as", "ig-lead-1"});
  ASSERT_EQ(queue.exit_code, 0) << queue.err;
  EXPECT_NE(queue.out.find("UNREVIEWED"), std::string::npos) << queue.out;
  const auto first =
      audit({"break-glass", "review", "11", "--outcome", "follow-up", "--as", "ig-lead-1"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  const auto again =
      audit({"break-glass", "review", "11", "--outcome", "appropriate", "--as", "ig-lead-2"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already reviewed"), std::string::npos) << again.err;
  const auto revised = audit({"break-glass", "review", "11", "--outcome", "appropriate", "--note",
                              "crew log seen", "--revise", "--as", "ig-lead-2"});
  EXPECT_EQ(revised.exit_code, 0) << revised.err;
  const auto refused =
      audit({"break-glass", "review", "12", "--outcome", "appropriate", "--as", "ig-lead-1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("refused break-glass attempt"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace gw::test
