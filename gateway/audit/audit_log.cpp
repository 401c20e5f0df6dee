// The group-commit writer, checkpoints, purge with a verifiable archive.
#include "gateway/audit/audit_log.hpp"

#include <cerrno>
#include <fstream>
#include <future>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unordered_set>

#include <fcntl.h>
#include <unistd.h>

#include "gateway/audit/export.hpp"
#include "gateway/core/log.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/try.hpp"

namespace gw::audit {
namespace {

using store::sqlite::Transaction;

Error unavailable(std::string detail) { return make_error(Errc::kUnavailable, std::move(detail)); }

/** write_file_durably: creates `file` (refusing to overwrite), writes, fsyncs, mode 0600. */
Result<void> write_file_durably(const std::filesystem::path& file, std::string_view text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return make_error(Errc::kConflict, "audit: " + file.string() + " exists already");
    }
    return unavailable("audit: cannot create " + file.string() + ": " +
                       std::error_code(errno, std::generic_category()).message());
  }
  std::size_t off = 0;
  bool ok = true;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n <= 0) {
      ok = false;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    return unavailable("audit: cannot write " + file.string());
  }
  return {};
}

Result<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    return make_error(Errc::kNotFound, "audit: cannot read " + file.string());
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

std::filesystem::path default_key_file(const std::filesystem::path& data_dir) {
  return data_dir / "keys" / "audit-ed25519.pem";
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(AuditLogOptions options, const Clock& clock) {
  if (options.key_file.empty()) {
    options.key_file = default_key_file(options.data_dir);
  }
  options.queue_bound = std::max<std::size_t>(options.queue_bound, 1);
  options.max_batch = std::max<std::size_t>(options.max_batch, 1);
  GW_STORE_ASSIGN(auto key, AuditKey::load_or_create(options.key_file));
  GW_STORE_ASSIGN(auto writer, AuditStore::open(options.data_dir));
  store::sqlite::OpenOptions ro;
  ro.read_only = true;
  GW_STORE_ASSIGN(auto reader, AuditStore::open(options.data_dir, ro));
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(options), clock, std::move(key),
                                             std::move(writer), std::move(reader)));
  {
    GW_STORE_ASSIGN(auto cp, log->writer_.latest_checkpoint());
    GW_STORE_ASSIGN(auto head, log->writer_.head());
    log->checkpointed_seq_ = cp ? cp->seq : 0;
    log->since_checkpoint_ = head.seq - std::min(head.seq, log->checkpointed_seq_);
  }
  log->thread_ = std::thread([p = log.get()] { p->run(); });
  return log;
}

AuditLog::AuditLog(AuditLogOptions options, const Clock& clock, AuditKey key, AuditStore writer,
                   AuditStore reader)
    : options_(std::move(options)),
      clock_(clock),
      key_(std::move(key)),
      writer_(std::move(writer)),
      reader_(std::move(reader)),
      last_checkpoint_(clock.steady_now()) {}

AuditLog::~AuditLog() { close(); }

std::int64_t AuditLog::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock_.now().time_since_epoch())
      .count();
}

void AuditLog::append(AuditRecord r, Done done) {
  if (options_.discard) {
    done(++discarded_);
    return;
  }
  if (auto v = validate_record(r); !v) {
    done(v.error());
    return;
  }
  if (!healthy_.load()) {
    ++refused_;
    done(
        unavailable("audit: the audit store cannot write; refusing rather than serving "
                    "without audit"));
    return;
  }
  // Encoded here, on the appending thread, so the writer thread only numbers, hashes and inserts.
  r.seq = 0;
  if (r.recorded_us == 0) {
    r.recorded_us = now_us();
  }
  if (r.node_id.empty()) {
    r.node_id = options_.node_id;
  }
  Pending p;
  p.body = canonical_body(r);
  p.disclosed_json = disclosed_column(r);
  if (stored_by_reference(r.prepared_disclosed.get())) {
    p.list = std::move(r.prepared_disclosed);
  }
  p.withheld_json = encode_withheld(r.withheld);
  p.done = std::move(done);
  {
    std::lock_guard lk(queue_mutex_);
    if (!stopping_ && queue_.size() < options_.queue_bound) {
      queue_.push_back(std::move(p));
      queue_cv_.notify_one();
      return;
    }
  }
  ++refused_;
  p.done(unavailable("audit: the audit queue is full or closed"));
}

