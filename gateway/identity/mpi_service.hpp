// The MPI service: decides, for each identity a message brings, which person it is, by combining
// the matcher (matching.hpp) with the stored index (gw::store::MpiRepository). It is the only
// place that links, merges or sends an identity for review; adapters call identify() once per
// patient in a message, and the API calls search()/lookup and the review operations.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/identity/matching.hpp"
#include "gateway/store/mpi_repository.hpp"

namespace gw::identity {

/** MpiSettings: the matcher's weights and thresholds, and how many candidates to score. */
struct MpiSettings {
  MatchThresholds thresholds{};
  MatchWeights weights = default_weights();
  std::size_t candidate_limit = 200;  // persons scored per identity (at most kMaxCandidates)
  int write_attempts = 3;             // a unit of work busy (kUnavailable) is retried this often
};

/**
 * IncomingIdentity: one patient as one message describes them. `match` carries what the matcher
 * compares (NHS number and its verification status, names, birth date, gender, postcode);
 * address lines and telecom are stored with the demographics but not compared.
 */
struct IncomingIdentity {
  OdsCode source;                            // the sending organisation
  std::optional<store::LocalId> local_id{};  // its own identifier for the patient, if any
  Demographics match{};
  std::vector<std::string> address_lines{};
  std::vector<store::ContactPoint> telecom{};
  std::string message_id{};
  std::optional<store::TimePoint> valid_from{};  // when the source says the details held from
};

/** IdentifyOutcome: what identify() did with the identity. */
enum class IdentifyOutcome : std::uint8_t {
  kKnownLocalId,       // the local identifier was already linked: same person
  kVerifiedNhsNumber,  // linked by a verified (01) NHS number the MPI holds
  kProbabilistic,      // linked by a demographic match above the auto-link threshold
  kNewPerson,          // nobody matched: a new person
  kPossibleMatch,      // between the thresholds: a new provisional person + a review item
  kNhsNumberConflict,  // the NHS number disagrees with the one held for the local identifier:
                       // held for review, nothing about the person changed
};

/** identify_outcome_code: a stable name ("known-local-id", "nhs-number-conflict", ...). */
[[nodiscard]] std::string_view identify_outcome_code(IdentifyOutcome o);

/** IdentifyResult: the person the message's data belongs to, and whether a human must look. */
struct IdentifyResult {
  IdentifyOutcome outcome = IdentifyOutcome::kNewPerson;
  store::PersonId person{};                     // the (surviving) person to file the data under
  std::optional<store::ReviewItemId> review{};  // set for kPossibleMatch / kNhsNumberConflict
  std::optional<double> score{};                // the best candidate's total, when one was scored
  /** warning: for the sender's acknowledgement (no PHI): set when the identity was held. */
  std::string warning{};
};

/** SearchMatch: one candidate of a demographic search, best first. */
struct SearchMatch {
  store::PersonView person;
  MatchScore score;
};

/** ReviewDecision: what a reviewer decided about a review item. */
struct ReviewDecision {
  enum class Kind : std::uint8_t {
    kLink,          // the incoming identity is `person`
    kNotDuplicate,  // keep them apart (for a conflict: the message's NHS number was wrong)
    kNewPerson,     // a new person (for a conflict: one holding the message's NHS number)
  } kind = Kind::kLink;
  std::optional<store::PersonId> person{};  // required for kLink
  std::string actor{};                      // the reviewer's user id
  std::string note{};
};

/** parse_review_decision: "link", "not-duplicate" or "new-person". */
[[nodiscard]] std::optional<ReviewDecision::Kind> parse_review_decision(std::string_view code);

/**
 * MpiService: thread-safe; every write is one MpiRepository transaction (retried when busy).
 * Calls block on the store: run them off the I/O threads. The repository must outlive it.
 */
class MpiService {
public:
  MpiService(store::MpiRepository& repo, MpiSettings settings);

