// AuditLog: the durable, tamper-evident audit writer. One thread takes every queued record,
// numbers and chains them, writes them in one transaction and commits (one fsync for many:
// group commit), then completes each append. Also purge (retention) and signed checkpoints.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/audit/chain.hpp"
#include "gateway/audit/query.hpp"
#include "gateway/audit/record.hpp"
#include "gateway/audit/sqlite/audit_store.hpp"
#include "gateway/audit/verify.hpp"
#include "gateway/core/clock.hpp"
#include "gateway/core/error.hpp"

namespace gw::audit {

/** AuditLogOptions: where the log lives and how the writer behaves (config: `audit:`). */
struct AuditLogOptions {
  std::filesystem::path data_dir;  // audit.db goes in <data_dir>/db/
  std::filesystem::path key_file;  // empty: <data_dir>/keys/audit-ed25519.pem
  std::string node_id = "caregw-1";
  std::size_t queue_bound = 65536;  // appends beyond this many waiting fail with kUnavailable
  std::size_t max_batch = 8192;     // records per transaction at most
  std::uint64_t checkpoint_every = 10000;                 // records between periodic checkpoints
  std::chrono::milliseconds checkpoint_interval{60'000};  // ... or this long, if any new record
  std::chrono::milliseconds retry_interval{1'000};        // after a failed write: probe this often
  /**
   * discard: append() completes at once and nothing is written: the "audit off" baseline of
   * bench/audit-run, set only in the benchmark build `caregw-audit-off` (bench/CMakeLists.txt,
   * CAREGW_BENCH_AUDIT_OFF). No config key or command line of caregw reaches it.
   */
  bool discard = false;
};

/** default_key_file: <data_dir>/keys/audit-ed25519.pem. */
[[nodiscard]] std::filesystem::path default_key_file(const std::filesystem::path& data_dir);

/** PurgeReport: what a purge removed and where its archive is. */
struct PurgeReport {
  std::uint64_t first_seq = 0;  // first record removed (0: nothing was due)
  std::uint64_t last_seq = 0;   // last record removed (the purge checkpoint's seq)
  std::uint64_t removed = 0;
  std::filesystem::path archive;       // the CSV of the removed records (with their hashes)
  std::filesystem::path archive_meta;  // <archive>.json: chain ends, signed anchor, public key
  std::uint64_t audit_seq = 0;         // the audit-purge record that records the purge
};

/** ArchiveReport: result of verify_archive. */
struct ArchiveReport {
  bool ok = true;
  std::uint64_t count = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::string problem;
};

/** LogStats: counters for metrics. */
struct LogStats {
  std::uint64_t appended = 0;  // records committed
  std::uint64_t batches = 0;   // transactions committed
  std::uint64_t refused = 0;   // appends refused (queue full or store failing)
  std::uint64_t failed = 0;    // appends that failed at commit
  std::uint64_t checkpoints = 0;
};

/**
 * AuditLog: the writer (one per process). append() never blocks on disk: it queues and returns;
 * `done` runs on the writer thread once the record is durable (COMMIT with synchronous=FULL),
 * with the record's seq, or with kUnavailable if it could not be written.
 *
 * Fail closed: when the queue is full or the store has failed a write, append() refuses at
 * once (done(kUnavailable) before append() returns, on the caller's thread): the gateway then
 * answers 503 rather than serve without audit. The writer probes the store every
 * retry_interval and accepts appends again once a write succeeds.
 *
 * Several processes may write the same audit.db (e.g. the server and `caregw audit` commands):
 * each transaction reads the chain head inside its write lock, so the chain stays one history.
 *
 * Thread safety: every public member may be called from any thread. Do not call append_sync()
 * or close() from inside a `done` callback (they wait for the writer thread).
 */
class AuditLog {
public:
  using Done = std::function<void(Result<std::uint64_t>)>;

  /**
   * open: opens (creates) audit.db and the audit key (created 0600 on first start), reads the
   * chain head, and starts the writer thread. @return kUnavailable if either cannot be opened.
   */
  [[nodiscard]] static Result<std::unique_ptr<AuditLog>> open(AuditLogOptions options,
                                                              const Clock& clock);
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;
  /** ~AuditLog: close(). */
  ~AuditLog();

  /**
   * append: queues `r` (seq is assigned; recorded_us, if 0, is now; node_id, if empty, the
   * node's). `done` is called exactly once: on the writer thread after commit, or at once on
   * the caller's thread if the record is refused (kBadRequest: invalid record, naming the
   * field; kUnavailable: queue full, store failing, or the log is closed).
   */
  void append(AuditRecord r, Done done);
  /** append_sync: append and wait until durable (CLI, tests). @return the seq or the error. */
  [[nodiscard]] Result<std::uint64_t> append_sync(AuditRecord r);

  /** close: stops accepting, writes what is queued, a shutdown checkpoint, joins. Idempotent. */
  void close();

  /** healthy: false while the store is failing writes (appends are refused). */
  [[nodiscard]] bool healthy() const { return healthy_.load(); }
  [[nodiscard]] const AuditKey& key() const { return key_; }
  [[nodiscard]] const AuditLogOptions& options() const { return options_; }
  [[nodiscard]] LogStats stats() const;

  /** checkpoint_now: writes a signed periodic checkpoint of the current head (if any record). */
  [[nodiscard]] Result<std::optional<Checkpoint>> checkpoint_now();
  /** checkpoints: every checkpoint, in the order written. */
  [[nodiscard]] Result<std::vector<Checkpoint>> checkpoints();
  /** query: one page (a read connection; never waits for the writer). */
  [[nodiscard]] Result<Page> query(const QueryFilter& filter, const PageRequest& page);
  /** get: one record by seq. */
  [[nodiscard]] Result<StoredRecord> get(std::uint64_t seq);
  /**
   * with_reader: runs `f(AuditStore&)` on the read-only connection (reports), serialised with
   * the other reads. @return what `f` returns.
   */
  template <class F>
  auto with_reader(F&& f) {
    std::lock_guard lk(reader_mutex_);
    return std::forward<F>(f)(reader_);
  }
  /** verify: verify_chain on a read connection. */
  [[nodiscard]] Result<VerifyReport> verify(const std::vector<Checkpoint>& lodged = {});

  /**
   * purge: retention. Removes the longest prefix of records all recorded before `before_us`:
   * first writes them (with their hashes) to `archive` (CSV, fsync'd) and `archive`.json (the
   * previous hash, last hash, signed purge checkpoint and public key), then in one transaction
   * writes a signed purge checkpoint anchoring what remains and deletes them; then appends an
   * audit-purge record naming `actor`. verify() still passes afterwards, and verify_archive()
   * proves the archive. Appends wait (queue) while it runs. @return kConflict if `archive`
   * exists; kUnavailable if it cannot be written.
   */
  [[nodiscard]] Result<PurgeReport> purge(std::int64_t before_us,
                                          const std::filesystem::path& archive,
                                          const std::string& actor);

private:
  struct Pending {
    // Encoded on the appending thread, so the writer thread only numbers, hashes and inserts;
    // the record itself stays (and is freed) there. The writer's columns come from `body`.
    std::string body;            // canonical_body(record)
    std::string disclosed_json;  // disclosed_column(record): the JSON, or a reference to `list`
    // The prepared list a reference names: the writer keeps it (once per transaction) in the same
    // transaction as the record. Null when the column holds the JSON itself.
    std::shared_ptr<const PreparedDisclosures> list;
    std::string withheld_json;
    Done done;
    std::uint64_t seq = 0;  // set by the writer
  };

  AuditLog(AuditLogOptions options, const Clock& clock, AuditKey key, AuditStore writer,
           AuditStore reader);
  void run();
  void write_batch(std::vector<Pending>& batch);
  [[nodiscard]] Result<void> commit_batch(std::vector<Pending>& batch, ChainHead& head);
  [[nodiscard]] Result<void> add_checkpoint(CheckpointKind kind, const ChainHead& head);
  void fail_all(std::vector<Pending>& batch, const Error& e);
  [[nodiscard]] bool checkpoint_due() const;
  [[nodiscard]] std::int64_t now_us() const;

  AuditLogOptions options_;
  const Clock& clock_;
  AuditKey key_;

  std::mutex store_mutex_;  // the writer connection: the writer thread, purge, checkpoint_now
  AuditStore writer_;
  std::mutex reader_mutex_;
  AuditStore reader_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<bool> healthy_{true};

  // Writer-thread state (under store_mutex_).
  std::uint64_t since_checkpoint_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_;
  std::uint64_t checkpointed_seq_ = 0;

  std::atomic<std::uint64_t> appended_{0}, batches_{0}, refused_{0}, failed_{0}, checkpoints_{0};
  std::atomic<std::uint64_t> discarded_{0};  // options_.discard: appends completed unwritten
  std::thread thread_;
  std::once_flag closed_;
};

/**
 * verify_archive: checks a purge archive: the CSV's records chain from the meta file's
 * prev_hash to its last_hash, seq numbers run on, and the signed purge checkpoint in the meta
 * file (under its public key, which must be `key`'s if given) vouches for last_hash.
 */
[[nodiscard]] Result<ArchiveReport> verify_archive(const std::filesystem::path& archive,
                                                   const AuditKey* key = nullptr);

}  // namespace gw::audit