Result<std::uint64_t> AuditLog::append_sync(AuditRecord r) {
  std::promise<Result<std::uint64_t>> p;
  auto f = p.get_future();
  append(std::move(r), [&p](Result<std::uint64_t> res) { p.set_value(std::move(res)); });
  return f.get();
}

void AuditLog::close() {
  std::call_once(closed_, [this] {
    {
      std::lock_guard lk(queue_mutex_);
      stopping_ = true;
      queue_cv_.notify_all();
    }
    if (thread_.joinable()) {
      thread_.join();
    }
  });
}

LogStats AuditLog::stats() const {
  return {appended_.load(), batches_.load(), refused_.load(), failed_.load(), checkpoints_.load()};
}

bool AuditLog::checkpoint_due() const {
  return since_checkpoint_ > 0 &&
         (since_checkpoint_ >= options_.checkpoint_every ||
          clock_.steady_now() - last_checkpoint_ >= options_.checkpoint_interval);
}

void AuditLog::run() {
  for (;;) {
    std::vector<Pending> batch;
    bool stop = false;
    std::chrono::steady_clock::time_point deadline;
    bool timed = false;
    {
      std::lock_guard slk(store_mutex_);
      if (!healthy_.load()) {
        deadline = std::chrono::steady_clock::now() + options_.retry_interval;
        timed = true;
      } else if (since_checkpoint_ > 0) {
        // The fake clock in tests may not advance: never sleep past the real interval either.
        deadline = std::chrono::steady_clock::now() + options_.checkpoint_interval;
        timed = true;
      }
    }
    {
      std::unique_lock lk(queue_mutex_);
      auto ready = [this] { return !queue_.empty() || stopping_; };
      if (timed) {
        queue_cv_.wait_until(lk, deadline, ready);
      } else {
        queue_cv_.wait(lk, ready);
      }
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stop = stopping_ && queue_.empty() && batch.empty();
    }
    if (!healthy_.load()) {
      fail_all(batch, unavailable("audit: the audit store cannot write"));
      std::lock_guard slk(store_mutex_);
      if (writer_.probe_write(now_us())) {
        healthy_ = true;
        log::warn("audit_store_recovered");
      }
      if (stop) {
        break;
      }
      continue;
    }
    if (!batch.empty()) {
      write_batch(batch);
      continue;
    }
    std::lock_guard slk(store_mutex_);
    if (stop) {
      if (since_checkpoint_ > 0) {
        if (auto head = writer_.head()) {
          (void)add_checkpoint(CheckpointKind::kShutdown, *head);
        }
      }
      break;
    }
    if (checkpoint_due()) {
      if (auto head = writer_.head()) {
        if (auto c = add_checkpoint(CheckpointKind::kPeriodic, *head); !c) {
          log::error("audit_checkpoint_failed", {{"error", c.error().detail}});
        }
      }
    }
  }
}

void AuditLog::fail_all(std::vector<Pending>& batch, const Error& e) {
  for (auto& p : batch) {
    ++failed_;
    p.done(e);
  }
  batch.clear();
}

void AuditLog::write_batch(std::vector<Pending>& batch) {
  ChainHead head;
  Result<void> r;
  {
    std::lock_guard slk(store_mutex_);
    r = commit_batch(batch, head);
  }
  if (!r) {
    healthy_ = false;
    log::error("audit_store_write_failed",
               {{"error", r.error().detail}, {"records", static_cast<std::int64_t>(batch.size())}});
    fail_all(batch, unavailable("audit: the audit store cannot write: " + r.error().detail));
    return;
  }
  appended_ += batch.size();
  ++batches_;
  for (auto& p : batch) {
    p.done(p.seq);
  }
}

