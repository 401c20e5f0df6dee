// Demographic matching for the master patient index when the NHS number is missing or does not
// agree: blocking keys that find candidates, Fellegi-Sunter scoring per field, grades and
// decisions by two thresholds, and the FHIR search helpers (search.score, match-grade).
// Pure: no I/O, no globals besides constant tables. The weights are explained in MATCHING.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/identity/normalise.hpp"

namespace gw::identity {

/**
 * Demographics: one person as a source system describes them, before normalisation. Strings are
 * kept as received (UTF-8, any case, titles and punctuation included); prepare() normalises.
 * Every field may be missing: an empty string or vector, or an empty optional.
 */
struct Demographics {
  std::optional<NhsNumber> nhs_number;
  /** How the sender says it got the number; only 01 (verified) counts as verified. */
  VerificationStatus nhs_status = VerificationStatus::kPresentNotTraced;
  /** Given names in order: the first is the name used for matching, the rest are middle names.
   * One element may hold several words ("Anne-Marie", "Mary Jane"). */
  std::vector<std::string> given;
  std::string family;                          ///< current family name (surname)
  std::vector<std::string> previous_families;  ///< maiden or earlier surnames, if known
  /** Date of birth; may be partial (year, or year and month). */
  std::optional<Date> birth_date;
  /** 0 for a recorded date of birth; N > 0 when birth_date is an estimate good to ±N years
   * (an ambulance crew's "about 70"): then only the year is compared, and never auto-links. */
  int birth_year_tolerance = 0;
  std::string gender;    ///< FHIR administrative-gender code (or M/F/1/2..., see parse_gender)
  std::string postcode;  ///< UK postcode of the usual address, any spacing or case
};

/**
 * NormalisedDemographics: Demographics after normalisation, computed once per record (the MPI
 * stores these, or the parts it needs, next to each person) so that scoring does no parsing.
 */
struct NormalisedDemographics {
  std::string nhs_number;  ///< ten digits, or empty
  bool nhs_verified = false;
  std::string family;                          ///< joined_name(family): "smithjones"
  std::vector<std::string> family_parts;       ///< significant words: {"smith", "jones"}
  std::vector<std::string> previous_families;  ///< joined_name of each previous surname
  std::vector<std::string> family_codes;       ///< NYSIIS of family, its parts, previous names
  std::string given;                           ///< first given name, joined: "annemarie"
  std::vector<std::string> given_parts;        ///< its words: {"anne", "marie"}
  std::string given_code;                      ///< NYSIIS of the first given name
  std::vector<std::string> middle_names;       ///< later given names, joined each
  std::string all_given;                       ///< every given word joined: "johnpaul"
  std::optional<Date> birth_date;
  int birth_year_tolerance = 0;
  Gender gender = Gender::kUnknown;
  std::string postcode;         ///< "SW1A 1AA", or empty when missing or not a valid postcode
  std::string postcode_sector;  ///< "SW1A 1"
};

/**
 * prepare: normalises one record (names folded and split, NYSIIS codes, postcode parsed; an
 * invalid postcode counts as missing). Never fails.
 * Thread safety: pure.
 */
[[nodiscard]] NormalisedDemographics prepare(const Demographics& d);

/** kMaxBlockingKeys: the most keys blocking_keys() returns for one record (the store's limit
 * per lookup, gw::store::kMaxBlockingKeys, is the same). */
inline constexpr std::size_t kMaxBlockingKeys = 64;

/**
 * blocking_keys: the index keys under which a record is filed and by which a query finds its
 * candidates; a candidate is any record sharing at least one key. Keys (MATCHING.md, Blocking):
 *   N:<nhs number>
 *   FIY:<nysiis(surname variant)>:<first initial>:<birth year>  (each year in range if estimated;
 *                                                                 FY:... when no given name)
 *   FD:<nysiis(surname variant)>:<yyyymmdd>
 *   FS:<nysiis(surname variant)>:<postcode sector>
 *   GD:<nysiis(first given name)>:<yyyymmdd>
 *   DS:<yyyymmdd>:<postcode sector>
 * where the surname variants are the whole surname, each part of a hyphenated or
 * double-barrelled one, and each previous surname. At most kMaxBlockingKeys keys (the widest,
 * far years of an estimated age, are dropped first). Keys are derived from PHI: store them like
 * PHI and never log them.
 * @return sorted, unique keys (empty when the record has nothing to block on).
 */
[[nodiscard]] std::vector<std::string> blocking_keys(const NormalisedDemographics& d);
/** blocking_keys: as above, for a record not yet normalised. */
[[nodiscard]] std::vector<std::string> blocking_keys(const Demographics& d);

/** MatchField: the fields compared, in the order of MatchScore::fields. */
enum class MatchField : std::uint8_t {
  kNhsNumber,
  kFamily,
  kGiven,
  kBirthDate,
  kGender,
  kPostcode
};
inline constexpr std::size_t kMatchFieldCount = 6;

/**
 * Agreement: how well one field agrees. Which levels a field uses is in MATCHING.md:
 * exact (same after normalisation; NHS number: both verified), alias (a known other name:
 * previous surname, nickname), phonetic (same NYSIIS code), transposed (day and month swapped;
 * first and middle given names swapped), partial (one part of a double-barrelled surname, one
 * typing error, an initial, one digit of the date, the postcode sector, an unverified NHS
 * number), disagree, missing (either side has no value: weight 0).
 */
enum class Agreement : std::uint8_t {
  kExact,
  kAlias,
  kPhonetic,
  kTransposed,
  kPartial,
  kDisagree,
  kMissing
};
inline constexpr std::size_t kAgreementCount = 7;

/** field_name / agreement_name: stable lower-case names for the review worklist and metrics. */
[[nodiscard]] std::string_view field_name(MatchField f);
[[nodiscard]] std::string_view agreement_name(Agreement a);

/**
 * MatchWeights: Fellegi-Sunter weights, log2(m/u) per field and agreement level, where m is the
 * probability of the level for records of the same person and u for records of different
 * people. Levels a field does not use stay 0; kMissing is always 0.
 */
struct MatchWeights {
  std::array<std::array<double, kAgreementCount>, kMatchFieldCount> weight{};
  /** Approximate birth year (tolerance > 0) within / outside the tolerance. */
  double approx_birth_agree = 0;
  double approx_birth_disagree = 0;

