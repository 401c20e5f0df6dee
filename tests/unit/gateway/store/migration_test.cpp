// Unit tests for gateway/store/sqlite/migrations.hpp and the store's own migration list:
// from empty, re-open, a newer database refused, one transaction per migration.
#include <array>
#include <string>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/migrations.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::store::sqlite {
namespace {

using test::ok;
using test::outcome;

constexpr std::array<Migration, 3> kThree{{
    {1, "one", "CREATE TABLE a (x INTEGER)"},
    {2, "two", "CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (2)"},
    {3, "three", "CREATE TABLE c (x INTEGER)"},
}};

class SqliteMigration : public ::testing::Test {
protected:
  Database open_db() { return ok(Database::open(dir_.file("m.db"))); }
  static bool has_table(Database& db, std::string_view name) {
    return ok(db.query_int64(
               "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" +
               std::string(name) + "'")) == 1;
  }
  gw::test::TempDir dir_;
};

TEST_F(SqliteMigration, AppliesEveryMigrationFromEmpty) {
  auto db = open_db();
  EXPECT_EQ(ok(schema_version(db)), 0);
  auto report = ok(migrate(db, kThree));
  EXPECT_EQ(report.from_version, 0);
  EXPECT_EQ(report.to_version, 3);
  EXPECT_EQ(ok(schema_version(db)), 3);
  EXPECT_TRUE(has_table(db, "a") && has_table(db, "b") && has_table(db, "c"));
  EXPECT_EQ(ok(db.query_int64("SELECT count(*) FROM schema_version")), 3);
  EXPECT_EQ(ok(db.query_text("SELECT name FROM schema_version WHERE version = 2")), "two");
}

TEST_F(SqliteMigration, ReopeningIsIdempotentAndUpgradesStepwise) {
  {
    auto db = open_db();
    ok(migrate(db, std::span(kThree).first(1)));
  }
  auto db = open_db();
  auto report = ok(migrate(db, kThree));
  EXPECT_EQ(report.from_version, 1);
  EXPECT_EQ(report.to_version, 3);
  auto again = ok(migrate(db, kThree));
  EXPECT_EQ(again.from_version, 3);
  EXPECT_EQ(again.to_version, 3);
  EXPECT_EQ(ok(db.query_int64("SELECT count(*) FROM a")), 1);  // migration 2 ran once
}

TEST_F(SqliteMigration, RefusesADatabaseNewerThanTheCode) {
  {
    auto db = open_db();
    ok(migrate(db, kThree));
  }
  auto db = open_db();
  auto r = migrate(db, std::span(kThree).first(2));
  ASSERT_EQ(outcome(r), "unavailable");
  EXPECT_NE(r.error().detail.find("version 3 is newer"), std::string::npos) << r.error().detail;
  EXPECT_EQ(ok(schema_version(db)), 3);  // untouched
}

TEST_F(SqliteMigration, AFailedMigrationLeavesThePreviousVersion) {
  constexpr std::array<Migration, 2> kBroken{{
      {1, "one", "CREATE TABLE a (x INTEGER)"},
      {2, "two", "CREATE TABLE b (x INTEGER); INSERT INTO no_such_table VALUES (1)"},
  }};
  auto db = open_db();
  auto r = migrate(db, kBroken);
  ASSERT_EQ(outcome(r), "internal");
  EXPECT_NE(r.error().detail.find("migration 2 (two)"), std::string::npos) << r.error().detail;
  EXPECT_EQ(ok(schema_version(db)), 1);
  EXPECT_FALSE(has_table(db, "b"));  // the whole of migration 2 rolled back
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(SqliteMigration, RefusesMisnumberedListsAndADivergedHistory) {
  constexpr std::array<Migration, 2> kGap{{{1, "one", "SELECT 1"}, {3, "three", "SELECT 1"}}};
  auto db = open_db();
  EXPECT_EQ(outcome(migrate(db, kGap)), "internal");
  ok(migrate(db, kThree));
  constexpr std::array<Migration, 1> kRenamed{{{1, "uno", "CREATE TABLE a (x INTEGER)"}}};
  auto r = migrate(db, kRenamed);
  EXPECT_EQ(outcome(r), "unavailable");  // newer than a one-migration build, checked first
  auto db2 = ok(Database::open(dir_.file("m2.db")));
  ok(migrate(db2, std::span(kThree).first(1)));
  auto diverged = migrate(db2, kRenamed);
  ASSERT_EQ(outcome(diverged), "internal");
  EXPECT_NE(diverged.error().detail.find("differs"), std::string::npos);
}

TEST_F(SqliteMigration, StoreSchemaMigratesFromEmptyAndReopens) {
  const auto data = dir_.file("data");
  {
    auto db = ok(open_store_database(data));
    EXPECT_EQ(ok(schema_version(db)), static_cast<int>(store_migrations().size()));
    for (auto t :
         {"person", "person_nhs_history", "local_identifier", "link", "demographics",
          "blocking_key", "person_merge", "review_item", "review_candidate", "review_action"}) {
      EXPECT_TRUE(has_table(db, t)) << t;
    }
  }
  auto db = ok(open_store_database(data));  // re-open: nothing to do
  EXPECT_EQ(ok(db.query_int64("SELECT count(*) FROM schema_version")),
            static_cast<int>(store_migrations().size()));
}

TEST_F(SqliteMigration, StoreRefusesANewerDatabase) {
  const auto data = dir_.file("data");
  {
    auto db = ok(open_store_database(data));
    ok(db.exec("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 0)"));
  }
  auto r = open_store_database(data);
  ASSERT_EQ(outcome(r), "unavailable");
  EXPECT_NE(r.error().detail.find("newer than this build"), std::string::npos);
  // A read-only connection refuses it too, without migrating anything.
  auto ro = open_store_file(database_path(data), OpenOptions{.create = false, .read_only = true});
  EXPECT_EQ(outcome(ro), "unavailable");
}

}  // namespace
}  // namespace gw::store::sqlite
