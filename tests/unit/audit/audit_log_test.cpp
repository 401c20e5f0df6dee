#include "gateway/audit/audit_log.hpp"

#include <atomic>
#include <csignal>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/store/sqlite/database.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;
using test::read_record;
using test::test_nhs;

class AuditLogTest : public test::LogFixture {};

TEST_F(AuditLogTest, AppendsAreNumberedChainedAndVerify) {
  auto log = open();
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(ok(log->append_sync(read_record(test_nhs(i)))), static_cast<std::uint64_t>(i));
  }
  auto r = ok(log->get(3));
  EXPECT_EQ(r.record.nhs_number, test_nhs(3));
  EXPECT_EQ(r.record.node_id, "test-node");
  EXPECT_NE(r.record.recorded_us, 0);
  auto rep = ok(log->verify());
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.count, 5U);
}

TEST_F(AuditLogTest, FilesHaveOwnerOnlyModes) {
  auto log = open();
  (void)ok(log->append_sync(read_record(test_nhs(1))));
  struct stat st {};
  ASSERT_EQ(::stat(audit_database_path(dir.file("data")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0600U);
  ASSERT_EQ(::stat(default_key_file(dir.file("data")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0600U);
}

// The audit-off baseline of bench/audit-run (caregw-audit-off): appends complete and nothing is
// written. caregw itself never sets it (no config key reaches it).
TEST_F(AuditLogTest, TheBenchmarksDiscardingLogCompletesAppendsAndWritesNothing) {
  EXPECT_FALSE(options().discard);
  auto o = options();
  o.discard = true;
  auto log = open(o);
  EXPECT_EQ(ok(log->append_sync(read_record(test_nhs(1)))), 1U);
  EXPECT_EQ(ok(log->append_sync(read_record(test_nhs(2)))), 2U);
  EXPECT_EQ(log->stats().appended, 0U);
  EXPECT_EQ(ok(log->verify()).count, 0U);
}

TEST_F(AuditLogTest, InvalidRecordIsRefusedAtOnce) {
  auto log = open();
  AuditRecord r = read_record("1234567890");
  auto res = log->append_sync(r);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, Errc::kBadRequest);
}

TEST_F(AuditLogTest, GroupCommitUnderManyProducersKeepsEveryAckedRecord) {
  auto log = open();
  constexpr int kThreads = 64;
  constexpr int kPerThread = 100;
  std::mutex m;
  std::vector<std::uint64_t> acked;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::promise<Result<std::uint64_t>>> ps(kPerThread);
      std::vector<std::future<Result<std::uint64_t>>> fs;
      for (auto& p : ps) {
        fs.push_back(p.get_future());
      }
      for (int i = 0; i < kPerThread; ++i) {
        log->append(read_record(test_nhs(t * kPerThread + i), "user-" + std::to_string(t)),
                    [&p = ps[static_cast<std::size_t>(i)]](Result<std::uint64_t> r) {
                      p.set_value(std::move(r));
                    });
      }
      for (auto& f : fs) {
        auto r = f.get();
        ASSERT_TRUE(r);
        std::lock_guard lk(m);
        acked.push_back(*r);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  std::sort(acked.begin(), acked.end());
  ASSERT_EQ(acked.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (std::size_t i = 0; i < acked.size(); ++i) {
    ASSERT_EQ(acked[i], i + 1) << "sequence numbers are contiguous and unique";
  }
  const auto stats = log->stats();
  EXPECT_LT(stats.batches, stats.appended) << "records shared commits";
  auto rep = ok(log->verify());
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.count, acked.size());
  EXPECT_GE(rep.checkpoints, 1U);
}

TEST_F(AuditLogTest, CheckpointsEveryNRecordsAndOnClose) {
  auto o = options();
  o.checkpoint_every = 10;
  o.max_batch = 1;
  auto log = open(o);
  for (int i = 0; i < 25; ++i) {
    (void)ok(log->append_sync(read_record(test_nhs(i))));
  }
  log->close();
  auto s = store();
  auto cps = ok(s.checkpoints());
  ASSERT_EQ(cps.size(), 3U);
  EXPECT_EQ(cps[0].seq, 10U);
  EXPECT_EQ(cps[1].seq, 20U);
  EXPECT_EQ(cps[2].seq, 25U);
  EXPECT_EQ(cps[2].kind, CheckpointKind::kShutdown);
  auto k = key();
  for (const auto& cp : cps) {
    EXPECT_TRUE(checkpoint_signature_ok(k, cp));
  }
}

TEST_F(AuditLogTest, CheckpointsAfterTheIntervalWhenIdle) {
  auto o = options();
  o.checkpoint_every = 1000;
  o.checkpoint_interval = std::chrono::milliseconds(30);
  auto log = open(o);
  (void)ok(log->append_sync(read_record(test_nhs(1))));
  clock.advance(std::chrono::seconds(1));
  for (int i = 0; i < 200 && log->stats().checkpoints == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(log->stats().checkpoints, 1U);
}

TEST_F(AuditLogTest, CloseFlushesEverythingQueued) {
  auto log = open();
  std::atomic<int> done{0};
  for (int i = 0; i < 500; ++i) {
    log->append(read_record(test_nhs(i)), [&done](Result<std::uint64_t> r) {
      if (r) {
        ++done;
      }
    });
  }
  log->close();
  EXPECT_EQ(done.load(), 500);
  EXPECT_EQ(ok(store().count()), 500U);
  auto after = log->append_sync(read_record(test_nhs(1)));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, Errc::kUnavailable);
}

TEST_F(AuditLogTest, FullQueueFailsFastWithUnavailable) {
  auto o = options();
  o.queue_bound = 1;
  auto log = open(o);
  // Hold the write lock from another connection so the writer cannot drain the queue.
  auto other = store();
  ok(other.db().exec("BEGIN IMMEDIATE"));
  std::atomic<int> unavailable{0};
  std::atomic<int> completed{0};
  for (int i = 0; i < 50; ++i) {
    log->append(read_record(test_nhs(i)), [&](Result<std::uint64_t> r) {
      if (!r && r.error().code == Errc::kUnavailable) {
        ++unavailable;
      }
      ++completed;
    });
  }
  EXPECT_GE(unavailable.load(), 40) << "refused at once, not after a wait";
  ok(other.db().exec("ROLLBACK"));
  log->close();
  EXPECT_EQ(completed.load(), 50);
}

TEST_F(AuditLogTest, StoreThatCannotWriteRefusesAndRecovers) {
  auto log = open();
  (void)ok(log->append_sync(read_record(test_nhs(1))));
  // Another connection makes every insert fail, as a full or failing disk would.
  auto other = store();
  ok(
      other.db().exec("CREATE TRIGGER block BEFORE INSERT ON audit_record "
                      "BEGIN SELECT RAISE(ABORT, 'disk says no'); END;"));
  auto failed = log->append_sync(read_record(test_nhs(2)));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::kUnavailable);
  EXPECT_FALSE(log->healthy());
  auto refused = log->append_sync(read_record(test_nhs(3)));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kUnavailable);
  ok(other.db().exec("DROP TRIGGER block"));
  for (int i = 0; i < 500 && !log->healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(log->healthy());
  EXPECT_EQ(ok(log->append_sync(read_record(test_nhs(4)))), 2U) << "no gap left by the failure";
  auto rep = ok(log->verify());
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.count, 2U);
}

TEST_F(AuditLogTest, TwoWritersOnOneFileKeepOneChain) {
  auto a = open();
  auto b = open();
  for (int i = 0; i < 20; ++i) {
    (void)ok((i % 2 == 0 ? a : b)->append_sync(read_record(test_nhs(i))));
  }
  auto rep = ok(a->verify());
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.count, 20U);
}

// kill -9 mid-burst: every record whose append was acknowledged survives, and the chain verifies.
TEST_F(AuditLogTest, AckedRecordsSurviveKill9) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    SystemClock real_clock;
    auto o = options();
    o.checkpoint_every = 50;
    auto log = AuditLog::open(o, real_clock);
    if (!log) {
      ::_exit(3);
    }
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t) {
      producers.emplace_back([&log, t, fd = fds[1]] {
        for (int i = 0;; ++i) {
          auto r = (*log)->append_sync(read_record(test_nhs((t * 100000 + i) % 90000)));
          if (r) {
            const std::uint64_t seq = *r;
            if (::write(fd, &seq, sizeof seq) != sizeof seq) {
              ::_exit(4);
            }
          }
        }
      });
    }
    for (auto& p : producers) {
      p.join();
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::vector<std::uint64_t> acked;
  std::uint64_t seq = 0;
  while (acked.size() < 2000 && ::read(fds[0], &seq, sizeof seq) == sizeof seq) {
    acked.push_back(seq);
  }
  ::kill(pid, SIGKILL);
  while (::read(fds[0], &seq, sizeof seq) == sizeof seq) {
    acked.push_back(seq);  // acknowledged before the kill, still in the pipe
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child was killed mid-burst";
  ASSERT_GE(acked.size(), 2000U);
  auto log = open();
  for (auto s : acked) {
    ASSERT_TRUE(log->get(s)) << "acknowledged record " << s << " is missing";
  }
  auto rep = ok(log->verify());
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_GE(rep.count, acked.size());
  // And the log goes on from where it was.
  EXPECT_EQ(ok(log->append_sync(read_record(test_nhs(1)))), rep.last_seq + 1);
}

}  // namespace
}  // namespace gw::audit
