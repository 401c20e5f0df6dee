// The MPI's reads and writes on one SQLite connection, shared by SqliteMpiRepository (its reader
// connection) and SqliteMpiTransaction (the writer). Internal: callers use MpiRepository.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/clock.hpp"
#include "gateway/core/error.hpp"
#include "gateway/store/mpi_types.hpp"
#include "gateway/store/sqlite/database.hpp"

namespace gw::store::sqlite::detail {

/**
 * MpiQueries: each method is the body of the MpiReader/MpiTransaction call of the same name.
 * They neither begin nor end transactions (the caller does) and leave a write half done on
 * error (the caller wraps each write in a Savepoint).
 * Thread safety: none; the owner serialises use of the connection.
 */
class MpiQueries {
public:
  MpiQueries(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Reads
  [[nodiscard]] Result<std::optional<Person>> find_by_nhs_number(const NhsNumber& n);
  [[nodiscard]] Result<std::optional<Person>> find_by_local_id(const LocalId& id);
  [[nodiscard]] Result<std::optional<Person>> get_person(PersonId id);
  [[nodiscard]] Result<PersonId> resolve(PersonId id);
  [[nodiscard]] Result<std::optional<PersonView>> person_view(PersonId id);
  [[nodiscard]] Result<std::vector<LocalIdentifierRecord>> local_identifiers(PersonId id);
  [[nodiscard]] Result<std::vector<Link>> links(PersonId id);
  [[nodiscard]] Result<std::vector<DemographicsVersion>> demographics_history(PersonId id);
  [[nodiscard]] Result<std::vector<DemographicsVersion>> current_demographics(PersonId id);
  [[nodiscard]] Result<std::vector<NhsNumberChange>> nhs_number_history(PersonId id);
  [[nodiscard]] Result<std::vector<MergeRecord>> merges(PersonId id);
  [[nodiscard]] Result<std::vector<PersonId>> candidates(const std::vector<std::string>& keys,
                                                         std::size_t limit);
  [[nodiscard]] Result<std::vector<ReviewItem>> list_review_items(const ReviewFilter& filter);
  [[nodiscard]] Result<std::optional<ReviewItem>> get_review_item(ReviewItemId id);
  [[nodiscard]] Result<std::optional<ReviewInspection>> inspect_review_item(ReviewItemId id);
  [[nodiscard]] Result<std::vector<ReviewItemId>> open_review_items_for(const LocalId& id);
  [[nodiscard]] Result<std::vector<ReviewAction>> review_actions(ReviewItemId id);

  // Writes
  [[nodiscard]] Result<PersonId> create_person(const NewPerson& p);
  [[nodiscard]] Result<void> set_nhs_number(PersonId id, const NhsNumber& n,
                                            VerificationStatus status, const OdsCode& source,
                                            const std::string& message_id);
  [[nodiscard]] Result<LinkOutcome> link_local_identifier(const LocalId& id, PersonId person,
                                                          const LinkProvenance& provenance);
  [[nodiscard]] Result<void> relink_local_identifier(const LocalId& id, PersonId person,
                                                     const LinkProvenance& provenance);
  [[nodiscard]] Result<DemographicsVersionId> add_demographics(PersonId person,
                                                               const Demographics& data,
                                                               const DemographicsSource& source);
  [[nodiscard]] Result<void> add_blocking_keys(PersonId person,
                                               const std::vector<std::string>& keys);
  [[nodiscard]] Result<MergeId> merge(const MergeRequest& request);
  [[nodiscard]] Result<void> unmerge(PersonId superseded, const UnmergeRequest& request);
  [[nodiscard]] Result<ReviewItemId> open_review_item(const NewReviewItem& item);
  [[nodiscard]] Result<void> add_review_action(ReviewItemId id, ReviewActionKind kind,
                                               const std::string& actor, const std::string& note);
  [[nodiscard]] Result<void> resolve_review_item(ReviewItemId id,
                                                 const ReviewResolution& resolution);

  /** Most persons a blocking key may hold before candidates() skips it as unselective. */
  static constexpr std::size_t kMaxBlockSize = 10'000;
  /** Longest superseded_by chain followed before resolve() reports corruption. */
  static constexpr int kMaxChain = 64;

private:
  [[nodiscard]] std::int64_t now_us() const;
  [[nodiscard]] Result<std::optional<Person>> follow(std::optional<Person> start);
  [[nodiscard]] Result<Person> resolved_person(PersonId id);
  [[nodiscard]] Result<std::vector<PersonId>> merged_set(PersonId survivor);
  /** family_of: merged_set(resolve(id)); empty if there is no such person. */
  [[nodiscard]] Result<std::vector<PersonId>> family_of(PersonId id);
  /** demographics_of_family: the rows `query` returns for each person of the merged set. */
  [[nodiscard]] Result<std::vector<DemographicsVersion>> demographics_of_family(
      PersonId id, std::string_view query);
  [[nodiscard]] Result<std::optional<std::int64_t>> local_identifier_row(const LocalId& id,
                                                                         PersonId* person);
  [[nodiscard]] Result<void> insert_link(std::int64_t local_row, PersonId person,
                                         const LinkProvenance& p, std::int64_t now);
  [[nodiscard]] Result<void> touch(PersonId id, std::int64_t now);
  [[nodiscard]] Result<void> add_action(ReviewItemId id, ReviewActionKind kind,
                                        const std::string& actor, std::optional<PersonId> person,
                                        const std::string& note, std::int64_t now);
  [[nodiscard]] Result<std::vector<ReviewItem>> read_review_items(Statement& st);
  [[nodiscard]] Result<void> load_candidates(ReviewItem& item);

  Database& db_;
  const Clock& clock_;
};

}  // namespace gw::store::sqlite::detail
