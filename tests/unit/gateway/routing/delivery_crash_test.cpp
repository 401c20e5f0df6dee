// kill -9 mid-delivery: a child process runs the delivery worker against the on-disk outbox and
// is killed while sending; a new worker on the same database then finishes. Nothing queued is
// lost, and a recipient that deduplicates by idempotency key sees each message once (the only
// repeats are the few that were in flight when the process died).
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/routing/delivery_worker.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::routing {
namespace {

using std::chrono::milliseconds;
using store::test::ok;

/** FileRecipient: appends "<idempotency key> <patient> <payload>" a line per message. */
class FileRecipient final : public Transport {
public:
  explicit FileRecipient(const std::string& path, bool slow)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)), slow_(slow) {}
  ~FileRecipient() override { ::close(fd_); }
  FileRecipient(const FileRecipient&) = delete;
  FileRecipient& operator=(const FileRecipient&) = delete;
  SendResult send(const store::OutboxEntry& m) override {
    const std::string line = m.idempotency_key + " " + m.patient_key + " " + m.payload + "\n";
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      return {SendStatus::kRetry, "write failed"};
    }
    if (slow_) {
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    return {SendStatus::kDelivered, {}};
  }

private:
  int fd_;
  bool slow_;
};

std::size_t count_lines(const std::string& path) {
  std::ifstream f(path);
  std::size_t n = 0;
  for (std::string line; std::getline(f, line);) {
    ++n;
  }
  return n;
}

TEST(DeliveryCrash, KillNineMidDeliveryLosesNothingAndKeysDeduplicate) {
  gw::test::TempDir dir;
  const auto data = dir.file("data");
  const auto log = dir.file("recipient.log");
  SystemClock clock;
  constexpr int kMessages = 600;
  {
    auto store = ok(store::sqlite::SqliteMessageStore::open_in_data_dir(data, clock));
    std::vector<store::OutboundMessage> batch;
    for (int i = 0; i < kMessages; ++i) {
      batch.push_back(
          store::OutboundMessage{OdsCode::parse("Z90001").value(), store::TransportKind::kHttps,
                                 "patient-" + std::to_string(i % 20), "discharge-summary",
                                 "application/fhir+json", std::to_string(i)});
    }
    ok(store->enqueue(batch));
  }  // closed before fork: no SQLite connection or thread crosses it

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = store::sqlite::SqliteMessageStore::open_in_data_dir(data, clock);
    if (!store) {
      _exit(3);
    }
    FileRecipient recipient(log, /*slow=*/true);
    DeliveryOptions o;
    o.threads = 2;
    o.batch = 16;
    DeliveryWorker w(**store, recipient, clock, nullptr, o);
    w.start();
    for (;;) {
      pause();  // until SIGKILL
    }
  }
  // Kill it part way through.
  for (int i = 0; i < 2000 && count_lines(log) < kMessages / 3; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the worker process ended before it was killed";
  const auto before_restart = count_lines(log);
  EXPECT_LT(before_restart, static_cast<std::size_t>(kMessages)) << "killed too late to test";

  // Restart: a new worker on the same database finishes the job.
  auto store = ok(store::sqlite::SqliteMessageStore::open_in_data_dir(data, clock));
  {
    FileRecipient recipient(log, /*slow=*/false);
    DeliveryWorker w(*store, recipient, clock, nullptr, DeliveryOptions{});
    while (ok(w.run_once()) > 0) {
    }
  }
  EXPECT_TRUE(ok(store->queues()).empty());

  // The recipient's view, deduplicating by idempotency key.
  std::map<std::string, int> seen;
  std::map<std::string, std::vector<int>> order;  // per patient, first sightings
  std::ifstream f(log);
  for (std::string key, patient; f >> key >> patient;) {
    int payload = 0;
    f >> payload;
    if (++seen[key] == 1) {
      order[patient].push_back(payload);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages));  // nothing lost
  int repeats = 0;
  for (const auto& [key, n] : seen) {
    repeats += n - 1;
  }
  EXPECT_LE(repeats, 2 * 16) << "only the batches in flight at the kill may come twice";
  for (const auto& [patient, payloads] : order) {
    EXPECT_TRUE(std::is_sorted(payloads.begin(), payloads.end())) << patient;
  }
}

}  // namespace
}  // namespace gw::routing
