// Durable break-glass grants: a grant opened before a restart is still in force after it (until
// it expires or is ended), expired grants are ignored and purged, and nothing takes effect that
// could not be written to disk.
#include <array>

#include <gtest/gtest.h>

#include "gateway/policy/break_glass.hpp"
#include "gateway/policy/sqlite_grant_store.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

BreakGlassRequest request(const char* user = "user-1", const char* patient = kPatientA) {
  return {user, patient, "safeguarding-concern", "Patient disclosed a risk of harm at home"};
}

class BreakGlassStoreTest : public ::testing::Test {
protected:
  /** reopen: a registry over the same file, as `caregw serve` makes at start. */
  std::unique_ptr<BreakGlassRegistry> reopen(std::chrono::seconds ttl = hours{4}) {
    auto store = SqliteGrantStore::open(dir_.file("data"));
    EXPECT_TRUE(store) << store.error().detail;
    if (!store) {
      return nullptr;
    }
    auto reg = BreakGlassRegistry::durable(clock_, ttl, std::move(*store));
    EXPECT_TRUE(reg) << reg.error().detail;
    return reg ? std::move(*reg) : nullptr;
  }

  /** stored: every row of the file (closed and open). */
  std::vector<GrantRecord> stored() {
    auto store = SqliteGrantStore::open(dir_.file("data"));
    EXPECT_TRUE(store) << store.error().detail;
    auto rows = store ? (*store)->all() : Result<std::vector<GrantRecord>>(store.error());
    EXPECT_TRUE(rows);
    return rows ? *rows : std::vector<GrantRecord>{};
  }

  gw::test::TempDir dir_;
  gw::test::FakeClock clock_{kNow};
};

TEST_F(BreakGlassStoreTest, AGrantSurvivesARestartUntilItExpires) {
  auto reg = reopen();
  ASSERT_NE(reg, nullptr);
  EXPECT_TRUE(reg->is_durable());
  auto g = reg->open(request(), GrantOrigin{"Z9L01", "req-1", "R1070"});
  ASSERT_TRUE(g) << g.error().detail;
  ASSERT_TRUE(reg->note_audit_seq("user-1", kPatientA, g->granted_at, 42));
  ASSERT_TRUE(reg->open(request("user-2", kPatientB)));
  clock_.advance(hours{1});
  reg.reset();  // the gateway stops

  reg = reopen();  // and starts again on the same data directory
  ASSERT_NE(reg, nullptr);
  const auto again = reg->active("user-1", kPatientA);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->reason, BreakGlassReason::kSafeguardingConcern);
  EXPECT_EQ(again->justification, "Patient disclosed a risk of harm at home");
  EXPECT_EQ(again->granted_at, g->granted_at);
  EXPECT_EQ(again->expires_at, g->expires_at);
  EXPECT_FALSE(reg->active("user-1", kPatientB).has_value());  // still one user, one patient
  EXPECT_TRUE(reg->active("user-2", kPatientB).has_value());
  const auto records = reg->active_records();
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].origin.organisation, "Z9L01");
  EXPECT_EQ(records[0].origin.request_id, "req-1");
  EXPECT_EQ(records[0].origin.role, "R1070");
  EXPECT_EQ(records[0].audit_seq, 42U);
  EXPECT_EQ(reg->active_count(), 2U);

  // Until the end of its four hours, and not a second longer, even across another restart.
  clock_.advance(hours{3} - std::chrono::seconds{1});
  reg = reopen();
  ASSERT_NE(reg, nullptr);
  EXPECT_TRUE(reg->active("user-1", kPatientA).has_value());
  clock_.advance(std::chrono::seconds{1});
  EXPECT_FALSE(reg->active("user-1", kPatientA).has_value());
  reg = reopen();
  ASSERT_NE(reg, nullptr);
  EXPECT_TRUE(reg->active_records().empty());
  EXPECT_TRUE(stored().empty());  // expired grants are purged from the file at start
}

TEST_F(BreakGlassStoreTest, ExpiredGrantsAreIgnoredAtStartAndPurged) {
  auto reg = reopen(hours{1});
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->open(request()));
  clock_.advance(minutes{30});
  ASSERT_TRUE(reg->open(request("user-2")));
  reg.reset();
  clock_.advance(minutes{45});  // the first has expired, the second has 15 minutes left
  ASSERT_EQ(stored().size(), 2U);
  reg = reopen(hours{1});
  ASSERT_NE(reg, nullptr);
  EXPECT_FALSE(reg->active("user-1", kPatientA).has_value());
  EXPECT_TRUE(reg->active("user-2", kPatientA).has_value());
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].grant.user_id, "user-2");
}

