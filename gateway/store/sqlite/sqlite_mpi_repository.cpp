// SqliteMpiRepository: reads on the read-only connection in a short read transaction (one
// snapshot per call); writes through SqliteMpiTransaction, each call inside a savepoint.
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"

#include <utility>

#include "gateway/store/sqlite/store_database.hpp"

namespace gw::store::sqlite {
namespace {

using detail::MpiQueries;

/**
 * SqliteMpiTransaction: BEGIN IMMEDIATE on the writer connection, held (with its mutex) until
 * commit or destruction. Each write runs in a savepoint so a failed call changes nothing.
 */
class SqliteMpiTransaction final : public MpiTransaction {
public:
  using Gate = SqliteMpiRepository::WriterGate;

  /** Lease: holds the writer gate until released or destroyed. */
  class Lease {
  public:
    explicit Lease(Gate* gate) : gate_(gate) {}
    Lease(Lease&& o) noexcept : gate_(std::exchange(o.gate_, nullptr)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { release(); }
    void release() {
      if (gate_ != nullptr) {
        std::exchange(gate_, nullptr)->release();
      }
    }

  private:
    Gate* gate_;
  };

  SqliteMpiTransaction(Lease lease, Transaction tx, Database& db, MpiQueries& q)
      : lease_(std::move(lease)), tx_(std::move(tx)), db_(db), q_(q) {}

  // Reads: see this transaction's own writes.
  Result<std::optional<Person>> find_by_nhs_number(const NhsNumber& n) override {
    return read([&] { return q_.find_by_nhs_number(n); });
  }
  Result<std::optional<Person>> find_by_local_id(const LocalId& id) override {
    return read([&] { return q_.find_by_local_id(id); });
  }
  Result<std::optional<Person>> get_person(PersonId id) override {
    return read([&] { return q_.get_person(id); });
  }
  Result<PersonId> resolve(PersonId id) override {
    return read([&] { return q_.resolve(id); });
  }
  Result<std::optional<PersonView>> person_view(PersonId id) override {
    return read([&] { return q_.person_view(id); });
  }
  Result<std::vector<LocalIdentifierRecord>> local_identifiers(PersonId id) override {
    return read([&] { return q_.local_identifiers(id); });
  }
  Result<std::vector<Link>> links(PersonId id) override {
    return read([&] { return q_.links(id); });
  }
  Result<std::vector<DemographicsVersion>> demographics_history(PersonId id) override {
    return read([&] { return q_.demographics_history(id); });
  }
  Result<std::vector<DemographicsVersion>> current_demographics(PersonId id) override {
    return read([&] { return q_.current_demographics(id); });
  }
  Result<std::vector<NhsNumberChange>> nhs_number_history(PersonId id) override {
    return read([&] { return q_.nhs_number_history(id); });
  }
  Result<std::vector<MergeRecord>> merges(PersonId id) override {
    return read([&] { return q_.merges(id); });
  }
  Result<std::vector<PersonId>> candidates(const std::vector<std::string>& keys,
                                           std::size_t limit) override {
    return read([&] { return q_.candidates(keys, limit); });
  }
  Result<std::vector<ReviewItem>> list_review_items(const ReviewFilter& filter) override {
    return read([&] { return q_.list_review_items(filter); });
  }
  Result<std::optional<ReviewItem>> get_review_item(ReviewItemId id) override {
    return read([&] { return q_.get_review_item(id); });
  }
  Result<std::optional<ReviewInspection>> inspect_review_item(ReviewItemId id) override {
    return read([&] { return q_.inspect_review_item(id); });
  }
  Result<std::vector<ReviewItemId>> open_review_items_for(const LocalId& id) override {
    return read([&] { return q_.open_review_items_for(id); });
  }
  Result<std::vector<ReviewAction>> review_actions(ReviewItemId id) override {
    return read([&] { return q_.review_actions(id); });
  }

