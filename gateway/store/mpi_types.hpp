// The master patient index's stored shapes: persons, local identifiers, demographics versions,
// link provenance, merges and review items. Plain values shared by every MpiRepository
// implementation (SQLite now, PostgreSQL later); nothing here does I/O.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/identity/nhs_number.hpp"

namespace gw::store {

using TimePoint = std::chrono::system_clock::time_point;

/** RowId: a typed database row id, so a person id can never be passed where a review id goes. */
template <class Tag>
struct RowId {
  std::int64_t value = 0;
  auto operator<=>(const RowId&) const = default;
};

using PersonId = RowId<struct PersonTag>;
using ReviewItemId = RowId<struct ReviewItemTag>;
using MergeId = RowId<struct MergeTag>;
using DemographicsVersionId = RowId<struct DemographicsVersionTag>;
using LinkId = RowId<struct LinkTag>;

/** Limits on what callers may store; over them the write is refused with kBadRequest. */
inline constexpr std::size_t kMaxTextBytes = 1024;    // one name, address line, telecom value
inline constexpr std::size_t kMaxListEntries = 32;    // given names, address lines, telecoms
inline constexpr std::size_t kMaxLocalIdBytes = 128;  // an EMIS GUID, an MRN, ...
inline constexpr std::size_t kMaxActorBytes = 128;    // user ids, message ids, reasons' actors
inline constexpr std::size_t kMaxBlockingKeyBytes = 256;
inline constexpr std::size_t kMaxBlockingKeys = 64;  // per call
inline constexpr std::size_t kMaxJsonBytes =
    std::size_t{64} * 1024;                          // review items' JSON documents
inline constexpr std::size_t kMaxCandidates = 1000;  // candidates() and review candidates
inline constexpr std::size_t kMaxNoteBytes = 4096;   // reviewers' notes, merge reasons
inline constexpr std::size_t kMaxReviewPage = 500;   // list_review_items() page size

// ---------------------------------------------------------------------------------------------
// Persons and local identifiers

/**
 * Person: one human being as the MPI knows them. A merged person keeps its row, with
 * superseded_by naming the person it was merged into; reads resolve to the survivor.
 */
struct Person {
  PersonId id{};
  std::optional<NhsNumber> nhs_number{};
  std::optional<VerificationStatus> nhs_verification{};  // set whenever nhs_number is
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<PersonId> superseded_by{};
};

/** LocalIdType: the kinds of local patient identifier the adapters bring in. */
enum class LocalIdType : std::uint8_t {
  kEmisPatientGuid,      // GP practice on EMIS Web: patient GUID
  kHospitalMrn,          // acute trust PAS: medical record number / hospital number
  kMentalHealthId,       // mental health trust (RiO/Carenotes) client id
  kLasPersonId,          // council adult social care (LAS) person id
  kAmbulancePatientRef,  // LAS ambulance ePCR: incident patient reference
};

/** local_id_type_code: the stable text stored for the type ("emis-guid", "mrn", ...). */
[[nodiscard]] std::string_view local_id_type_code(LocalIdType t);
/** parse_local_id_type: the inverse of local_id_type_code; nullopt for unknown text. */
[[nodiscard]] std::optional<LocalIdType> parse_local_id_type(std::string_view code);

/** LocalId: (source organisation, identifier type, value), unique across the MPI. */
struct LocalId {
  OdsCode source;
  LocalIdType type = LocalIdType::kEmisPatientGuid;
  std::string value{};
  bool operator==(const LocalId&) const = default;
};

/** LocalIdentifierRecord: a stored local identifier and the person it is linked to now. */
struct LocalIdentifierRecord {
  LocalId local_id;
  PersonId person{};  // as stored: may be a superseded person, resolve() to find the survivor
  TimePoint created_at{};
  TimePoint updated_at{};
};

// ---------------------------------------------------------------------------------------------
// Links and their provenance

/** LinkMethod: how a local identifier came to be linked to a person. */
enum class LinkMethod : std::uint8_t {
  kExactIdentifier,    // the same local identifier was already known
  kVerifiedNhsNumber,  // the message carried a verified (01) NHS number the MPI holds
  kProbabilistic,      // a demographic match scored above the auto-link threshold
  kManual,             // a reviewer decided
};

[[nodiscard]] std::string_view link_method_code(LinkMethod m);
[[nodiscard]] std::optional<LinkMethod> parse_link_method(std::string_view code);

/** LinkProvenance: why a link was made, recorded with every link and never changed. */
struct LinkProvenance {
  LinkMethod method = LinkMethod::kExactIdentifier;
  std::optional<double> score{};              // required for kProbabilistic
  std::string reviewer{};                     // user id, required for kManual
  std::string message_id{};                   // the message that caused it, if any
  std::optional<ReviewItemId> review_item{};  // the review that decided it, if any