Result<void> AuditLog::commit_batch(std::vector<Pending>& batch, ChainHead& head) {
  GW_STORE_ASSIGN(auto tx, Transaction::begin(writer_.db()));
  // Read inside the write lock: another process may have appended since our last batch.
  GW_STORE_ASSIGN(head, writer_.head());
  // The lists this transaction has kept: each once, however many of the batch's records repeat
  // it. Not remembered across transactions: a purge (this process's or another's) may remove a
  // list between them, and the INSERT OR IGNORE of a kept list only looks it up.
  std::unordered_set<std::string_view> lists;
  for (auto& p : batch) {
    const auto cols = body_columns(p.body);
    if (!cols) {
      return make_error(Errc::kInternal, "audit: a queued record's encoding does not read back");
    }
    if (p.list && lists.insert(p.list->digest).second) {
      GW_STORE_TRY(writer_.insert_disclosed_list(*p.list));
    }
    p.seq = ++head.seq;
    const Hash h = chain_hash(head.hash, p.seq, p.body);
    GW_STORE_TRY(writer_.insert_body(p.seq, *cols, h, p.disclosed_json, p.withheld_json));
    head.hash = h;
  }
  since_checkpoint_ += batch.size();
  bool cp = false;
  if (checkpoint_due()) {
    Checkpoint c =
        make_checkpoint(CheckpointKind::kPeriodic, head.seq, head.hash, now_us(), options_.node_id);
    if (auto s = sign_checkpoint(key_, c); !s) {
      since_checkpoint_ -= batch.size();
      return s;
    }
    if (auto ins = writer_.insert_checkpoint(c); !ins) {
      since_checkpoint_ -= batch.size();
      return ins;
    }
    cp = true;
  }
  if (auto c = tx.commit(); !c) {
    since_checkpoint_ -= batch.size();
    return c;
  }
  if (cp) {
    since_checkpoint_ = 0;
    checkpointed_seq_ = head.seq;
    last_checkpoint_ = clock_.steady_now();
    ++checkpoints_;
  }
  return {};
}

Result<void> AuditLog::add_checkpoint(CheckpointKind kind, const ChainHead& head) {
  if (head.seq == 0) {
    return {};
  }
  Checkpoint c = make_checkpoint(kind, head.seq, head.hash, now_us(), options_.node_id);
  GW_STORE_TRY(sign_checkpoint(key_, c));
  GW_STORE_ASSIGN(auto tx, Transaction::begin(writer_.db()));
  GW_STORE_TRY(writer_.insert_checkpoint(c));
  GW_STORE_TRY(tx.commit());
  since_checkpoint_ = 0;
  checkpointed_seq_ = head.seq;
  last_checkpoint_ = clock_.steady_now();
  ++checkpoints_;
  return {};
}

Result<std::optional<Checkpoint>> AuditLog::checkpoint_now() {
  std::lock_guard slk(store_mutex_);
  GW_STORE_ASSIGN(auto head, writer_.head());
  if (head.seq == 0) {
    return std::optional<Checkpoint>{};
  }
  GW_STORE_TRY(add_checkpoint(CheckpointKind::kPeriodic, head));
  GW_STORE_ASSIGN(auto cp, writer_.latest_checkpoint());
  return cp;
}

Result<std::vector<Checkpoint>> AuditLog::checkpoints() {
  std::lock_guard lk(reader_mutex_);
  return reader_.checkpoints();
}

