// Unit tests for gateway/store/sqlite/database.hpp: pragmas on open, statements and their
// errors, Transaction and Savepoint rollback, and the store file's place and modes.
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::store::sqlite {
namespace {

using test::ok;
using test::outcome;

class SqliteDatabase : public ::testing::Test {
protected:
  Database open_db() { return ok(Database::open(dir_.file("t.db"))); }
  static std::int64_t count(Database& db, std::string_view table) {
    return ok(db.query_int64("SELECT count(*) FROM " + std::string(table))).value_or(-1);
  }
  gw::test::TempDir dir_;
};

TEST_F(SqliteDatabase, OpensInWalWithFullSyncForeignKeysAndBusyTimeout) {
  auto db = open_db();
  EXPECT_EQ(ok(db.query_text("PRAGMA journal_mode")), "wal");
  EXPECT_EQ(ok(db.query_int64("PRAGMA synchronous")), 2);  // FULL
  EXPECT_EQ(ok(db.query_int64("PRAGMA foreign_keys")), 1);
  EXPECT_EQ(ok(db.query_int64("PRAGMA busy_timeout")), 5000);
  EXPECT_EQ(ok(db.query_int64("PRAGMA query_only")), 0);
}

TEST_F(SqliteDatabase, ReadOnlyConnectionRefusesWrites) {
  {
    auto db = open_db();
    ok(db.exec("CREATE TABLE t (x INTEGER)"));
  }
  auto ro = ok(Database::open(dir_.file("t.db"), OpenOptions{.read_only = true}));
  EXPECT_EQ(outcome(ro.exec("INSERT INTO t VALUES (1)")), "unavailable");
}

TEST_F(SqliteDatabase, StatementsBindStepAndReportErrorsWithoutValues) {
  auto db = open_db();
  ok(db.exec("CREATE TABLE t (x INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"));
  {
    auto st = ok(db.cached("INSERT INTO t (x, name) VALUES (?1, ?2)"));
    st->bind(1, std::int64_t{7}).bind(2, "Ann Example");
    ok(st->run());
  }
  {
    auto st = ok(db.cached("INSERT INTO t (x, name) VALUES (?1, ?2)"));  // reused, reset
    st->bind(1, std::int64_t{8}).bind(2, "Ann Example");
    auto r = st->run();
    EXPECT_EQ(outcome(r), "conflict");
    EXPECT_EQ(r.error().detail.find("Ann"), std::string::npos) << r.error().detail;
  }
  {
    auto st = ok(db.prepare("SELECT name FROM t WHERE x = ?1"));
    st.bind(5, std::int64_t{7});  // no such parameter: reported by step()
    EXPECT_EQ(outcome(st.step()), "internal");
  }
  EXPECT_EQ(outcome(db.prepare("SELEC nonsense")), "internal");
}

TEST_F(SqliteDatabase, TransactionRollsBackUnlessCommitted) {
  auto db = open_db();
  ok(db.exec("CREATE TABLE t (x INTEGER)"));
  {
    auto tx = ok(Transaction::begin(db));
    ok(db.exec("INSERT INTO t VALUES (1)"));
  }  // destroyed without commit
  EXPECT_EQ(count(db, "t"), 0);
  EXPECT_FALSE(db.in_transaction());
  {
    auto tx = ok(Transaction::begin(db));
    ok(db.exec("INSERT INTO t VALUES (2)"));
    EXPECT_EQ(outcome(Transaction::begin(db)), "internal");  // not nestable
    ok(tx.commit());
    EXPECT_EQ(outcome(tx.commit()), "internal");  // finished
  }
  EXPECT_EQ(count(db, "t"), 1);
}

TEST_F(SqliteDatabase, SavepointUndoesOnlyItsOwnWork) {
  auto db = open_db();
  ok(db.exec("CREATE TABLE t (x INTEGER)"));
  auto tx = ok(Transaction::begin(db));
  ok(db.exec("INSERT INTO t VALUES (1)"));
  {
    auto sp = ok(Savepoint::begin(db));
    ok(db.exec("INSERT INTO t VALUES (2)"));
  }  // rolled back to the savepoint; the transaction stays open
  EXPECT_TRUE(db.in_transaction());
  {
    auto sp = ok(Savepoint::begin(db));
    ok(db.exec("INSERT INTO t VALUES (3)"));
    ok(sp.release());
  }
  ok(tx.commit());
  EXPECT_EQ(ok(db.query_int64("SELECT sum(x) FROM t")), 4);
}

TEST_F(SqliteDatabase, WriterTransactionsExcludeEachOtherButNotReaders) {
  auto a = open_db();
  ok(a.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)"));
  auto b = ok(Database::open(dir_.file("t.db"),
                             OpenOptions{.busy_timeout = std::chrono::milliseconds{50}}));
  auto tx = ok(Transaction::begin(a));
  ok(a.exec("INSERT INTO t VALUES (2)"));
  EXPECT_EQ(outcome(Transaction::begin(b)), "unavailable");  // SQLITE_BUSY after the timeout
  EXPECT_EQ(count(b, "t"), 1);                               // WAL: the reader is not blocked
  ok(tx.commit());
  EXPECT_EQ(count(b, "t"), 2);
}

TEST_F(SqliteDatabase, StoreLivesUnderDataDirWithPrivateModes) {
  const std::filesystem::path data = dir_.file("data");
  EXPECT_EQ(database_path(data), data / "db" / "caregw.db");
  auto db = ok(open_store_database(data));
  struct stat st {};
  ASSERT_EQ(::stat((data / "db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  ASSERT_EQ(::stat(database_path(data).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST_F(SqliteDatabase, ExplainQueryPlanReturnsDetailLines) {
  auto db = open_db();
  ok(db.exec("CREATE TABLE t (x INTEGER, y TEXT); CREATE INDEX t_y ON t (y)"));
  auto plan = ok(explain_query_plan(db, "SELECT x FROM t WHERE y = ?1"));
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_NE(plan[0].find("USING INDEX t_y"), std::string::npos) << plan[0];
}

}  // namespace
}  // namespace gw::store::sqlite
