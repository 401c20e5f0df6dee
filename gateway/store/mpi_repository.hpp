// The master patient index's storage interface. The SQLite implementation is
// store/sqlite/sqlite_mpi_repository.hpp; a PostgreSQL one comes later behind the same calls.
// Deciding what to link, merge or send for review is the MPI service's job, not this one's.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/store/mpi_types.hpp"

namespace gw::store {

/**
 * MpiReader: the read calls. Offered by the repository (each call sees the latest committed
 * state, consistently within the call) and by a transaction (which also sees its own writes).
 *
 * Every call taking a PersonId accepts a superseded one and answers for its survivor: the
 * survivor's row plus everything recorded against persons merged into it. Absence is an empty
 * optional or vector; errors are storage failures (kUnavailable: busy, retry; kInternal).
 */
class MpiReader {
public:
  virtual ~MpiReader() = default;

  /**
   * find_by_nhs_number: the person holding `n`, following merges to the survivor: looking up a
   * superseded person's NHS number returns the person it was merged into.
   * @return the survivor, or nullopt if no person ever held `n`.
   */
  [[nodiscard]] virtual Result<std::optional<Person>> find_by_nhs_number(const NhsNumber& n) = 0;

  /** find_by_local_id: the (surviving) person a local identifier is linked to, or nullopt. */
  [[nodiscard]] virtual Result<std::optional<Person>> find_by_local_id(const LocalId& id) = 0;

  /** get_person: the stored row itself, not resolved (superseded_by tells). */
  [[nodiscard]] virtual Result<std::optional<Person>> get_person(PersonId id) = 0;

  /**
   * resolve: follows superseded_by to the survivor; a person not merged resolves to itself.
   * @return kNotFound if no such person; kInternal if the chain is longer than 64 (never made,
   * as merges refuse cycles).
   */
  [[nodiscard]] virtual Result<PersonId> resolve(PersonId id) = 0;

  /** person_view: the survivor, who was merged into it, its local ids and current demographics. */
  [[nodiscard]] virtual Result<std::optional<PersonView>> person_view(PersonId id) = 0;

  /** local_identifiers: every local identifier of the (resolved) person and those merged in. */
  [[nodiscard]] virtual Result<std::vector<LocalIdentifierRecord>> local_identifiers(
      PersonId id) = 0;

  /** links: link history of the (resolved) person and those merged in, oldest first. */
  [[nodiscard]] virtual Result<std::vector<Link>> links(PersonId id) = 0;

  /** demographics_history: every version ever recorded, by source then valid_from. */
  [[nodiscard]] virtual Result<std::vector<DemographicsVersion>> demographics_history(
      PersonId id) = 0;

  /** current_demographics: each source's current version, latest valid_from first. */
  [[nodiscard]] virtual Result<std::vector<DemographicsVersion>> current_demographics(
      PersonId id) = 0;

  /** nhs_number_history: every NHS number set or status change, oldest first. */
  [[nodiscard]] virtual Result<std::vector<NhsNumberChange>> nhs_number_history(PersonId id) = 0;

  /** merges: merge records touching the (resolved) person or those merged in, oldest first. */
  [[nodiscard]] virtual Result<std::vector<MergeRecord>> merges(PersonId id) = 0;

  /**
   * candidates: persons sharing at least one of `blocking_keys` (as stored by
   * add_blocking_keys), resolved to survivors, most keys shared first, then by id.
   * @param blocking_keys at most kMaxBlockingKeys; duplicates are ignored.
   * @param limit at most kMaxCandidates.
   * @return kBadRequest over the limits. A key shared by more than 10,000 persons is not
   * selective and is skipped (so a huge block cannot stall the caller).
   */
  [[nodiscard]] virtual Result<std::vector<PersonId>> candidates(
      const std::vector<std::string>& blocking_keys, std::size_t limit) = 0;

  /** list_review_items: one page of the worklist (filter.limit at most 500), oldest first. */
  [[nodiscard]] virtual Result<std::vector<ReviewItem>> list_review_items(
      const ReviewFilter& filter) = 0;

  /** get_review_item: one item, or nullopt. */
  [[nodiscard]] virtual Result<std::optional<ReviewItem>> get_review_item(ReviewItemId id) = 0;

  /**
   * inspect_review_item: both sides: the item (with the incoming identity) and each candidate
   * as a PersonView. Records nothing; a reviewer's look is recorded with add_review_action.
   */
  [[nodiscard]] virtual Result<std::optional<ReviewInspection>> inspect_review_item(
      ReviewItemId id) = 0;

  /** open_review_items_for: open items about this local identifier (to avoid duplicates). */
  [[nodiscard]] virtual Result<std::vector<ReviewItemId>> open_review_items_for(
      const LocalId& id) = 0;

  /** review_actions: the item's trail, oldest first. */
  [[nodiscard]] virtual Result<std::vector<ReviewAction>> review_actions(ReviewItemId id) = 0;
};

/**
 * MpiTransaction: one unit of work. Every write goes through one; nothing is visible to others
 * until commit(); destroying it without commit() rolls everything back.
 *
 * Each write call is atomic on its own: on an error it has changed nothing and the transaction
 * may go on (or be abandoned). Writes never delete: history is kept and superseded rows stay.
 * A write naming a superseded person applies to its survivor (merge's `superseded` excepted).
 *
 * Thread safety: use from one thread at a time. While it is open it holds the repository's
 * single writer; other begin() calls wait (see MpiRepository::begin). Keep it short, and never
 * hold one across a network call. The repository must outlive it.
 */
class MpiTransaction : public MpiReader {
public:
  /**
   * create_person: a new person, with the NHS number if known (its history starts here).
   * @return kConflict if a person (merged or not) already holds that NHS number.
   */
  [[nodiscard]] virtual Result<PersonId> create_person(const NewPerson& p) = 0;