  // Writes.
  Result<PersonId> create_person(const NewPerson& p) override {
    return write([&] { return q_.create_person(p); });
  }
  Result<void> set_nhs_number(PersonId id, const NhsNumber& n, VerificationStatus status,
                              const OdsCode& source, const std::string& message_id) override {
    return write([&] { return q_.set_nhs_number(id, n, status, source, message_id); });
  }
  Result<LinkOutcome> link_local_identifier(const LocalId& id, PersonId person,
                                            const LinkProvenance& provenance) override {
    return write([&] { return q_.link_local_identifier(id, person, provenance); });
  }
  Result<void> relink_local_identifier(const LocalId& id, PersonId person,
                                       const LinkProvenance& provenance) override {
    return write([&] { return q_.relink_local_identifier(id, person, provenance); });
  }
  Result<DemographicsVersionId> add_demographics(PersonId person, const Demographics& data,
                                                 const DemographicsSource& source) override {
    return write([&] { return q_.add_demographics(person, data, source); });
  }
  Result<void> add_blocking_keys(PersonId person, const std::vector<std::string>& keys) override {
    return write([&] { return q_.add_blocking_keys(person, keys); });
  }
  Result<MergeId> merge(const MergeRequest& request) override {
    return write([&] { return q_.merge(request); });
  }
  Result<void> unmerge(PersonId superseded, const UnmergeRequest& request) override {
    return write([&] { return q_.unmerge(superseded, request); });
  }
  Result<ReviewItemId> open_review_item(const NewReviewItem& item) override {
    return write([&] { return q_.open_review_item(item); });
  }
  Result<void> add_review_action(ReviewItemId id, ReviewActionKind kind, const std::string& actor,
                                 const std::string& note) override {
    return write([&] { return q_.add_review_action(id, kind, actor, note); });
  }
  Result<void> resolve_review_item(ReviewItemId id, const ReviewResolution& resolution) override {
    return write([&] { return q_.resolve_review_item(id, resolution); });
  }

  Result<void> commit() override {
    if (auto r = check_active(); !r) {
      return r;
    }
    auto r = tx_.commit_before_sync();
    lease_.release();  // the next writer may begin while this commit's sync runs (and share it)
    if (!r) {
      return r;
    }
    return db_.wait_durable();
  }

private:
  Result<void> check_active() {
    if (!tx_.active()) {
      return make_error(Errc::kInternal, "store: the transaction is already finished");
    }
    if (!db_.in_transaction()) {
      // SQLite ends a transaction itself after some errors (disk full, I/O): nothing more may
      // run as if it were still open, or it would commit statement by statement.
      tx_.rollback();
      lease_.release();
      return make_error(Errc::kUnavailable,
                        "store: the database rolled the transaction back; retry the unit");
    }
    return {};
  }

  template <class F>
  auto read(F&& f) -> decltype(f()) {
    if (auto r = check_active(); !r) {
      return r.error();
    }
    return f();
  }

  template <class F>
  auto write(F&& f) -> decltype(f()) {
    if (auto r = check_active(); !r) {
      return r.error();
    }
    auto sp = Savepoint::begin(db_);
    if (!sp) {
      return sp.error();
    }
    auto r = f();
    if (!r) {
      return r;  // the savepoint's destructor undoes whatever the call had written
    }
    if (auto rel = sp->release(); !rel) {
      return rel.error();
    }
    return r;
  }

  // Declared first so it is released last, after tx_ has rolled back.
  Lease lease_;
  Transaction tx_;
  Database& db_;
  MpiQueries& q_;
};

}  // namespace

bool SqliteMpiRepository::WriterGate::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!released_.wait_for(lock, wait, [this] { return !taken_; })) {
    return false;
  }
  taken_ = true;
  return true;
}

void SqliteMpiRepository::WriterGate::release() {
  {
    std::lock_guard lock(mutex_);
    taken_ = false;
  }
  released_.notify_one();
}

SqliteMpiRepository::SqliteMpiRepository(std::unique_ptr<Connection> writer,
                                         std::unique_ptr<Connection> reader,
                                         const SqliteMpiOptions& options)
    : writer_(std::move(writer)), reader_(std::move(reader)), options_(options) {}

SqliteMpiRepository::~SqliteMpiRepository() = default;

Result<std::unique_ptr<SqliteMpiRepository>> SqliteMpiRepository::open_in_data_dir(
    const std::filesystem::path& data_dir, const Clock& clock, const SqliteMpiOptions& options) {
  OpenOptions writer_options = options.open;
  writer_options.read_only = false;
  auto writer = open_store_database(data_dir, writer_options);
  if (!writer) {
    return writer.error();
  }
  return with_writer(std::move(*writer), clock, options);
}

Result<std::unique_ptr<SqliteMpiRepository>> SqliteMpiRepository::open(
    const std::filesystem::path& file, const Clock& clock, const SqliteMpiOptions& options) {
  OpenOptions writer_options = options.open;
  writer_options.read_only = false;
  auto writer = open_store_file(file, writer_options);
  if (!writer) {
    return writer.error();
  }
  return with_writer(std::move(*writer), clock, options);
}

Result<std::unique_ptr<SqliteMpiRepository>> SqliteMpiRepository::with_writer(
    Database&& writer_db, const Clock& clock, const SqliteMpiOptions& options) {
  // The writer has migrated the file, so the reader finds the schema it expects.
  OpenOptions reader_options = options.open;
  reader_options.read_only = true;
  reader_options.create = false;
  auto reader_db = open_store_file(writer_db.path(), reader_options);
  if (!reader_db) {
    return reader_db.error();
  }
  auto writer = std::make_unique<Connection>(std::move(writer_db), clock);
  auto reader = std::make_unique<Connection>(std::move(*reader_db), clock);
  return std::unique_ptr<SqliteMpiRepository>(
      new SqliteMpiRepository(std::move(writer), std::move(reader), options));
}

