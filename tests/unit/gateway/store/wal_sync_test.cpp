// Shared WAL syncs: a commit is reported kept only after a sync that began after it; writers
// waiting while one sync runs share the next one; a failed sync fails exactly the commits it was
// meant to cover; and the caregw.db writers use it (synchronous=NORMAL plus the shared sync).
#include "gateway/store/sqlite/wal_sync.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::store::sqlite {
namespace {

using test::ok;

/** HeldSync: a sync that blocks until released, counting calls, optionally failing. */
struct HeldSync {
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  int released = 0;
  bool fail = false;
  Result<void> operator()(const std::filesystem::path& /*wal*/) {
    std::unique_lock lock(mu);
    const int mine = ++started;
    cv.notify_all();
    cv.wait(lock, [&] { return released >= mine; });
    if (fail) {
      return make_error(Errc::kUnavailable, "store: the write-ahead log could not be synced");
    }
    return {};
  }
  void wait_started(int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return started >= n; });
  }
  void release_one() {
    std::lock_guard lock(mu);
    ++released;
    cv.notify_all();
  }
};

TEST(WalSync, WaitersDuringASyncShareTheNextOne) {
  auto held = std::make_shared<HeldSync>();
  WalSync sync("unused.db", [held](const std::filesystem::path& p) { return (*held)(p); });
  std::thread first([&] { EXPECT_TRUE(sync.wait_durable()); });
  held->wait_started(1);  // the first commit's sync is running
  // Five commits finish while it runs: it began before them, so it cannot cover them.
  std::vector<std::thread> later;
  std::atomic<int> done{0};
  for (int i = 0; i < 5; ++i) {
    later.emplace_back([&] {
      EXPECT_TRUE(sync.wait_durable());
      ++done;
    });
  }
  while (sync.stats().waits < 6) {
    std::this_thread::yield();
  }
  EXPECT_EQ(done.load(), 0);
  held->release_one();
  first.join();
  held->wait_started(2);  // one more sync, for all five
  EXPECT_EQ(done.load(), 0);
  held->release_one();
  for (auto& t : later) {
    t.join();
  }
  EXPECT_EQ(done.load(), 5);
  EXPECT_EQ(sync.stats().waits, 6U);
  EXPECT_EQ(sync.stats().syncs, 2U);
}

TEST(WalSync, AFailedSyncFailsTheCommitsItCoveredAndTheNextOneCanSucceed) {
  auto held = std::make_shared<HeldSync>();
  held->fail = true;
  WalSync sync("unused.db", [held](const std::filesystem::path& p) { return (*held)(p); });
  Result<void> first_result;
  std::thread first([&] { first_result = sync.wait_durable(); });
  held->wait_started(1);
  held->release_one();
  first.join();
  ASSERT_FALSE(first_result);
  EXPECT_EQ(first_result.error().code, Errc::kUnavailable);
  held->fail = false;
  std::thread second([&] { EXPECT_TRUE(sync.wait_durable()); });
  held->wait_started(2);
  held->release_one();
  second.join();
  EXPECT_EQ(sync.stats().syncs, 2U);
}

TEST(WalSync, TheRealSyncReportsAMissingLogAndSyncsAnExistingOne) {
  gw::test::TempDir dir;
  auto missing = sync_file(dir.file("none.db-wal"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().detail.find("write-ahead log"), std::string::npos);
  auto db = ok(Database::open(dir.file("t.db")));
  ok(db.exec("CREATE TABLE t (v INTEGER)"));
  EXPECT_TRUE(sync_file(dir.file("t.db-wal")));
}

TEST(WalSync, StoreWritersShareOneSyncPerFileAndCommitThroughIt) {
  gw::test::TempDir dir;
  const std::filesystem::path data = dir.file("data");
  auto writer = ok(open_store_database(data, OpenOptions{}));
  auto second = ok(open_store_file(database_path(data), OpenOptions{}));
  EXPECT_EQ(ok(writer.query_int64("PRAGMA synchronous")).value_or(-1), 1);  // NORMAL
  auto plain = ok(Database::open(dir.file("other.db")));
  EXPECT_EQ(ok(plain.query_int64("PRAGMA synchronous")).value_or(-1), 2);  // FULL
  EXPECT_EQ(shared_wal_sync(database_path(data)), shared_wal_sync(data / "db" / "." / "caregw.db"));
  const auto before = shared_wal_sync(database_path(data))->stats();
  {
    auto tx = ok(Transaction::begin(writer));
    ok(writer.exec("CREATE TABLE IF NOT EXISTS probe (v INTEGER)"));
    ok(tx.commit());
  }
  {
    auto tx = ok(Transaction::begin(second));
    ok(second.exec("INSERT INTO probe (v) VALUES (1)"));
    ok(tx.commit());
  }
  const auto after = shared_wal_sync(database_path(data))->stats();
  EXPECT_EQ(after.waits - before.waits, 2U);
  EXPECT_EQ(after.syncs - before.syncs, 2U);
  EXPECT_EQ(ok(plain.query_int64("SELECT 1")).value_or(0), 1);
}

TEST(WalSync, WritersOnTwoConnectionsAreHandedTheFileInTurn) {
  gw::test::TempDir dir;
  const std::filesystem::path data = dir.file("data");
  OpenOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(50);
  auto first = ok(open_store_database(data, OpenOptions{}));
  auto second = ok(open_store_file(database_path(data), quick));
  ok(first.exec("CREATE TABLE IF NOT EXISTS probe (v INTEGER)"));
  auto held = ok(Transaction::begin(first));
  // The first writer holds the file: the second waits its busy timeout, then is told to retry.
  auto refused = Transaction::begin(second);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kUnavailable);
  EXPECT_NE(refused.error().detail.find("another writer"), std::string::npos);
  // A writer waiting on another thread gets the file as soon as the first commits.
  std::atomic<bool> began{false};
  std::thread waiter([&] {
    auto third = ok(open_store_file(database_path(data), OpenOptions{}));
    auto tx = ok(Transaction::begin(third));
    began = true;
    ok(third.exec("INSERT INTO probe (v) VALUES (2)"));
    ok(tx.commit());
  });
  ok(first.exec("INSERT INTO probe (v) VALUES (1)"));
  EXPECT_FALSE(began.load());
  ok(held.commit());
  waiter.join();
  EXPECT_TRUE(began.load());
  EXPECT_EQ(ok(second.query_int64("SELECT count(*) FROM probe")).value_or(0), 2);
}

}  // namespace
}  // namespace gw::store::sqlite