  /**
   * identify: the person an incoming identity belongs to (gateway/store/README.md, "For the MPI
   * service", and MATCHING.md, Decisions), recording links, demographics, blocking keys and
   * review items as it goes:
   *  1. a known local identifier is that person, unless the identity's NHS number differs from
   *     the one held: then kNhsNumberConflict (a review item; demographics and number untouched);
   *  2. a verified NHS number the MPI holds links the local identifier to its holder;
   *  3. otherwise candidates by blocking key are scored: auto-link, review (a provisional person
   *     plus a review item, so the data is kept and the reviewer links or separates), or a new
   *     person. An unverified NHS number is kept and marked; it never links on its own.
   * @return kBadRequest for an identity with nothing to identify by, or over the store's limits.
   */
  [[nodiscard]] Result<IdentifyResult> identify(const IncomingIdentity& in);

  /** find_by_nhs_number: the (surviving) person holding the number, with their details. */
  [[nodiscard]] Result<std::optional<store::PersonView>> find_by_nhs_number(const NhsNumber& n);
  /** find_by_local_id: the (surviving) person a local identifier is linked to. */
  [[nodiscard]] Result<std::optional<store::PersonView>> find_by_local_id(const store::LocalId& id);
  /** person: a person by id (resolved to the survivor). */
  [[nodiscard]] Result<std::optional<store::PersonView>> person(store::PersonId id);

  /**
   * search: demographic search (FHIR Patient search / $match): candidates by blocking key,
   * scored against each source's current demographics, best first, only those graded possible
   * or better, at most `limit`.
   */
  [[nodiscard]] Result<std::vector<SearchMatch>> search(const Demographics& query,
                                                        std::size_t limit);

  /**
   * merge: HL7 ADT^A40 or a reviewer: the person holding `superseded` becomes the same person as
   * the one holding `survivor`. Reads of the superseded NHS number or local ids then answer with
   * the survivor. @return kNotFound if either identifier is unknown.
   */
  [[nodiscard]] Result<store::MergeId> merge_local_ids(const store::LocalId& survivor,
                                                       const store::LocalId& superseded,
                                                       const std::string& reason,
                                                       const std::string& actor,
                                                       const std::string& message_id);

  /**
   * unmerge: undoes the open merge of `superseded` (a reviewer found the merge wrong, or an HL7
   * A37): it is its own person again with what it had; the merge record keeps who and why.
   * @return kConflict if it is not currently merged; kNotFound for an unknown person.
   */
  [[nodiscard]] Result<void> unmerge(store::PersonId superseded, const std::string& reason,
                                     const std::string& actor, const std::string& message_id);

  /** review_items: one page of the worklist. */
  [[nodiscard]] Result<std::vector<store::ReviewItem>> review_items(
      const store::ReviewFilter& filter);
  /** inspect: both sides of an item; records that `actor` looked. nullopt if no such item. */
  [[nodiscard]] Result<std::optional<store::ReviewInspection>> inspect(store::ReviewItemId id,
                                                                       const std::string& actor);
  /**
   * resolve: applies a reviewer's decision and closes the item, in one transaction:
   *  - possible match: kLink merges the provisional person into `person`; kNotDuplicate and
   *    kNewPerson keep the provisional person as a person of their own;
   *  - NHS number conflict: kLink moves the local identifier to `person`; kNotDuplicate keeps it
   *    where it was; kNewPerson moves it to a new person holding the message's NHS number.
   * @return the person the incoming identity now belongs to; kConflict if the item is not open;
   * kNotFound for an unknown item; kBadRequest for kLink without a person.
   */
  [[nodiscard]] Result<store::PersonId> resolve(store::ReviewItemId id,
                                                const ReviewDecision& decision);

  [[nodiscard]] const MpiSettings& settings() const { return settings_; }

private:
  store::MpiRepository& repo_;
  MpiSettings settings_;
};

/** to_store_demographics: the stored shape of an incoming identity (complete dates only). */
[[nodiscard]] store::Demographics to_store_demographics(const IncomingIdentity& in);
/** to_match_demographics: the matcher's shape of a stored version and the person's number. */
[[nodiscard]] Demographics to_match_demographics(const store::DemographicsVersion& v,
                                                 const store::Person& person);

}  // namespace gw::identity
