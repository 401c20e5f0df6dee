// The delivery worker: its own threads take due messages from the durable outbox, send each
// through the Transport, and record the outcomes (delivered, retry later with backoff, or
// dead-letter). Nothing about a queued message lives only in memory: after a crash the outbox
// is the whole truth, and a message that was being sent is sent again with the same
// idempotency key.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "gateway/core/clock.hpp"
#include "gateway/routing/delivery_stats.hpp"
#include "gateway/routing/retry.hpp"
#include "gateway/routing/transport.hpp"
#include "gateway/store/message_store.hpp"

namespace gw::routing {

/** DeliveryOptions: threads, batch size, retry policy, and how often idle threads look again. */
struct DeliveryOptions {
  unsigned threads = 2;
  std::size_t batch = 64;  // messages one thread takes at a time (1..1000)
  RetryPolicy retry{};
  std::chrono::milliseconds idle_poll{250};
  std::chrono::milliseconds queue_gauges_every{5000};
  /** on_recorded: called (on a worker thread) with each batch's messages and their outcomes once
   * the outcomes are durable, deferred ones left out: where message movements are audited. */
  std::function<void(const std::vector<store::OutboxEntry>&,
                     const std::vector<store::DeliveryOutcome>&)>
      on_recorded{};
  /** read_answer: for a message its recipient took (kDelivered), what the recipient's answer
   * says when the message's format carries a business answer (an ITK3 response): delivered,
   * retry or refused for good, with the reason. Unset or nullopt: as the transport said. Called
   * on a worker thread; must not throw. */
  std::function<std::optional<SendResult>(const store::OutboxEntry&, const SendResult&)>
      read_answer{};
};

/**
 * DeliveryWorker: runs `threads` threads. Each takes up to `batch` due messages no other thread
 * holds, hands them to the transport together (Transport::send_all: the HTTPS transport keeps
 * several in flight per recipient), then records all their outcomes in one durable write. Only
 * the head of each (recipient, patient) line is ever due (the store's rule), and a line's next
 * message becomes due only once the head's outcome is recorded, so at most one message per
 * patient line is ever in flight and messages about one patient reach a recipient in the order
 * they were accepted, whatever the thread count or the transport's concurrency.
 *
 * A transport result of kRetry schedules the next attempt (retry.hpp) or, out of attempts or
 * age, dead-letters; kPermanent dead-letters at once. After a kRetry the transport sends nothing
 * more to that recipient in the batch: the recipient's other messages are deferred to the same
 * retry time without counting an attempt, so one recipient that is down or slow to time out
 * does not hold up deliveries to the others. Store errors are retried on the next pass.
 *
 * Thread safety: start(), stop() and wake() may be called from any thread. The store, transport,
 * clock and stats must outlive the worker. The destructor stops it.
 */
class DeliveryWorker {
public:
  DeliveryWorker(store::MessageStore& store, Transport& transport, const Clock& clock,
                 DeliveryStats* stats, DeliveryOptions options);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  /** start: starts the threads (once). */
  void start();
  /** stop: lets each thread finish the batch in hand and record it, then joins them. */
  void stop();
  /** wake: something was queued: look now instead of at the next poll. */
  void wake();

  /**
   * run_once: one pass on the calling thread (for tests and tools): takes one batch, sends it,
   * records it. @return how many messages were attempted, or the store's error.
   */
  [[nodiscard]] Result<std::size_t> run_once();

private:
  void loop(unsigned index);
  Result<std::vector<store::OutboxEntry>> claim();
  void release(const std::vector<store::OutboxEntry>& batch);
  /** send_batch: sends the batch through the transport; one outcome per message, in order. */
  std::vector<store::DeliveryOutcome> send_batch(const std::vector<store::OutboxEntry>& batch);
  /** outcome_of: what one attempt's result means for its message (answer read, retry time). */
  store::DeliveryOutcome outcome_of(const store::OutboxEntry& m, SendResult r,
                                    std::mt19937_64& rng);
  void refresh_gauges();
  void idle_wait();

  store::MessageStore& store_;
  Transport& transport_;
  const Clock& clock_;
  DeliveryStats* stats_;
  DeliveryOptions options_;

  std::mutex claim_mutex_;  // claim() is atomic across threads
  std::set<std::int64_t> in_flight_;

  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  std::uint64_t wakes_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> gauges_at_{0};
  std::vector<std::thread> threads_;
};

}  // namespace gw::routing
