// The delivery worker over the real SQLite outbox with fake transports: a recipient down then up
// gets each message once; one always failing fills the dead-letter queue, and a replay after the
// fix delivers; per-patient order holds with several threads and random failures; metrics count.
#include "gateway/routing/delivery_worker.hpp"

#include <map>
#include <mutex>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::routing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using store::test::FakeClock;
using store::test::ok;

constexpr std::string_view kGp = "Z90001";
constexpr std::string_view kCouncil = "Z9S01";

/** FakeRecipient: records what arrived (by idempotency key, deduplicating) and can be down. */
class FakeRecipient final : public Transport {
public:
  SendResult send(const store::OutboxEntry& m) override {
    std::lock_guard lock(mutex_);
    ++attempts_;
    if (down_) {
      return {SendStatus::kRetry, "connection refused"};
    }
    if (refuse_) {
      return {SendStatus::kPermanent, "the endpoint answered HTTP 400"};
    }
    if (fail_rate_ > 0 && unit_(rng_) < fail_rate_) {
      return {SendStatus::kRetry, "the endpoint answered HTTP 503"};
    }
    ++received_[m.idempotency_key];
    if (received_[m.idempotency_key] == 1) {
      by_patient_[m.patient_key].push_back(m.payload);
    }
    return {SendStatus::kDelivered, {}};
  }
  void set_down(bool d) {
    std::lock_guard lock(mutex_);
    down_ = d;
  }
  void set_refuse(bool r) {
    std::lock_guard lock(mutex_);
    refuse_ = r;
  }
  void set_fail_rate(double f) {
    std::lock_guard lock(mutex_);
    fail_rate_ = f;
  }
  std::map<std::string, int> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::map<std::string, std::vector<std::string>> by_patient() {
    std::lock_guard lock(mutex_);
    return by_patient_;
  }
  int attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

private:
  std::mutex mutex_;
  bool down_ = false;
  bool refuse_ = false;
  double fail_rate_ = 0;
  std::mt19937 rng_{7};
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  int attempts_ = 0;
  std::map<std::string, int> received_;
  std::map<std::string, std::vector<std::string>> by_patient_;
};

store::OutboundMessage message(std::string patient, std::string payload,
                               std::string_view recipient = kGp) {
  return store::OutboundMessage{OdsCode::parse(recipient).value(),
                                store::TransportKind::kHttps,
                                std::move(patient),
                                "discharge-summary",
                                "application/fhir+json",
                                std::move(payload)};
}

class DeliveryWorkerTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = ok(store::sqlite::SqliteMessageStore::open_in_data_dir(dir_.file("data"), clock_));
    options_.retry.max_attempts = 4;
    options_.retry.initial_backoff = seconds(1);
    options_.retry.max_backoff = seconds(8);
  }
  std::unique_ptr<DeliveryWorker> worker(const Clock& clock) {
    return std::make_unique<DeliveryWorker>(*store_, recipient_, clock, &stats_, options_);
  }
  /** drain: passes until nothing is due now. */
  void drain(DeliveryWorker& w) {
    while (ok(w.run_once()) > 0) {
    }
  }
  std::uint64_t counter(metrics::CounterFamily& f, std::string_view r) {
    const auto* c = f.find({r});
    return c == nullptr ? 0 : c->value();
  }

  gw::test::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::sqlite::SqliteMessageStore> store_;
  FakeRecipient recipient_;
  metrics::Registry registry_;
  DeliveryStats stats_{registry_};
  DeliveryOptions options_;
};

