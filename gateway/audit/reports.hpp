// IG reports over the audit log: the break-glass review queue (and recording a review),
// "who has accessed my record" in plain words, the denied-access report and unusual activity.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit/audit_log.hpp"
#include "gateway/audit/query.hpp"
#include "gateway/audit/sqlite/audit_store.hpp"

namespace gw::audit {

// ---- Break-glass review ----

/** ReviewOutcome: an IG lead's finding on a break-glass access. */
enum class ReviewOutcome : std::uint8_t { kAppropriate = 1, kInappropriate, kNeedsFollowUp };
/** review_outcome_name / parse_review_outcome: "appropriate", "inappropriate", "follow-up". */
[[nodiscard]] std::string_view review_outcome_name(ReviewOutcome o);
[[nodiscard]] std::optional<ReviewOutcome> parse_review_outcome(std::string_view s);

/** BreakGlassItem: a break-glass event and its latest review, if any. */
struct BreakGlassItem {
  StoredRecord event;
  std::optional<StoredRecord> review;
};

/**
 * break_glass_queue: granted break-glass events (type break-glass, decision break-glass, outcome
 * 0; refused attempts are denials and belong to the denied-access report), unreviewed first
 * (oldest first: they have waited longest), then reviewed (newest first), at most `limit` in all.
 */
[[nodiscard]] Result<std::vector<BreakGlassItem>> break_glass_queue(AuditStore& store,
                                                                    std::size_t limit = 100);

/** ReviewInput: who reviewed, what they found, and their note. */
struct ReviewInput {
  std::uint64_t break_glass_seq = 0;
  std::string reviewer_id;
  std::string reviewer_name;
  std::string reviewer_role;
  std::string reviewer_org;
  ReviewOutcome outcome = ReviewOutcome::kAppropriate;
  std::string note;
  /** revise: record it even if the event was reviewed before (the CLI's --revise); otherwise a
   * second review is refused (kConflict). */
  bool revise = false;
  // Where the review came from, when over HTTP (copied into the review's audit record).
  std::string purpose_of_use{};
  std::string client_system{};
  std::string source_address{};
  std::string request_id{};
};

/** is_granted_break_glass: a break-glass event that opened a grant (what the queue lists). */
[[nodiscard]] bool is_granted_break_glass(const AuditRecord& r);

/**
 * record_break_glass_review: appends a break-glass-review event (related_seq = the reviewed
 * event, same patient; detail "<outcome>: <note>") and waits until it is durable. Used by
 * `caregw audit break-glass review` and `POST /audit/break-glass/{seq}/review`. Reviews are
 * append-only; a revision (in.revise) adds a record and the queue shows the latest. Reviews in
 * one process are serialised, so of two reviewers of the same event one gets kConflict.
 * @return its seq; kNotFound if `seq` is not a granted break-glass event (a refused attempt
 * included); kConflict if it was reviewed already and `revise` is false; kBadRequest without a
 * reviewer (or a note the audit log refuses); kUnavailable if the log cannot write.
 */
[[nodiscard]] Result<std::uint64_t> record_break_glass_review(AuditLog& log,
                                                              const ReviewInput& review);

/** ReviewFinding: a review record's outcome and note, read back from its detail. */
struct ReviewFinding {
  ReviewOutcome outcome = ReviewOutcome::kAppropriate;
  std::string note;
};

/** parse_review_detail: "<outcome>" or "<outcome>: <note>"; nullopt if it is neither. */
[[nodiscard]] std::optional<ReviewFinding> parse_review_detail(std::string_view detail);

// ---- Who has accessed my record ----

/** AccessEntry: one access to a patient's record, in words. */
struct AccessEntry {
  std::uint64_t seq = 0;
  std::int64_t recorded_us = 0;
  std::string sentence;  // e.g. "On 26 November 2026 at 13:20 (UTC), Dr A (GP) at ... looked at"
};

/** OrgName: the organisation's name for an ODS code ("" when unknown: the code is shown). */
using OrgName = std::function<std::string(std::string_view ods)>;

/**
 * access_history: every access to the record of `nhs_number` (reads, searches that found them,
 * refusals, break-glass, disclosures to other organisations), oldest first, each as one
 * sentence a patient understands. No codes, no hashes.
 */
[[nodiscard]] Result<std::vector<AccessEntry>> access_history(AuditStore& store,
                                                              std::string_view nhs_number,
                                                              const OrgName& org_name = {});

/** access_sentence: the sentence for one record (as access_history). */
[[nodiscard]] std::string access_sentence(const AuditRecord& r, const OrgName& org_name = {});

// ---- Denied access ----

/** DeniedCount: refusals per user and organisation. */
struct DeniedCount {
  std::string user_id;
  std::string org_ods;
  std::uint64_t count = 0;
  std::int64_t last_us = 0;
};

/** denied_summary: refusals in [from_us, to_us) grouped by user and organisation, most first. */
[[nodiscard]] Result<std::vector<DeniedCount>> denied_summary(AuditStore& store,
                                                              std::int64_t from_us,
                                                              std::int64_t to_us);

// ---- Unusual activity ----

/** UnusualThresholds: see README.md "Unusual activity" (config: audit.unusual_activity). */
struct UnusualThresholds {
  std::uint32_t distinct_patients = 50;                        // this many different patients ...
  std::int64_t window_us = std::int64_t{60} * 60 * 1'000'000;  // ... within this window
  bool match_surname = true;  // flag a user opening a record of someone sharing their surname
  bool match_address = true;  // ... or their address (postcode + first line)
};

/** PersonFacts: what the caller knows of a person, to compare a user with a patient. */
struct PersonFacts {
  std::string surname;
  std::string postcode;
  std::string address_line;
};

/**
 * fold_for_comparison: `s` with ASCII letters in lower case, ASCII spaces and punctuation removed
 * and other bytes (UTF-8 letters) kept: "O'Brien-Smith" and "obrien smith" fold the same.
 */
[[nodiscard]] std::string fold_for_comparison(std::string_view s);

/** same_surname: both surnames are non-empty and fold (fold_for_comparison) to the same text. */
[[nodiscard]] bool same_surname(const PersonFacts& user, const PersonFacts& patient);

/**
 * same_address: the postcodes are non-empty and fold to the same text ("se1 7pb" = "SE1 7PB"),
 * and, when both have a first address line, those fold to the same text too. With a line on one
 * side only, the postcode alone decides.
 */
[[nodiscard]] bool same_address(const PersonFacts& user, const PersonFacts& patient);

/**
 * DemographicsSource: supplied by the caller (the MPI for patients, the staff directory for
 * users); nullopt when unknown. Called once per distinct user and patient.
 */
class DemographicsSource {
public:
  virtual ~DemographicsSource() = default;
  [[nodiscard]] virtual std::optional<PersonFacts> patient(std::string_view nhs_number) = 0;
  [[nodiscard]] virtual std::optional<PersonFacts> user(std::string_view user_id) = 0;
};

/** UnusualKind: why a finding was raised. */
enum class UnusualKind : std::uint8_t { kManyPatients = 1, kSharedSurname, kSharedAddress };
[[nodiscard]] std::string_view unusual_kind_name(UnusualKind k);

/** UnusualFinding: one finding for an IG lead to look at. */
struct UnusualFinding {
  UnusualKind kind = UnusualKind::kManyPatients;
  std::string user_id;
  std::uint64_t first_seq = 0;  // the access that begins it
  std::int64_t from_us = 0;
  std::int64_t to_us = 0;
  std::uint32_t patients = 0;  // kManyPatients: distinct patients in the window
  std::string nhs_number;      // kShared*: the patient
};

/**
 * kUnusualActivityScan: the reads unusual_activity looks at, per user in time order; bound by the
 * period (the audit_time index: `+event_type` keeps SQLite, which has no statistics here, from
 * walking every read ever recorded through audit_type instead).
 */
inline constexpr std::string_view kUnusualActivityScan =
    "SELECT user_id, recorded_us, nhs_number, seq FROM audit_record WHERE recorded_us >= ?1 AND "
    "recorded_us < ?2 AND user_id IS NOT NULL AND nhs_number IS NOT NULL AND +event_type IN "
    "('record-read', 'record-search', 'break-glass') AND (decision IS NULL OR decision <> 'deny') "
    "ORDER BY user_id, recorded_us, seq";

/**
 * unusual_activity: reads (record-read, record-search, break-glass) in [from_us, to_us).
 * kManyPatients: a user opened at least `distinct_patients` different patients' records within
 * any `window_us` (one finding per user: their busiest window). kSharedSurname/Address: a user
 * opened the record of a patient whose surname or address is the same as theirs (same_surname,
 * same_address; needs `source`; skipped when null).
 */
[[nodiscard]] Result<std::vector<UnusualFinding>> unusual_activity(AuditStore& store,
                                                                   std::int64_t from_us,
                                                                   std::int64_t to_us,
                                                                   const UnusualThresholds& t,
                                                                   DemographicsSource* source);

}  // namespace gw::audit
