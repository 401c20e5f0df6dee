// The record store's interface: FHIR R4 resources (JSON text) held per person (MPI person id),
// one current version per (source organisation, resource type, resource id) with every earlier
// version, entered-in-error and deletion kept as history. The SQLite implementation is
// store/sqlite/sqlite_record_store.hpp; a PostgreSQL one comes later behind the same calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/store/mpi_types.hpp"

namespace gw::store {

inline constexpr std::size_t kMaxResourceBytes = std::size_t{4} * 1024 * 1024;
inline constexpr std::size_t kMaxRecordPage = 1000;

/** RecordStatus: active (shown), entered-in-error or deleted (kept as history, not shown). */
enum class RecordStatus : std::uint8_t { kActive, kEnteredInError, kDeleted };

/** record_status_code / parse_record_status: the stored text ("active", ...), and back. */
[[nodiscard]] std::string_view record_status_code(RecordStatus s);
[[nodiscard]] std::optional<RecordStatus> parse_record_status(std::string_view s);

/** ResourceKey: a resource's identity: who sent it, its type and the source's id for it. */
struct ResourceKey {
  OdsCode source;
  std::string resource_type{};  // "Condition", "MedicationStatement", ...
  std::string resource_id{};    // the source's logical id (FHIR id rules: [A-Za-z0-9.-]{1,64})
};

/** RecordWrite: one resource as a source sent it, about one person. */
struct RecordWrite {
  ResourceKey key;
  PersonId person;
  std::string source_message_id{};  // the inbound message it came in (journal sender message id)
  std::string resource_json{};      // a FHIR R4 resource; resourceType must equal key.resource_type
};

/** StoredRecord: one version of one resource. */
struct StoredRecord {
  ResourceKey key;
  PersonId person;
  std::int64_t version = 0;  // 1, 2, ... per key, in arrival order
  RecordStatus status = RecordStatus::kActive;
  std::string source_message_id{};
  TimePoint last_updated{};
  std::string resource_json{};  // empty for a deletion
  std::int64_t seq = 0;         // the store-wide change sequence (what cursors page by)
};

enum class UpsertOutcome : std::uint8_t { kCreated, kUpdated, kUnchanged };

/** UpsertResult: the version now current and what the call did. */
struct UpsertResult {
  std::int64_t version = 0;
  RecordStatus status = RecordStatus::kActive;
  UpsertOutcome outcome = UpsertOutcome::kCreated;
};

/**
 * RecordQuery: one page of a person's current, active records.
 * `cursor` is the next_cursor of the previous page (empty for the first page).
 */
struct RecordQuery {
  std::optional<std::string> resource_type{};  // all types when empty
  std::optional<TimePoint> since{};            // last_updated >= since
  std::string cursor{};
  std::size_t limit = 100;  // 1..kMaxRecordPage
};

/**
 * RecordPage: records in change order (oldest change first). next_cursor is set when there may
 * be more. Paging is stable under concurrent writes: a record changed after an earlier page was
 * read comes again later with its new version; no record is skipped.
 */
struct RecordPage {
  std::vector<StoredRecord> records{};
  std::optional<std::string> next_cursor{};
  /** resume_cursor: where this page ended; reading from it later gives only what changed
   * since (for polling once next_cursor is empty). */
  std::string resume_cursor{};
};

/**
 * detect_record_status: kEnteredInError when the resource says so (`status` or
 * `verificationStatus` coded "entered-in-error", as FHIR R4 resources do), else kActive.
 * @return kBadRequest if the text is not a JSON object whose resourceType is `resource_type`.
 */
[[nodiscard]] Result<RecordStatus> detect_record_status(std::string_view resource_json,
                                                        std::string_view resource_type);

/** check_resource_key: kBadRequest unless type and id follow FHIR's rules. */
[[nodiscard]] Result<void> check_resource_key(const ResourceKey& key);

/**
 * RecordReader: the reads. Every call taking a PersonId answers for its survivor and everything
 * recorded against persons merged into it (as the MPI reads do).
 */
class RecordReader {
public:
  virtual ~RecordReader() = default;

  /**
   * read: one page of the person's current active records.
   * @return kBadRequest for a malformed cursor or a limit outside 1..kMaxRecordPage.
   */
  [[nodiscard]] virtual Result<RecordPage> read(PersonId person, const RecordQuery& query) = 0;

  /**
   * read_by_nhs_number: as read(), for the person holding `n` in the MPI (following merges).
   * An NHS number no person holds gives an empty page.
   */
  [[nodiscard]] virtual Result<RecordPage> read_by_nhs_number(const NhsNumber& n,
                                                              const RecordQuery& query) = 0;

  /**
   * generation: the record generation of the person's merge family: a number that changes
   * (and never returns to an earlier value) whenever anything a read of this person shows may
   * have changed: a record written, entered in error, deleted or moved, a merge or unmerge, the
   * person's NHS number, demographics, local identifiers or links. Kept by the store itself in
   * the transaction of each write, so writes by any process are seen. 0 before any such write.
   * What the shared record's answer cache keys on (gateway/record/answer_cache.hpp).
   */
  [[nodiscard]] virtual Result<std::int64_t> generation(PersonId person) = 0;

  /** current: the key's latest version (any status), or nullopt if never stored. */
  [[nodiscard]] virtual Result<std::optional<StoredRecord>> current(const ResourceKey& key) = 0;

  /** history: every version of the key, oldest first. */
  [[nodiscard]] virtual Result<std::vector<StoredRecord>> history(const ResourceKey& key) = 0;
};

/**
 * RecordTransaction: one unit of work (e.g. all the resources of one inbound message). Nothing
 * is visible to others until commit(); destroying it uncommitted rolls back. Each write call is
 * atomic on its own: on error it changed nothing and the transaction may go on.
 *
 * Thread safety: one thread at a time; while open it holds the store's single writer. Never hold
 * one across a network call. The store must outlive it.
 */
class RecordTransaction : public RecordReader {
public:
  /**
   * upsert: stores `w` as the key's next version. Sending the current content again (same
   * person, same JSON text, same status) is kUnchanged and stores nothing. A resource whose
   * status is entered-in-error is stored as such: kept in history, no longer shown.
   * @return kBadRequest for a malformed key, oversized or non-JSON resource, or one whose
   * resourceType differs from the key's.
   */
  [[nodiscard]] virtual Result<UpsertResult> upsert(const RecordWrite& w) = 0;

  /**
   * remove: the source deleted the resource: a tombstone version (no content) becomes current.
   * Removing one already removed is kUnchanged.
   * @return kNotFound if the key was never stored.
   */
  [[nodiscard]] virtual Result<UpsertResult> remove(const ResourceKey& key,
                                                    const std::string& source_message_id) = 0;

  /** commit: makes every write visible, durably. kUnavailable: retry the whole unit. */
  [[nodiscard]] virtual Result<void> commit() = 0;
};

using RecordTransactionPtr = std::unique_ptr<RecordTransaction>;

/** RecordStore: reads (each call sees the latest commit) and begin() for writes. */
class RecordStore : public RecordReader {
public:
  /** begin: a unit of work holding the single writer; kUnavailable if it stayed busy. */
  [[nodiscard]] virtual Result<RecordTransactionPtr> begin() = 0;
};

using RecordStorePtr = std::unique_ptr<RecordStore>;

}  // namespace gw::store