TEST_F(DeliveryWorkerTest, RecipientDownThenUpGetsEachMessageExactlyOnce) {
  auto ids = ok(store_->enqueue(
      {message("9990000018", "a1"), message("9990000026", "b1"), message("9990000018", "a2")}));
  auto w = worker(clock_);
  recipient_.set_down(true);
  drain(*w);
  // a1 fails; b1 (the other line's head) is deferred with it, untried; a2 waits behind a1.
  EXPECT_EQ(recipient_.attempts(), 1);
  EXPECT_EQ(counter(stats_.retries, kGp), 1U);
  auto b1 = ok(store_->outbox_entry(ids[1]));
  ASSERT_TRUE(b1);
  EXPECT_EQ(b1->attempts, 0);
  EXPECT_GT(b1->next_attempt_at, clock_.now());
  clock_.advance(milliseconds(400));  // the first backoff is 0.5-1 s (1 s less jitter)
  drain(*w);
  EXPECT_EQ(recipient_.attempts(), 1);  // not due yet
  recipient_.set_down(false);
  clock_.advance(seconds(1));
  drain(*w);
  auto got = recipient_.received();
  ASSERT_EQ(got.size(), 3U);
  for (const auto& [key, n] : got) {
    EXPECT_EQ(n, 1) << key;
  }
  EXPECT_EQ(recipient_.by_patient()["9990000018"], (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(counter(stats_.deliveries, kGp), 3U);
  auto e = ok(store_->outbox_entry(ids[0]));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, store::OutboxState::kDelivered);
  EXPECT_EQ(e->attempts, 2);
}

/** Split: one recipient down, another up. */
class SplitRecipient final : public Transport {
public:
  SendResult send(const store::OutboxEntry& m) override {
    std::lock_guard lock(mutex_);
    ++attempts_[m.recipient.str()];
    if (m.recipient.str() == kGp) {
      return {SendStatus::kRetry, "connection timed out"};
    }
    return {SendStatus::kDelivered, {}};
  }
  int attempts(std::string_view r) {
    std::lock_guard lock(mutex_);
    return attempts_[std::string(r)];
  }

private:
  std::mutex mutex_;
  std::map<std::string, int> attempts_;
};

TEST_F(DeliveryWorkerTest, ARecipientThatIsDownDoesNotHoldUpTheOthers) {
  std::vector<store::OutboundMessage> out;
  for (int i = 0; i < 10; ++i) {
    out.push_back(message("patient-" + std::to_string(i), "gp", kGp));
    out.push_back(message("patient-" + std::to_string(i), "council", kCouncil));
  }
  ok(store_->enqueue(out));
  SplitRecipient split;
  DeliveryWorker w(*store_, split, clock_, &stats_, options_);
  while (ok(w.run_once()) > 0) {
  }
  EXPECT_EQ(split.attempts(kGp), 1);  // one try per batch for the recipient that is down
  EXPECT_EQ(split.attempts(kCouncil), 10);
  EXPECT_EQ(counter(stats_.deliveries, kCouncil), 10U);
  for (const auto& q : ok(store_->queues())) {
    EXPECT_EQ(q.recipient.str(), kGp);
    EXPECT_EQ(q.queued, 10);
  }
}

TEST_F(DeliveryWorkerTest, AlwaysFailingGoesToDeadLettersThenReplayDelivers) {
  ok(store_->enqueue({message("9990000018", "a1"), message("9990000018", "a2")}));
  auto w = worker(clock_);
  recipient_.set_down(true);
  for (int i = 0; i < 10; ++i) {
    drain(*w);
    clock_.advance(seconds(10));
  }
  // Both went through 4 attempts each (a2 only once a1 was dead-lettered).
  auto dead = ok(store_->dead_letters(store::DeadLetterFilter{}));
  ASSERT_EQ(dead.size(), 2U);
  EXPECT_EQ(dead[0].attempts, 4);
  EXPECT_EQ(dead[0].last_error, "connection refused");
  EXPECT_EQ(counter(stats_.dead_lettered, kGp), 2U);
  EXPECT_EQ(recipient_.attempts(), 8);

  recipient_.set_down(false);  // the fix
  EXPECT_EQ(ok(store_->replay({dead[0].id, dead[1].id}, "operator-1")), 2U);
  drain(*w);
  EXPECT_EQ(recipient_.by_patient()["9990000018"], (std::vector<std::string>{"a1", "a2"}));
  EXPECT_TRUE(ok(store_->dead_letters(store::DeadLetterFilter{})).empty());
}

TEST_F(DeliveryWorkerTest, APermanentRefusalIsDeadLetteredAtOnce) {
  ok(store_->enqueue({message("9990000018", "a1")}));
  recipient_.set_refuse(true);
  auto w = worker(clock_);
  drain(*w);
  auto dead = ok(store_->dead_letters(store::DeadLetterFilter{}));
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].attempts, 1);
  EXPECT_EQ(dead[0].last_error, "the endpoint answered HTTP 400");
}

TEST_F(DeliveryWorkerTest, AgeLimitDeadLettersEvenWithAttemptsLeft) {
  options_.retry.max_attempts = 100;
  options_.retry.max_age = seconds(60);
  ok(store_->enqueue({message("9990000018", "a1")}));
  recipient_.set_down(true);
  auto w = worker(clock_);
  drain(*w);
  clock_.advance(seconds(61));
  drain(*w);
  EXPECT_EQ(ok(store_->dead_letters(store::DeadLetterFilter{})).size(), 1U);
  EXPECT_EQ(recipient_.attempts(), 2);
}