Result<Page> AuditLog::query(const QueryFilter& filter, const PageRequest& page) {
  std::lock_guard lk(reader_mutex_);
  auto tx = Transaction::begin(reader_.db(), store::sqlite::TransactionMode::kDeferred);
  if (!tx) {
    return tx.error();
  }
  return reader_.query(filter, page);
}

Result<StoredRecord> AuditLog::get(std::uint64_t seq) {
  std::lock_guard lk(reader_mutex_);
  return reader_.get(seq);
}

Result<VerifyReport> AuditLog::verify(const std::vector<Checkpoint>& lodged) {
  std::lock_guard lk(reader_mutex_);
  return verify_chain(reader_, key_, lodged);
}

Result<PurgeReport> AuditLog::purge(std::int64_t before_us, const std::filesystem::path& archive,
                                    const std::string& actor) {
  PurgeReport rep;
  rep.archive = archive;
  rep.archive_meta = archive.string() + ".json";
  std::error_code ec;
  if (std::filesystem::exists(rep.archive, ec) || std::filesystem::exists(rep.archive_meta, ec)) {
    return make_error(Errc::kConflict, "audit: the archive " + archive.string() +
                                           " exists already; choose a new file");
  }
  {
    std::lock_guard slk(store_mutex_);
    GW_STORE_ASSIGN(auto tx, Transaction::begin(writer_.db()));
    GW_STORE_ASSIGN(auto anchor, writer_.latest_purge_anchor());
    const std::uint64_t start = anchor ? anchor->seq + 1 : 1;
    GW_STORE_ASSIGN(const std::uint64_t last, writer_.last_seq_before(before_us));
    if (last < start) {
      return rep;  // nothing is past retention
    }
    // The archive: every record with its hash, and the chain ends it must join.
    std::string csv = csv_header();
    Hash prev = anchor ? anchor->head : kGenesisHash;
    const Hash first_prev = prev;
    std::uint64_t expected = start;
    std::optional<Error> broken;
    GW_STORE_TRY(writer_.scan(start, [&](const StoredRecord& s) {
      if (s.record.seq > last) {
        return false;
      }
      if (s.record.seq != expected || !s.unreadable.empty() ||
          chain_hash(prev, canonical_bytes(s.record)) != s.hash) {
        broken = make_error(Errc::kInternal, "audit: record " + std::to_string(expected) +
                                                 " does not verify; run caregw audit verify "
                                                 "before purging");
        return false;
      }
      csv += csv_row(s);
      prev = s.hash;
      ++expected;
      return true;
    }));
    if (broken) {
      return *broken;
    }
    Checkpoint cp = make_checkpoint(CheckpointKind::kPurge, last, prev, now_us(), options_.node_id);
    GW_STORE_TRY(sign_checkpoint(key_, cp));
    rapidjson::Document meta(rapidjson::kObjectType);
    auto& a = meta.GetAllocator();
    auto str = [&a](const std::string& s) {
      return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
    };
    meta.AddMember("format", "caregw-audit-archive/1", a);
    meta.AddMember("first_seq", static_cast<std::uint64_t>(start), a);
    meta.AddMember("last_seq", static_cast<std::uint64_t>(last), a);
    meta.AddMember("prev_hash", str(to_hex(first_prev)), a);
    meta.AddMember("last_hash", str(to_hex(prev)), a);
    meta.AddMember("csv_sha256", str(sha256_hex(csv)), a);
    meta.AddMember("checkpoint", str(checkpoints_to_json({cp}, key_)), a);
    GW_STORE_TRY(write_file_durably(archive, csv));
    GW_STORE_TRY(write_file_durably(rep.archive_meta, fhir::to_json(meta, true)));
    GW_STORE_TRY(writer_.insert_checkpoint(cp));
    GW_STORE_ASSIGN(rep.removed, writer_.delete_through(last));
    GW_STORE_TRY(tx.commit());
    rep.first_seq = start;
    rep.last_seq = last;
  }
  AuditRecord r;
  r.type = EventType::kAuditPurge;
  r.user_id = actor;
  r.detail = "purged records " + std::to_string(rep.first_seq) + ".." +
             std::to_string(rep.last_seq) + " (" + std::to_string(rep.removed) +
             ") recorded before " + format_time_utc(before_us) + "; archive " +
             rep.archive.filename().string();
  GW_STORE_ASSIGN(rep.audit_seq, append_sync(std::move(r)));
  return rep;
}

