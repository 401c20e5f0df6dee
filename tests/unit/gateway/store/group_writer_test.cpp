// GroupWriter: writes from many threads committed together, a failing write undone alone, and a
// full queue refused at once (the caller answers 503) rather than growing without bound.
#include "gateway/store/sqlite/group_writer.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::store::sqlite {
namespace {

using test::ok;

class GroupWriterTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto db = ok(Database::open(dir_.file("t.db")));
    ok(db.exec("CREATE TABLE t (v INTEGER NOT NULL)"));
  }
  std::int64_t count() {
    auto db = ok(Database::open(dir_.file("t.db")));
    return ok(db.query_int64("SELECT count(*) FROM t")).value_or(-1);
  }
  static Result<void> insert(Database& db, int v) {
    auto st = db.prepare("INSERT INTO t (v) VALUES (?1)");
    if (!st) {
      return st.error();
    }
    st->bind(1, static_cast<std::int64_t>(v));
    return st->run();
  }
  gw::test::TempDir dir_;
};

TEST_F(GroupWriterTest, ManyThreadsWritesAllLandAndAFailedOneIsUndoneAlone) {
  {
    GroupWriter w(ok(Database::open(dir_.file("t.db"))), GroupWriterOptions{});
    std::vector<std::thread> threads;
    std::atomic<int> failed{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          const bool fail = t == 0 && i % 10 == 0;  // 5 writes insert, then fail
          auto r = w.run_void([&](Database& db) -> Result<void> {
            if (auto ins = insert(db, i); !ins) {
              return ins;
            }
            if (fail) {
              return make_error(Errc::kBadRequest, "refused after writing");
            }
            return {};
          });
          if (!r) {
            EXPECT_EQ(r.error().code, Errc::kBadRequest);
            failed.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    EXPECT_EQ(failed.load(), 5);
  }
  EXPECT_EQ(count(), 8 * 50 - 5);
}

TEST_F(GroupWriterTest, AFullQueueIsRefusedAtOnce) {
  GroupWriter w(ok(Database::open(dir_.file("t.db"))), GroupWriterOptions{1, 16});
  std::mutex m;
  std::condition_variable cv;
  bool started = false;
  bool release = false;
  // A: taken by the writer thread, which then waits inside it.
  std::thread a([&] {
    ok(w.run_void([&](Database& db) -> Result<void> {
      {
        std::unique_lock lock(m);
        started = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
      }
      return insert(db, 1);
    }));
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return started; });
  }
  // B: fills the one queue slot.
  std::thread b([&] { ok(w.run_void([](Database& db) { return insert(db, 2); })); });
  while (w.queued() < 1) {
    std::this_thread::yield();
  }
  // C: refused, without waiting for the writer.
  auto c = w.run_void([](Database& db) { return insert(db, 3); });
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::kUnavailable);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  a.join();
  b.join();
  EXPECT_EQ(count(), 2);
}

TEST_F(GroupWriterTest, AFailureInABatchUndoesOnlyThatWriteAndTheOthersKeepTheirValues) {
  GroupWriter w(ok(Database::open(dir_.file("t.db"))), GroupWriterOptions{});
  std::mutex m;
  std::condition_variable cv;
  bool started = false;
  bool release = false;
  // The writer is held inside a first write while three more queue, so those three run as one
  // batch: first without savepoints, then (after the failure) again each in its own.
  std::thread blocker([&] {
    ok(w.run_void([&](Database& db) -> Result<void> {
      std::unique_lock lock(m);
      started = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      return insert(db, 1);
    }));
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return started; });
  }
  auto count_in = [](Database& db) -> Result<std::int64_t> {
    auto n = db.query_int64("SELECT count(*) FROM t");
    if (!n) {
      return n.error();
    }
    return n->value_or(-1);
  };
  Result<std::int64_t> first = make_error(Errc::kInternal, "not run");
  Result<void> failed;
  Result<std::int64_t> third = make_error(Errc::kInternal, "not run");
  std::thread t1([&] {
    first = w.run<std::int64_t>([&](Database& db) -> Result<std::int64_t> {
      if (auto r = insert(db, 10); !r) {
        return r.error();
      }
      return count_in(db);
    });
  });
  while (w.queued() < 1) {
    std::this_thread::yield();
  }
  std::thread t2([&] {
    failed = w.run_void([](Database& db) -> Result<void> {
      if (auto r = insert(db, 20); !r) {
        return r;
      }
      return make_error(Errc::kConflict, "refused after writing");
    });
  });
  while (w.queued() < 2) {
    std::this_thread::yield();
  }
  std::thread t3([&] {
    third = w.run<std::int64_t>([&](Database& db) -> Result<std::int64_t> {
      if (auto r = insert(db, 30); !r) {
        return r.error();
      }
      return count_in(db);
    });
  });
  while (w.queued() < 3) {
    std::this_thread::yield();
  }
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  for (auto* t : {&blocker, &t1, &t2, &t3}) {
    t->join();
  }
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::kConflict);
  // Each value is what its function saw when the batch was kept: 20 was never there.
  EXPECT_EQ(ok(std::move(first)), 2);
  EXPECT_EQ(ok(std::move(third)), 3);
  auto db = ok(Database::open(dir_.file("t.db")));
  EXPECT_EQ(ok(db.query_int64("SELECT count(*) FROM t WHERE v = 20")), 0);
  EXPECT_EQ(count(), 3);
}

}  // namespace
}  // namespace gw::store::sqlite
