// DeliveryWorker: claim a batch of due messages, send, record the outcomes durably, repeat;
// sleep until woken, the next due time or the idle poll when there is nothing to do.
#include "gateway/routing/delivery_worker.hpp"

#include <algorithm>
#include <map>

namespace gw::routing {

DeliveryWorker::DeliveryWorker(store::MessageStore& store, Transport& transport, const Clock& clock,
                               DeliveryStats* stats, DeliveryOptions options)
    : store_(store), transport_(transport), clock_(clock), stats_(stats), options_(options) {
  options_.batch = std::clamp<std::size_t>(options_.batch, 1, store::kMaxOutboxPage / 2);
  options_.threads = std::max(1U, options_.threads);
}

DeliveryWorker::~DeliveryWorker() { stop(); }

void DeliveryWorker::start() {
  if (!threads_.empty()) {
    return;
  }
  stopping_ = false;
  for (unsigned i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this, i] { loop(i); });
  }
}

void DeliveryWorker::stop() {
  stopping_ = true;
  wake();
  for (auto& t : threads_) {
    t.join();
  }
  threads_.clear();
}

void DeliveryWorker::wake() {
  {
    std::lock_guard lock(wake_mutex_);
    ++wakes_;
  }
  wake_cv_.notify_all();
}

Result<std::vector<store::OutboxEntry>> DeliveryWorker::claim() {
  std::lock_guard lock(claim_mutex_);
  // Messages other threads hold are passed over in the index, before their rows are read.
  auto due = store_.due(clock_.now(), options_.batch,
                        [this](store::OutboxId id) { return in_flight_.contains(id.value); });
  if (!due) {
    return due.error();
  }
  for (const auto& m : *due) {
    in_flight_.insert(m.id.value);
  }
  return due;
}

void DeliveryWorker::release(const std::vector<store::OutboxEntry>& batch) {
  std::lock_guard lock(claim_mutex_);
  for (const auto& m : batch) {
    in_flight_.erase(m.id.value);
  }
}

store::DeliveryOutcome DeliveryWorker::outcome_of(const store::OutboxEntry& m, SendResult r,
                                                  std::mt19937_64& rng) {
  if (r.status == SendStatus::kDelivered && options_.read_answer) {
    if (auto answered = options_.read_answer(m, r)) {
      r = std::move(*answered);
    }
  }
  const auto now = clock_.now();
  const std::string_view recipient = m.recipient.str();
  if (stats_ != nullptr) {
    stats_->attempt_seconds.with({}).observe(std::chrono::duration<double>(r.took).count());
  }
  store::DeliveryOutcome o{m.id, r.status == SendStatus::kDelivered, r.error, std::nullopt, now};
  if (o.delivered) {
    if (stats_ != nullptr) {
      stats_->deliveries.with({recipient}).inc();
    }
    return o;
  }
  if (r.status == SendStatus::kRetry) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto since = m.replayed_at.value_or(m.queued_at);
    o.retry_at = next_attempt(options_.retry, m.attempts + 1, since, now, unit(rng));
  }
  if (stats_ != nullptr) {
    (o.retry_at ? stats_->retries : stats_->dead_lettered).with({recipient}).inc();
  }
  return o;
}

std::vector<store::DeliveryOutcome> DeliveryWorker::send_batch(
    const std::vector<store::OutboxEntry>& batch) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // The transport sends the batch (several at once where it can: each message heads its own
  // line, so order within the batch does not matter). A recipient that just failed is not
  // tried again in this batch: its other messages come back untried and are put back for the
  // time its failed one will be retried, so a recipient that is down (or slow to time out)
  // costs about one attempt per batch, not one per message, and does not hold up the rest.
  auto sent = transport_.send_all(batch);
  sent.resize(batch.size());
  std::vector<std::optional<store::DeliveryOutcome>> tried(batch.size());
  std::map<std::string, store::TimePoint, std::less<>> failing;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!sent[i]) {
      continue;
    }
    const bool retry = sent[i]->status == SendStatus::kRetry;
    tried[i] = outcome_of(batch[i], std::move(*sent[i]), rng);
    if (retry) {
      // Out of attempts (a dead letter): the rest go again on the next pass.
      failing.emplace(batch[i].recipient.str(), tried[i]->retry_at.value_or(clock_.now()));
    }
  }
  std::vector<store::DeliveryOutcome> outcomes;
  outcomes.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (tried[i]) {
      outcomes.push_back(std::move(*tried[i]));
      continue;
    }
    const auto f = failing.find(batch[i].recipient.str());
    store::DeliveryOutcome o{
        batch[i].id, false, {}, f != failing.end() ? f->second : clock_.now(), clock_.now()};
    o.deferred = true;
    outcomes.push_back(std::move(o));
  }
  return outcomes;
}

Result<std::size_t> DeliveryWorker::run_once() {
  auto batch = claim();
  if (!batch) {
    return batch.error();
  }
  if (batch->empty()) {
    return 0;
  }
  auto outcomes = send_batch(*batch);
  auto recorded = store_.record_outcomes(outcomes);
  // Released only after the outcomes are durable, so no other thread sends a message twice.
  release(*batch);
  if (!recorded) {
    return recorded.error();  // sent again on a later pass, with the same idempotency key
  }
  if (options_.on_recorded) {
    std::vector<store::OutboxEntry> sent;
    std::vector<store::DeliveryOutcome> done;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (!outcomes[i].deferred) {
        sent.push_back((*batch)[i]);
        done.push_back(outcomes[i]);
      }
    }
    if (!done.empty()) {
      options_.on_recorded(sent, done);
    }
  }
  return batch->size();
}

void DeliveryWorker::refresh_gauges() {
  if (stats_ == nullptr) {
    return;
  }
  const auto now = clock_.now();
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto last = gauges_at_.load();
  if (now_ms - last < options_.queue_gauges_every.count() ||
      !gauges_at_.compare_exchange_strong(last, now_ms)) {
    return;
  }
  if (auto q = store_.queues(); q) {
    stats_->set_queues(*q, now);
  }
}

void DeliveryWorker::idle_wait() {
  auto wait = options_.idle_poll;
  if (auto next = store_.next_due(); next && *next) {
    const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(**next - clock_.now());
    wait = std::clamp(until, std::chrono::milliseconds(1), options_.idle_poll);
  }
  std::unique_lock lock(wake_mutex_);
  const auto seen = wakes_;
  wake_cv_.wait_for(lock, wait, [&] { return stopping_.load() || wakes_ != seen; });
}

void DeliveryWorker::loop(unsigned /*index*/) {
  while (!stopping_) {
    refresh_gauges();
    auto n = run_once();
    if (!n || *n == 0) {
      idle_wait();
    }
  }
}

}  // namespace gw::routing