TEST_F(DeliveryWorkerTest, PerPatientOrderHoldsWithThreadsAndRandomFailures) {
  // Real time throughout (backoff waits must pass): reopen the store on the system clock.
  SystemClock real;
  store_.reset();
  store_ = ok(store::sqlite::SqliteMessageStore::open_in_data_dir(dir_.file("data"), real));
  options_.threads = 4;
  options_.batch = 8;
  options_.idle_poll = milliseconds(5);
  options_.retry.max_attempts = 1000;
  options_.retry.initial_backoff = milliseconds(1);
  options_.retry.max_backoff = milliseconds(4);
  recipient_.set_fail_rate(0.3);
  constexpr int kPatients = 12;
  constexpr int kPerPatient = 25;
  std::vector<store::OutboundMessage> batch;
  for (int i = 0; i < kPerPatient; ++i) {
    for (int p = 0; p < kPatients; ++p) {
      batch.push_back(
          message("patient-" + std::to_string(p), std::to_string(i), p % 2 == 0 ? kGp : kCouncil));
    }
  }
  ok(store_->enqueue(batch));
  auto w = worker(real);
  w->start();
  for (int i = 0; i < 3000 && ok(store_->queues()).size() > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  w->stop();
  EXPECT_TRUE(ok(store_->queues()).empty());
  auto by_patient = recipient_.by_patient();
  ASSERT_EQ(by_patient.size(), static_cast<std::size_t>(kPatients));
  std::vector<std::string> expected;
  for (int i = 0; i < kPerPatient; ++i) {
    expected.push_back(std::to_string(i));
  }
  for (const auto& [patient, payloads] : by_patient) {
    EXPECT_EQ(payloads, expected) << patient;
  }
  for (const auto& [key, n] : recipient_.received()) {
    EXPECT_EQ(n, 1) << key;  // no message delivered twice by two threads
  }
  EXPECT_GT(counter(stats_.retries, kGp) + counter(stats_.retries, kCouncil), 0U);
}

TEST_F(DeliveryWorkerTest, QueueGaugesShowDepthAgeAndDeadLetters) {
  ok(store_->enqueue({message("a", "1"), message("a", "2"), message("b", "3", kCouncil)}));
  clock_.advance(seconds(90));
  stats_.set_queues(ok(store_->queues()), clock_.now());
  EXPECT_EQ(stats_.queue_depth.find({kGp})->value(), 2);
  EXPECT_EQ(stats_.oldest_age_seconds.find({kGp})->value(), 90);
  EXPECT_EQ(stats_.queue_depth.find({kCouncil})->value(), 1);
  const auto text = registry_.render();
  EXPECT_NE(text.find("caregw_outbox_queued{recipient=\"Z90001\"} 2"), std::string::npos) << text;
}

TEST_F(DeliveryWorkerTest, TheRecipientsAnswerDecidesWhatItsAcceptanceMeant) {
  // A practice takes the HTTP request but its answer says the message was not filed: the
  // read_answer hook (the renderer's ITK3 response reader in `caregw serve`) turns the 2xx into
  // a retry or a dead letter; the kept format and the caller's idempotency key reach the hook.
  auto refused = message("9990000018", "refuse-me");
  refused.format = "test-format";
  refused.idempotency_key = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
  auto later = message("9990000026", "later");
  later.format = "test-format";
  auto plain = message("9990000034", "plain", kCouncil);  // after a retry, kGp's rest waits
  auto ids = ok(store_->enqueue({refused, later, plain}));
  std::vector<std::string> seen;
  options_.read_answer = [&](const store::OutboxEntry& m,
                             const SendResult&) -> std::optional<SendResult> {
    seen.push_back(m.format + "|" + m.payload);
    if (m.payload == "refuse-me") {
      EXPECT_EQ(m.idempotency_key, "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
      return SendResult{SendStatus::kPermanent, "ITK3 response fatal-error: 20009", {}};
    }
    if (m.payload == "later") {
      return SendResult{SendStatus::kRetry, "ITK3 response transient-error: 10002", {}};
    }
    return std::nullopt;  // as the transport said
  };
  auto w = worker(clock_);
  drain(*w);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"test-format|refuse-me", "test-format|later", "|plain"}));
  auto dead = ok(store_->dead_letters(store::DeadLetterFilter{}));
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].id, ids[0]);
  EXPECT_EQ(dead[0].last_error, "ITK3 response fatal-error: 20009");
  auto retried = ok(store_->outbox_entry(ids[1]));
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->state, store::OutboxState::kReady);
  EXPECT_EQ(retried->last_error, "ITK3 response transient-error: 10002");
  auto delivered = ok(store_->outbox_entry(ids[2]));
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->state, store::OutboxState::kDelivered);
  EXPECT_EQ(counter(stats_.dead_lettered, kGp), 1U);
  EXPECT_EQ(counter(stats_.retries, kGp), 1U);
}

}  // namespace
}  // namespace gw::routing