Result<MpiTransactionPtr> SqliteMpiRepository::begin() {
  if (!writer_gate_.acquire(options_.writer_wait)) {
    return make_error(Errc::kUnavailable, "store: the MPI writer stayed busy; retry");
  }
  SqliteMpiTransaction::Lease lease(&writer_gate_);  // released on every path below
  auto tx = Transaction::begin(writer_->db, TransactionMode::kImmediate);
  if (!tx) {
    return tx.error();
  }
  return MpiTransactionPtr(std::make_unique<SqliteMpiTransaction>(std::move(lease), std::move(*tx),
                                                                  writer_->db, writer_->queries));
}

template <class F>
auto SqliteMpiRepository::read(F&& f) -> decltype(f(std::declval<detail::MpiQueries&>())) {
  std::lock_guard lock(reader_mutex_);
  // One read transaction per call: a call that runs several statements (following a merge
  // chain, a person view) sees one snapshot even while the writer commits.
  auto tx = Transaction::begin(reader_->db, TransactionMode::kDeferred);
  if (!tx) {
    return tx.error();
  }
  auto r = f(reader_->queries);
  if (!r) {
    return r;
  }
  if (auto c = tx->commit(); !c) {
    return c.error();
  }
  return r;
}

Result<std::optional<Person>> SqliteMpiRepository::find_by_nhs_number(const NhsNumber& n) {
  return read([&](MpiQueries& q) { return q.find_by_nhs_number(n); });
}
Result<std::optional<Person>> SqliteMpiRepository::find_by_local_id(const LocalId& id) {
  return read([&](MpiQueries& q) { return q.find_by_local_id(id); });
}
Result<std::optional<Person>> SqliteMpiRepository::get_person(PersonId id) {
  return read([&](MpiQueries& q) { return q.get_person(id); });
}
Result<PersonId> SqliteMpiRepository::resolve(PersonId id) {
  return read([&](MpiQueries& q) { return q.resolve(id); });
}
Result<std::optional<PersonView>> SqliteMpiRepository::person_view(PersonId id) {
  return read([&](MpiQueries& q) { return q.person_view(id); });
}
Result<std::vector<LocalIdentifierRecord>> SqliteMpiRepository::local_identifiers(PersonId id) {
  return read([&](MpiQueries& q) { return q.local_identifiers(id); });
}
Result<std::vector<Link>> SqliteMpiRepository::links(PersonId id) {
  return read([&](MpiQueries& q) { return q.links(id); });
}
Result<std::vector<DemographicsVersion>> SqliteMpiRepository::demographics_history(PersonId id) {
  return read([&](MpiQueries& q) { return q.demographics_history(id); });
}
Result<std::vector<DemographicsVersion>> SqliteMpiRepository::current_demographics(PersonId id) {
  return read([&](MpiQueries& q) { return q.current_demographics(id); });
}
Result<std::vector<NhsNumberChange>> SqliteMpiRepository::nhs_number_history(PersonId id) {
  return read([&](MpiQueries& q) { return q.nhs_number_history(id); });
}
Result<std::vector<MergeRecord>> SqliteMpiRepository::merges(PersonId id) {
  return read([&](MpiQueries& q) { return q.merges(id); });
}
Result<std::vector<PersonId>> SqliteMpiRepository::candidates(
    const std::vector<std::string>& blocking_keys, std::size_t limit) {
  return read([&](MpiQueries& q) { return q.candidates(blocking_keys, limit); });
}
Result<std::vector<ReviewItem>> SqliteMpiRepository::list_review_items(const ReviewFilter& filter) {
  return read([&](MpiQueries& q) { return q.list_review_items(filter); });
}
Result<std::optional<ReviewItem>> SqliteMpiRepository::get_review_item(ReviewItemId id) {
  return read([&](MpiQueries& q) { return q.get_review_item(id); });
}
Result<std::optional<ReviewInspection>> SqliteMpiRepository::inspect_review_item(ReviewItemId id) {
  return read([&](MpiQueries& q) { return q.inspect_review_item(id); });
}
Result<std::vector<ReviewItemId>> SqliteMpiRepository::open_review_items_for(const LocalId& id) {
  return read([&](MpiQueries& q) { return q.open_review_items_for(id); });
}
Result<std::vector<ReviewAction>> SqliteMpiRepository::review_actions(ReviewItemId id) {
  return read([&](MpiQueries& q) { return q.review_actions(id); });
}

}  // namespace gw::store::sqlite