  [[nodiscard]] static LinkProvenance exact_identifier(std::string message_id);
  [[nodiscard]] static LinkProvenance verified_nhs_number(std::string message_id);
  [[nodiscard]] static LinkProvenance probabilistic(double score, std::string message_id);
  [[nodiscard]] static LinkProvenance manual(std::string reviewer,
                                             std::optional<ReviewItemId> review_item = {});
};

/** Link: one row of link history: this local identifier was linked to this person, thus. */
struct Link {
  LinkId id{};
  LocalId local_id;
  PersonId person{};
  LinkProvenance provenance{};
  TimePoint created_at{};
};

/** LinkOutcome: what link_local_identifier did. */
enum class LinkOutcome : std::uint8_t {
  kCreated,        // the local identifier was new and is now linked (a link row was written)
  kAlreadyLinked,  // it was already linked to the same (resolved) person; nothing was written
};

// ---------------------------------------------------------------------------------------------
// Demographics with history

/** Gender: FHIR administrative-gender. */
enum class Gender : std::uint8_t { kUnknown, kMale, kFemale, kOther };
[[nodiscard]] std::string_view gender_code(Gender g);
[[nodiscard]] std::optional<Gender> parse_gender(std::string_view code);

/** PersonName: a family name and given names. */
struct PersonName {
  std::string family{};
  std::vector<std::string> given{};
  bool operator==(const PersonName&) const = default;
};

/** ContactPoint: a telephone number or e-mail address (FHIR ContactPoint system/value/use). */
struct ContactPoint {
  std::string system{};  // "phone", "email", ...
  std::string value{};
  std::string use{};  // "home", "mobile", "work", or empty
  bool operator==(const ContactPoint&) const = default;
};

/** Demographics: what one source said about a person at one time. */
struct Demographics {
  std::string family{};
  std::vector<std::string> given{};
  std::vector<PersonName> previous_names{};  // as the source reported them (e.g. a maiden name)
  std::optional<std::chrono::year_month_day> birth_date{};
  Gender gender = Gender::kUnknown;
  std::vector<std::string> address_lines{};
  std::string postcode{};
  std::vector<ContactPoint> telecom{};
  bool operator==(const Demographics&) const = default;
};

/** DemographicsSource: who said it, and from when it held. */
struct DemographicsSource {
  OdsCode source;
  std::optional<TimePoint> valid_from{};  // default: the time it is recorded
  std::string message_id{};
};

/**
 * DemographicsVersion: one stored version. Each source has its own timeline per person: a new
 * version closes the one before it (valid_to) and nothing is overwritten.
 */
struct DemographicsVersion {
  DemographicsVersionId id{};
  PersonId person{};  // as stored (may be a person since merged into another)
  OdsCode source;
  Demographics data{};
  TimePoint valid_from{};
  std::optional<TimePoint> valid_to{};  // empty: the source's current version
  std::string message_id{};
  TimePoint recorded_at{};
};

// ---------------------------------------------------------------------------------------------
// Creating persons, NHS number history

/** NewPerson: a person to create, with the NHS number if one is known. */
struct NewPerson {
  std::optional<NhsNumber> nhs_number{};
  VerificationStatus verification = VerificationStatus::kNotPresentTraceNotRequired;
  OdsCode source;  // who told us about them
  std::string message_id{};
};

/** NhsNumberChange: one row of a person's NHS number history (set, or status changed). */
struct NhsNumberChange {
  PersonId person{};
  NhsNumber nhs_number;
  VerificationStatus verification = VerificationStatus::kPresentVerified;
  OdsCode source;
  std::string message_id{};
  TimePoint recorded_at{};
};

// ---------------------------------------------------------------------------------------------
// Merges

/** MergeRequest: `superseded` is the same person as `survivor` (HL7 ADT^A40, or a reviewer). */
struct MergeRequest {
  PersonId survivor{};
  PersonId superseded{};
  std::string reason{};      // free text for the record, e.g. "ADT^A40" or the reviewer's note
  std::string actor{};       // reviewer user id, or the ODS code whose message asked for it
  std::string message_id{};  // the ADT^A40's id, if any
};

/** UnmergeRequest: undo the open merge of a person (who, why, and the message if any). */
struct UnmergeRequest {
  std::string reason{};
  std::string actor{};
  std::string message_id{};
};

/** MergeRecord: a merge, and its unmerge once there is one. */
struct MergeRecord {
  MergeId id{};
  PersonId survivor{};
  PersonId superseded{};
  std::string reason{};
  std::string actor{};
  std::string message_id{};
  TimePoint merged_at{};
  std::optional<TimePoint> unmerged_at{};
  std::string unmerge_actor{};
  std::string unmerge_reason{};
  std::string unmerge_message_id{};
};

// ---------------------------------------------------------------------------------------------
// Review worklist

/** ReviewKind: why a human must look. */
enum class ReviewKind : std::uint8_t {
  kPossibleMatch,      // the matcher scored between the two thresholds
  kNhsNumberConflict,  // a message's NHS number disagrees with the one held for its local id
};
[[nodiscard]] std::string_view review_kind_code(ReviewKind k);
[[nodiscard]] std::optional<ReviewKind> parse_review_kind(std::string_view code);

/** ReviewStatus: open until a reviewer resolves it; resolved items never reopen. */
enum class ReviewStatus : std::uint8_t { kOpen, kLinked, kNotDuplicate, kNewPerson };
[[nodiscard]] std::string_view review_status_code(ReviewStatus s);
[[nodiscard]] std::optional<ReviewStatus> parse_review_status(std::string_view code);

/** ReviewCandidate: a person the incoming identity might be, with the matcher's total score. */
struct ReviewCandidate {
  PersonId person{};
  std::optional<double> score{};
  bool operator==(const ReviewCandidate&) const = default;
};

/** NewReviewItem: what the MPI service hands over when it cannot decide. */
struct NewReviewItem {
  ReviewKind kind = ReviewKind::kPossibleMatch;
  OdsCode source;                     // the organisation the incoming identity came from
  std::optional<LocalId> local_id{};  // the incoming local identifier, if it had one
  std::string message_id{};
  std::string incoming_json{};  // the incoming identity, as a JSON object
  std::string scores_json{};    // the matcher's score breakdown (JSON); "{}" if none
  std::vector<ReviewCandidate> candidates{};
  std::string opened_by{};  // "caregw-mpi" for the service, or a user id
};

/** ReviewItem: one entry of the worklist. */
struct ReviewItem {
  ReviewItemId id{};
  ReviewKind kind = ReviewKind::kPossibleMatch;
  ReviewStatus status = ReviewStatus::kOpen;
  OdsCode source;
  std::optional<LocalId> local_id{};
  std::string message_id{};
  std::string incoming_json{};
  std::string scores_json{};
  std::vector<ReviewCandidate> candidates{};  // in the order given
  TimePoint created_at{};
  std::string resolved_by{};
  std::optional<TimePoint> resolved_at{};
  std::optional<PersonId> resolved_person{};
  std::string note{};
};

/** ReviewActionKind: the append-only trail of what happened to a review item. */
enum class ReviewActionKind : std::uint8_t {
  kOpened,
  kInspected,
  kCommented,
  kLinked,
  kMarkedNotDuplicate,
  kCreatedNewPerson,
};
[[nodiscard]] std::string_view review_action_code(ReviewActionKind k);
[[nodiscard]] std::optional<ReviewActionKind> parse_review_action(std::string_view code);

/** ReviewAction: one recorded action. */
struct ReviewAction {
  std::int64_t id = 0;
  ReviewItemId item{};
  ReviewActionKind kind = ReviewActionKind::kOpened;
  std::string actor{};
  std::optional<PersonId> person{};
  std::string note{};
  TimePoint at{};
};

/** ReviewResolution: a reviewer's decision. `person` is required for kLinked and kNewPerson. */
struct ReviewResolution {
  ReviewStatus status = ReviewStatus::kLinked;  // not kOpen
  std::string actor{};
  std::optional<PersonId> person{};
  std::string note{};
};

/** ReviewFilter: one page of the worklist, oldest first. */
struct ReviewFilter {
  std::optional<ReviewStatus> status = ReviewStatus::kOpen;
  std::optional<ReviewKind> kind{};
  ReviewItemId after{0};  // paging: items with a larger id
  std::size_t limit = 50;
};

// ---------------------------------------------------------------------------------------------
// Views

/** PersonView: a resolved person with everything merged into them, as a reviewer sees a side. */
struct PersonView {
  Person person{};                 // the survivor
  std::vector<PersonId> merged{};  // persons merged into it (directly or through others)
  std::vector<LocalIdentifierRecord> local_ids{};
  std::vector<DemographicsVersion> current_demographics{};  // each source's current version
};

/** ReviewInspection: both sides of a review item: the incoming identity and each candidate. */
struct ReviewInspection {
  ReviewItem item;
  std::vector<PersonView> candidates{};  // resolved; same order as item.candidates
};

// ---------------------------------------------------------------------------------------------
// Validation shared by implementations (no PHI in the messages).

/** validate_local_id: non-empty value, at most kMaxLocalIdBytes, no control characters. */
[[nodiscard]] Result<void> validate_local_id(const LocalId& id);
/** validate_demographics: every string and list within the limits above. */
[[nodiscard]] Result<void> validate_demographics(const Demographics& d);
/** validate_provenance: a score for kProbabilistic (finite), a reviewer for kManual. */
[[nodiscard]] Result<void> validate_provenance(const LinkProvenance& p);
/** validate_json_text: a well-formed JSON document of at most kMaxJsonBytes. */
[[nodiscard]] Result<void> validate_json_text(std::string_view json, std::string_view field);
/** validate_note: at most kMaxNoteBytes; line breaks and tabs allowed, other controls not. */
[[nodiscard]] Result<void> validate_note(std::string_view text, std::string_view field,
                                         bool required);
/** validate_short_text: at most `max` bytes and no control characters. */
[[nodiscard]] Result<void> validate_short_text(std::string_view text, std::size_t max,
                                               std::string_view field, bool required);

}  // namespace gw::store