Result<ArchiveReport> verify_archive(const std::filesystem::path& archive, const AuditKey* key) {
  ArchiveReport rep;
  auto fail = [&rep](std::uint64_t seq, std::string problem) {
    rep.ok = false;
    rep.last_seq = seq;
    rep.problem = std::move(problem);
    return rep;
  };
  GW_STORE_ASSIGN(auto csv, read_file(archive));
  GW_STORE_ASSIGN(auto meta_text, read_file(archive.string() + ".json"));
  GW_STORE_ASSIGN(auto meta, fhir::parse_json(meta_text));
  if (!meta.IsObject() || !meta.HasMember("prev_hash") || !meta.HasMember("last_hash") ||
      !meta.HasMember("checkpoint") || !meta["checkpoint"].IsString() ||
      !meta["prev_hash"].IsString() || !meta["last_hash"].IsString()) {
    return make_error(Errc::kBadRequest, "audit: not a caregw audit archive");
  }
  auto prev = hash_from_hex(meta["prev_hash"].GetString());
  auto last = hash_from_hex(meta["last_hash"].GetString());
  GW_STORE_ASSIGN(auto cps, checkpoints_from_json(meta["checkpoint"].GetString()));
  GW_STORE_ASSIGN(auto cp_doc, fhir::parse_json(meta["checkpoint"].GetString()));
  if (!prev || !last || cps.size() != 1 || !cp_doc.HasMember("public_key") ||
      !cp_doc["public_key"].IsString()) {
    return make_error(Errc::kBadRequest, "audit: the archive's meta file is malformed");
  }
  GW_STORE_ASSIGN(auto pub, AuditKey::load_public(cp_doc["public_key"].GetString()));
  if (key != nullptr && pub.key_id() != key->key_id()) {
    return fail(0, "the archive was signed by another audit key");
  }
  if (!checkpoint_signature_ok(pub, cps[0]) || cps[0].head != *last) {
    return fail(cps[0].seq,
                "the archive's purge checkpoint is not validly signed for its last "
                "hash");
  }
  if (meta.HasMember("csv_sha256") && meta["csv_sha256"].IsString() &&
      sha256_hex(csv) != meta["csv_sha256"].GetString()) {
    // Not the file that was archived; the chain walk below says which record differs.
    rep.problem = "the CSV is not the one archived (its SHA-256 differs)";
  }
  GW_STORE_ASSIGN(auto rows, read_csv(csv));
  Hash h = *prev;
  std::uint64_t expected = rows.empty() ? 0 : rows.front().record.seq;
  for (const auto& s : rows) {
    if (s.record.seq != expected) {
      return fail(expected, "record " + std::to_string(expected) + " is missing from the archive");
    }
    h = chain_hash(h, canonical_bytes(s.record));
    if (h != s.hash) {
      return fail(s.record.seq, "record " + std::to_string(s.record.seq) +
                                    " in the archive does not match its chain hash");
    }
    if (rep.count == 0) {
      rep.first_seq = s.record.seq;
    }
    ++rep.count;
    ++expected;
  }
  if (h != *last || (rows.empty() ? 0 : rows.back().record.seq) != cps[0].seq) {
    return fail(expected,
                "the archive does not end at the record its checkpoint signed "
                "(truncated)");
  }
  rep.last_seq = expected - 1;
  if (!rep.problem.empty()) {
    rep.ok = false;  // the records chain, but the file differs (e.g. reformatted)
  }
  return rep;
}

}  // namespace gw::audit