  /** at: the weight of one level of one field. */
  [[nodiscard]] double at(MatchField f, Agreement a) const {
    return weight[static_cast<std::size_t>(f)][static_cast<std::size_t>(a)];
  }
  /** set: changes one weight (to configure, or to load weights estimated from real data). */
  void set(MatchField f, Agreement a, double w) {
    weight[static_cast<std::size_t>(f)][static_cast<std::size_t>(a)] = w;
  }
};

/** LevelProbability: one row of the default model: m and u for one level of one field. */
struct LevelProbability {
  MatchField field;
  Agreement level;
  double m;
  double u;
};

/** default_model: the m and u probabilities assumed (MATCHING.md explains each). */
[[nodiscard]] std::span<const LevelProbability> default_model();

/** default_weights: log2(m/u) of default_model(), plus the approximate-birth weights. */
[[nodiscard]] MatchWeights default_weights();

/**
 * MatchThresholds: the two cut-offs on the total weight. total ≥ auto_link grades certain
 * (auto-link) unless a safety rule applies; review ≤ total < auto_link grades probable (review);
 * below review, possible (total > 0) or no-match (new person). Requires review < auto_link.
 */
struct MatchThresholds {
  double auto_link = 33.0;
  double review = 20.0;
};

/** MatchGrade: FHIR match-grade (http://hl7.org/fhir/StructureDefinition/match-grade). */
enum class MatchGrade : std::uint8_t { kCertain, kProbable, kPossible, kNoMatch };

/** MatchDecision: what the MPI does with the best candidate. */
enum class MatchDecision : std::uint8_t { kAutoLink, kReview, kNewPerson };

/**
 * MatchRule: the safety rules (bits of MatchScore::rules). score() sets the first four and the
 * last whenever they hold for the pair (each of the first three bars auto-link; the fourth bars
 * new person); rank() sets kAmbiguous and kNhsNumberElsewhere when they took auto-link away.
 */
enum class MatchRule : std::uint8_t {
  kNhsNumberDisagrees = 1,        ///< both carry NHS numbers and they differ: never auto-link
  kGivenNameUnconfirmed = 2,      ///< given name partial, different or missing: never auto-link
  kBirthDateUnconfirmed = 4,      ///< date of birth different, missing, partial or approximate
  kAmbiguous = 8,                 ///< another candidate also reached auto-link (set by rank())
  kVerifiedNhsNumberAgrees = 16,  ///< same verified NHS number: at least review, never new person
  kNhsNumberElsewhere = 32,       ///< the query's NHS number is another candidate's (set by rank())
};

/** rule_name: a stable lower-case name for one rule. */
[[nodiscard]] std::string_view rule_name(MatchRule r);

/** FieldScore: one line of the per-field breakdown. */
struct FieldScore {
  MatchField field = MatchField::kNhsNumber;
  Agreement level = Agreement::kMissing;
  double weight = 0;
};

/** MatchScore: the outcome of comparing one query with one candidate. */
struct MatchScore {
  double total = 0;  ///< sum of the field weights (log2 likelihood ratio)
  double score = 0;  ///< 0..1, for FHIR Bundle.entry.search.score (see normalised_score)
  MatchGrade grade = MatchGrade::kNoMatch;
  MatchDecision decision = MatchDecision::kNewPerson;
  std::uint8_t rules = 0;  ///< MatchRule bits that hold for this pair
  std::array<FieldScore, kMatchFieldCount> fields{};