  /**
   * set_nhs_number: gives a person without one an NHS number, or changes the verification
   * status of the one it has. Recorded in nhs_number_history.
   * @return kConflict if the person holds a different number (a correction is a merge or a
   * review decision, not an overwrite) or if another person holds `n`; kNotFound if no such
   * person.
   */
  [[nodiscard]] virtual Result<void> set_nhs_number(PersonId id, const NhsNumber& n,
                                                    VerificationStatus status,
                                                    const OdsCode& source,
                                                    const std::string& message_id) = 0;

  /**
   * link_local_identifier: links a new local identifier to a person, with provenance.
   * @return kCreated; kAlreadyLinked if it is already linked to the same (resolved) person;
   * kConflict if it is linked to someone else (the service opens a review, see relink).
   */
  [[nodiscard]] virtual Result<LinkOutcome> link_local_identifier(
      const LocalId& id, PersonId person, const LinkProvenance& provenance) = 0;

  /**
   * relink_local_identifier: moves an existing local identifier to another person (usually a
   * reviewer's decision). The earlier link stays in the link history.
   * @return kNotFound if the identifier or the person is unknown.
   */
  [[nodiscard]] virtual Result<void> relink_local_identifier(const LocalId& id, PersonId person,
                                                             const LinkProvenance& provenance) = 0;

  /**
   * add_demographics: records what `source` says about a person from `source.valid_from`
   * (default: now). The source's version that held then is closed at that time; a version
   * equal to the one already current for that source is not stored again (its id is returned).
   * Out-of-order arrivals are slotted into the source's timeline.
   */
  [[nodiscard]] virtual Result<DemographicsVersionId> add_demographics(
      PersonId person, const Demographics& data, const DemographicsSource& source) = 0;

  /**
   * add_blocking_keys: indexes the person under these keys (made by the matcher; opaque here).
   * Keys are never removed, so earlier names and addresses keep finding the person.
   */
  [[nodiscard]] virtual Result<void> add_blocking_keys(PersonId person,
                                                       const std::vector<std::string>& keys) = 0;

  /**
   * merge: `superseded` becomes the same person as `survivor`; both rows and all history stay.
   * @return kBadRequest if they are the same person; kConflict if `superseded` is already
   * merged, or if `survivor` resolves to `superseded` (a cycle); kNotFound for unknown ids.
   */
  [[nodiscard]] virtual Result<MergeId> merge(const MergeRequest& request) = 0;

  /**
   * unmerge: undoes the open merge of `superseded`: it is its own person again, with the local
   * ids, demographics and links it had. The merge record keeps who, when and why.
   * @return kConflict if `superseded` is not currently merged.
   */
  [[nodiscard]] virtual Result<void> unmerge(PersonId superseded,
                                             const UnmergeRequest& request) = 0;

  /**
   * open_review_item: adds an item to the worklist (status open) and records kOpened.
   * @return kBadRequest for invalid JSON or unknown candidate persons.
   */
  [[nodiscard]] virtual Result<ReviewItemId> open_review_item(const NewReviewItem& item) = 0;

  /** add_review_action: records kInspected or kCommented on any item (others: resolve). */
  [[nodiscard]] virtual Result<void> add_review_action(ReviewItemId id, ReviewActionKind kind,
                                                       const std::string& actor,
                                                       const std::string& note) = 0;

  /**
   * resolve_review_item: closes an open item with the reviewer's decision and records it.
   * Linking the local identifier is a separate call in the same transaction
   * (link/relink_local_identifier with LinkProvenance::manual(actor, id)).
   * @return kConflict if the item is not open; kBadRequest for status kOpen, or a missing
   * person for kLinked/kNewPerson.
   */
  [[nodiscard]] virtual Result<void> resolve_review_item(ReviewItemId id,
                                                         const ReviewResolution& resolution) = 0;

  /**
   * commit: makes every write durable (synchronous=FULL) and visible.
   * @return kUnavailable if storage was busy or full: the whole unit may be retried. After
   * commit, successful or not, the transaction is finished and further calls fail.
   */
  [[nodiscard]] virtual Result<void> commit() = 0;
};

using MpiTransactionPtr = std::unique_ptr<MpiTransaction>;

/**
 * MpiRepository: the stored MPI. Reads on it are thread-safe and each sees committed data.
 * Writes go through begin().
 */
class MpiRepository : public MpiReader {
public:
  /**
   * begin: starts a unit of work that takes the (single) writer at once.
   * @return kUnavailable if the writer stayed busy past the busy timeout.
   * Thread-safe. Implementations may serialise writers (SQLite does).
   */
  [[nodiscard]] virtual Result<MpiTransactionPtr> begin() = 0;
};

using MpiRepositoryPtr = std::unique_ptr<MpiRepository>;

}  // namespace gw::store