TEST_F(BreakGlassStoreTest, AGrantEndedEarlyStaysEndedAfterARestart) {
  auto reg = reopen();
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->open(request()));
  clock_.advance(minutes{20});
  auto ended = reg->end("user-1", kPatientA);
  ASSERT_TRUE(ended) << ended.error().detail;
  EXPECT_EQ(ended->closed_at, clock_.now());
  EXPECT_FALSE(reg->active("user-1", kPatientA).has_value());
  // Nothing left to end: 404 on the route.
  auto twice = reg->end("user-1", kPatientA);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::kNotFound);
  reg = reopen();
  ASSERT_NE(reg, nullptr);
  EXPECT_FALSE(reg->active("user-1", kPatientA).has_value());
  // The file shows when it was ended (until its expiry time passes and it is purged).
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 1U);
  ASSERT_TRUE(rows[0].closed_at.has_value());
  EXPECT_EQ(*rows[0].closed_at, kNow + minutes{20});
}

TEST_F(BreakGlassStoreTest, OpeningAgainReplacesTheOpenGrant) {
  auto reg = reopen();
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->open(request()));
  clock_.advance(hours{2});
  auto second = reg->open(request());
  ASSERT_TRUE(second);
  reg = reopen();
  ASSERT_NE(reg, nullptr);
  const auto g = reg->active("user-1", kPatientA);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->expires_at, kNow + hours{6});
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].closed_at, kNow + hours{2});  // replaced
  EXPECT_FALSE(rows[1].closed_at.has_value());
}

/** FailingStore: a disk that refuses every write. */
class FailingStore final : public GrantStore {
public:
  Result<void> save(const GrantRecord& /*record*/) override { return failure(); }
  Result<bool> close(const std::string& /*user*/, const std::string& /*nhs*/,
                     TimePoint /*at*/) override {
    return failure();
  }
  Result<void> set_audit_seq(const std::string& /*user*/, const std::string& /*nhs*/,
                             TimePoint /*granted_at*/, std::uint64_t /*seq*/) override {
    return failure();
  }
  Result<std::vector<GrantRecord>> load_open(TimePoint /*now*/) override {
    return std::vector<GrantRecord>{};
  }
  Result<std::size_t> purge_expired(TimePoint /*now*/) override { return std::size_t{0}; }

private:
  static Error failure() { return make_error(Errc::kUnavailable, "disk full"); }
};

TEST_F(BreakGlassStoreTest, NothingIsGrantedThatCouldNotBeWrittenDown) {
  auto reg = BreakGlassRegistry::durable(clock_, hours{4}, std::make_unique<FailingStore>());
  ASSERT_TRUE(reg);
  auto g = (*reg)->open(request());
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::kUnavailable);
  EXPECT_FALSE((*reg)->active("user-1", kPatientA).has_value());
}

TEST_F(BreakGlassStoreTest, TheFileIsForTheGatewayAlone) {
  ASSERT_NE(reopen(), nullptr);
  const auto perms =
      std::filesystem::status(SqliteGrantStore::path(dir_.file("data"))).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
}

TEST_F(BreakGlassStoreTest, AGrantKeptBeforeRolesWereRecordedStaysInForceWithNoRole) {
  // A file as the first schema made it (migration 1 only), holding one open grant.
  {
    static constexpr std::array<store::sqlite::Migration, 1> kFirst{{
        {1, "break_glass_grants",
         "CREATE TABLE break_glass_grant (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, "
         "nhs_number TEXT NOT NULL, reason TEXT NOT NULL, justification TEXT NOT NULL, "
         "organisation TEXT NOT NULL DEFAULT '', request_id TEXT NOT NULL DEFAULT '', "
         "opened_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, audit_seq INTEGER, "
         "closed_at INTEGER);"},
    }};
    auto db = store::sqlite::open_database_in(dir_.file("data"), "break-glass.db", kFirst);
    ASSERT_TRUE(db) << db.error().detail;
    const auto us = [](TimePoint t) {
      return std::to_string(
          std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
    };
    ASSERT_TRUE(
        db->exec("INSERT INTO break_glass_grant (user_id, nhs_number, reason, justification, "
                 "organisation, request_id, opened_at, expires_at) VALUES ('user-1', '" +
                 std::string(kPatientA) +
                 "', 'emergency-treatment', 'unresponsive on scene', 'Z9L01', "
                 "'req-0', " +
                 us(kNow) + ", " + us(kNow + hours{4}) + ")"));
  }
  auto reg = reopen();  // the current schema: migration 2 adds the role
  ASSERT_NE(reg, nullptr);
  const auto records = reg->active_records();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].grant.user_id, "user-1");
  EXPECT_EQ(records[0].origin.organisation, "Z9L01");
  EXPECT_EQ(records[0].origin.role, "");
  // New grants keep theirs.
  ASSERT_TRUE(reg->open(request("user-2", kPatientB), GrantOrigin{"Z9A01", "req-1", "R0050"}));
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[1].origin.role, "R0050");
}

}  // namespace
}  // namespace gw::policy::test