  [[nodiscard]] const FieldScore& field(MatchField f) const {
    return fields[static_cast<std::size_t>(f)];
  }
  [[nodiscard]] bool has_rule(MatchRule r) const {
    return (rules & static_cast<std::uint8_t>(r)) != 0;
  }
};

/**
 * score: compares a query with one candidate field by field, sums the weights, grades by the
 * thresholds and applies the safety rules (MATCHING.md, Decisions). Symmetric except that the
 * rules look at both sides alike.
 * @param query the incoming record (message, search) @param candidate a record of the MPI.
 * Thread safety: pure.
 */
[[nodiscard]] MatchScore score(const NormalisedDemographics& query,
                               const NormalisedDemographics& candidate, const MatchWeights& weights,
                               const MatchThresholds& thresholds = {});
/** score: as above, normalising both records first (convenient; slower in a loop). */
[[nodiscard]] MatchScore score(const Demographics& query, const Demographics& candidate,
                               const MatchWeights& weights, const MatchThresholds& thresholds = {});

/**
 * normalised_score: maps a total weight to 0..1 with a logistic curve that gives 0.5 at the
 * review threshold and 0.95 at the auto-link threshold, so certain ≥ 0.95 > probable ≥ 0.5 >
 * possible. Monotonic in the total.
 */
[[nodiscard]] double normalised_score(double total, const MatchThresholds& thresholds);

/** RankedCandidate: one scored candidate; id is the caller's (the MPI's person id). */
struct RankedCandidate {
  std::uint64_t id = 0;
  MatchScore score;
};

/**
 * rank: sorts candidates best first (by total, then id) and applies the rules that need all the
 * candidates: when more than one reached auto-link, none auto-links and all go to review
 * (kAmbiguous: e.g. twins for a message carrying only an initial); when the query's NHS number
 * agrees with some candidate other than the best, the best cannot auto-link either
 * (kNhsNumberElsewhere: a number that belongs to somebody else). Pass every candidate blocking
 * found, not only the good ones, so that these rules see them.
 * @return the decision for the query: the best candidate's decision, or new person if none.
 */
MatchDecision rank(std::vector<RankedCandidate>& candidates, const MatchThresholds& thresholds);

/** kMatchGradeExtension: the FHIR extension on Bundle.entry.search for the grade. */
inline constexpr std::string_view kMatchGradeExtension =
    "http://hl7.org/fhir/StructureDefinition/match-grade";

/**
 * match_grade_code: "certain", "probable", "possible", or "certainly-not" for kNoMatch (the FHIR
 * code set; a search normally leaves no-match candidates out).
 */
[[nodiscard]] std::string_view match_grade_code(MatchGrade g);
/** decision_name: "auto-link", "review" or "new-person". */
[[nodiscard]] std::string_view decision_name(MatchDecision d);

/**
 * demographics_from_search: the query of a FHIR Patient demographic search, from its parameters
 * (as PDS: family, given (repeatable), birthdate, gender, address-postalcode, and identifier
 * "https://fhir.nhs.uk/Id/nhs-number|N"). birthdate takes "eq" or no prefix for a date, or a
 * "ge"/"le" pair for a range, which becomes an approximate birth year. Parameters starting with
 * '_' are ignored (the search layer handles _count, _fuzzy-match...).
 * @return the query, or kBadRequest naming the parameter at fault (never its value); a search
 * needs an NHS number, or a name with a birthdate or postcode.
 */
[[nodiscard]] Result<Demographics> demographics_from_search(
    std::span<const std::pair<std::string, std::string>> params);

}  // namespace gw::identity
