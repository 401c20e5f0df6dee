// Demographic matching: normalised records, blocking keys, Fellegi-Sunter field comparison,
// grades, safety rules and the FHIR demographic search query. MATCHING.md gives the reasons
// for every number in default_model() and every rule in score().
#include "gateway/identity/matching.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace gw::identity {
namespace {

using enum Agreement;

// The m and u probabilities of MATCHING.md, "Weights". m: P(level | same person);
// u: P(level | different people, within the candidates blocking brings together).
constexpr LevelProbability kDefaultModel[] = {
    {MatchField::kNhsNumber, kExact, 0.98, 1e-10},   // both verified (PDS-traced)
    {MatchField::kNhsNumber, kPartial, 0.95, 1e-6},  // equal, not both verified
    {MatchField::kNhsNumber, kDisagree, 0.005, 1.0},
    {MatchField::kFamily, kExact, 0.88, 0.001},
    {MatchField::kFamily, kAlias, 0.03, 0.0002},
    {MatchField::kFamily, kPhonetic, 0.03, 0.002},
    {MatchField::kFamily, kPartial, 0.02, 0.005},
    {MatchField::kFamily, kDisagree, 0.04, 0.9918},
    {MatchField::kGiven, kExact, 0.84, 0.005},
    {MatchField::kGiven, kAlias, 0.04, 0.002},
    {MatchField::kGiven, kPhonetic, 0.03, 0.003},
    {MatchField::kGiven, kTransposed, 0.02, 0.001},
    {MatchField::kGiven, kPartial, 0.05, 0.02},
    {MatchField::kGiven, kDisagree, 0.02, 0.969},
    {MatchField::kBirthDate, kExact, 0.95, 1.0 / 30000},
    {MatchField::kBirthDate, kTransposed, 0.01, 1.0 / 30000},
    {MatchField::kBirthDate, kPartial, 0.025, 0.001},
    {MatchField::kBirthDate, kDisagree, 0.015, 0.999},
    {MatchField::kGender, kExact, 0.98, 0.5},
    {MatchField::kGender, kDisagree, 0.02, 0.5},
    {MatchField::kPostcode, kExact, 0.70, 1e-4},
    {MatchField::kPostcode, kPartial, 0.08, 0.001},
    {MatchField::kPostcode, kDisagree, 0.22, 0.9989},
};

// An estimated birth year (±5 years): m 0.9; u = 11 years of ~90.
constexpr double kApproxBirthM = 0.9;
constexpr double kApproxBirthU = 11.0 / 90.0;

// Approximate ages wider than this are treated as this (bounds the number of FY keys).
constexpr int kMaxBirthYearTolerance = 10;

// Bounds on what one record contributes (untrusted input may list any number of names).
constexpr std::size_t kMaxPreviousFamilies = 8;
constexpr std::size_t kMaxFamilyParts = 6;

// Search parameter values longer than this are refused (no name or postcode comes near it).
constexpr std::size_t kMaxSearchValue = 256;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return !s.empty() && std::find(v.begin(), v.end(), s) != v.end();
}

bool intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const std::string& x) { return contains(b, x); });
}

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) {
    s += p;
  }
  return s;
}

/** phonetic_key: NYSIIS, or the folded name itself for names without Latin letters. */
std::string phonetic_key(const std::string& folded) {
  std::string code = nysiis(folded);
  return code.empty() ? folded : code;
}

void push_unique(std::vector<std::string>& v, std::string s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) {
    v.push_back(std::move(s));
  }
}

Agreement compare_nhs(const NormalisedDemographics& q, const NormalisedDemographics& c) {
  if (q.nhs_number.empty() || c.nhs_number.empty()) {
    return kMissing;
  }
  if (q.nhs_number != c.nhs_number) {
    return kDisagree;
  }
  return q.nhs_verified && c.nhs_verified ? kExact : kPartial;
}

/** close_words: equal, one typing error apart (both ≥ 4 letters), or the same NYSIIS code. */
bool close_words(const std::string& a, const std::string& b) {
  if (a == b) {
    return true;
  }
  if (std::min(a.size(), b.size()) >= 4 && within_one_edit(a, b)) {
    return true;
  }
  return std::min(a.size(), b.size()) >= 3 && nysiis(a) == nysiis(b);
}

Agreement compare_family(const NormalisedDemographics& q, const NormalisedDemographics& c) {
  if (q.family.empty() || c.family.empty()) {
    return kMissing;
  }
  if (q.family == c.family) {
    return kExact;  // also "Smith-Jones" = "SMITH JONES" = "Smithjones"
  }
  if (contains(c.previous_families, q.family) || contains(q.previous_families, c.family) ||
      intersects(q.previous_families, c.previous_families)) {
    return kAlias;
  }
  if (!q.family_codes.empty() && !c.family_codes.empty() &&
      q.family_codes.front() == c.family_codes.front()) {
    return kPhonetic;
  }
  if (std::min(q.family.size(), c.family.size()) >= 4 && within_one_edit(q.family, c.family)) {
    return kPartial;  // one typing error that changed the phonetic code
  }
  // One part of a double-barrelled surname ("Smith-Jones" / "Jones"), allowing a typo in it.
  if (q.family_parts.size() > 1 || c.family_parts.size() > 1) {
    for (const auto& a : q.family_parts) {
      for (const auto& b : c.family_parts) {
        if (close_words(a, b)) {
          return kPartial;
        }
      }
    }
  }
  return kDisagree;
}

Agreement compare_given(const NormalisedDemographics& q, const NormalisedDemographics& c) {
  if (q.given.empty() || c.given.empty()) {
    return kMissing;
  }
  if (q.given == c.given || q.all_given == c.all_given) {
    return kExact;
  }
  const std::string& a = q.given;
  const std::string& b = c.given;
  if (a.size() == 1 || b.size() == 1) {
    return a[0] == b[0] ? kPartial : kDisagree;  // an initial
  }
  // A nickname of the name, or of the first part of a hyphenated one ("Jo" for "Jo-Anne"; but
  // "Anne" for "Anne-Marie" is only partial, below).
  auto variant = [](const std::string& x, const std::string& y) {
    return x != y && nickname_equivalent(x, y);
  };
  if (nickname_equivalent(a, b) ||
      (q.given_parts.size() > 1 && variant(q.given_parts.front(), b)) ||
      (c.given_parts.size() > 1 && variant(a, c.given_parts.front()))) {
    return kAlias;
  }
  if (!q.given_code.empty() && q.given_code == c.given_code) {
    return kPhonetic;
  }
  if (contains(c.middle_names, a) || contains(q.middle_names, b)) {
    return kTransposed;  // known by a middle name
  }
  const std::string& shorter = a.size() < b.size() ? a : b;
  const std::string& longer = a.size() < b.size() ? b : a;
  if (shorter.size() >= 3 && longer.starts_with(shorter)) {
    return kPartial;  // a short form the nickname table lacks: Sam / Samir
  }
  if (std::min(a.size(), b.size()) >= 4 && within_one_edit(a, b)) {
    return kPartial;
  }
  if ((q.given_parts.size() > 1 || c.given_parts.size() > 1) &&
      intersects(q.given_parts, c.given_parts)) {
    return kPartial;  // "Anne-Marie" / "Anne"
  }
  return kDisagree;
}

/** one_digit_apart: yyyymmdd strings differing in one digit or by two adjacent digits swapped. */
bool one_digit_apart(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) {
    return false;
  }
  std::size_t first = a.size();
  int diffs = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      if (diffs == 0) {
        first = i;
      }
      ++diffs;
    }
  }
  if (diffs == 1) {
    return true;
  }
  return diffs == 2 && first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first];
}

struct BirthComparison {
  Agreement level = kMissing;
  bool approximate = false;
  bool confirmed = false;  // good enough to auto-link on
};

BirthComparison compare_birth(const NormalisedDemographics& q, const NormalisedDemographics& c) {
  if (!q.birth_date || !c.birth_date) {
    return {};
  }
  const Date& a = *q.birth_date;
  const Date& b = *c.birth_date;
  const int tolerance = std::max(q.birth_year_tolerance, c.birth_year_tolerance);
  if (tolerance > 0) {
    return {std::abs(a.year - b.year) <= tolerance ? kPartial : kDisagree, true, false};
  }
  if (a.complete() && b.complete()) {
    if (a == b) {
      return {kExact, false, true};
    }
    if (a.year == b.year && a.day == b.month && a.month == b.day) {
      return {kTransposed, false, true};
    }
    if (one_digit_apart(a.digits(), b.digits())) {
      return {kPartial, false, true};
    }
    return {kDisagree, false, false};
  }
  // A partial date on either side: compare what both know.
  const bool consistent = a.year == b.year &&
                          (a.month == 0 || b.month == 0 || a.month == b.month) &&
                          (a.day == 0 || b.day == 0 || a.day == b.day);
  return {consistent ? kPartial : kDisagree, false, false};
}

Agreement compare_gender(const NormalisedDemographics& q, const NormalisedDemographics& c) {
  if (q.gender == Gender::kUnknown || c.gender == Gender::kUnknown) {
    return kMissing;
  }
  return q.gender == c.gender ? kExact : kDisagree;
}

Agreement compare_postcode(const NormalisedDemographics& q, const NormalisedDemographics& c) {
  if (q.postcode.empty() || c.postcode.empty()) {
    return kMissing;
  }
  if (q.postcode == c.postcode) {
    return kExact;
  }
  return q.postcode_sector == c.postcode_sector ? kPartial : kDisagree;
}

MatchDecision decision_for(MatchGrade g) {
  switch (g) {
    case MatchGrade::kCertain:
      return MatchDecision::kAutoLink;
    case MatchGrade::kProbable:
      return MatchDecision::kReview;
    case MatchGrade::kPossible:
    case MatchGrade::kNoMatch:
      break;
  }
  return MatchDecision::kNewPerson;
}

// Score bands of the grades (normalised_score): a rule that lowers or raises a grade moves the
// score into the band of the new grade, so score and grade never contradict each other.
constexpr double kCertainFloor = 0.95;
constexpr double kProbableCeiling = 0.949;
constexpr double kProbableFloor = 0.5;

double band(double s, MatchGrade g) {
  if (g == MatchGrade::kProbable) {
    return std::clamp(s, kProbableFloor, kProbableCeiling);
  }
  if (g == MatchGrade::kCertain) {
    return std::max(s, kCertainFloor);
  }
  return s;
}

Result<std::optional<Date>> parse_birthdate_param(std::string_view v, std::optional<Date>& lower,
                                                  std::optional<Date>& upper) {
  std::string_view prefix;
  if (v.size() > 2 && v[0] >= 'a' && v[0] <= 'z') {
    prefix = v.substr(0, 2);
    v.remove_prefix(2);
  }
  auto d = parse_date(v);
  if (!d) {
    return make_error(Errc::kBadRequest, "birthdate: " + d.error().detail);
  }
  if (prefix.empty() || prefix == "eq") {
    return std::optional<Date>{*d};
  }
  if (prefix == "ge" || prefix == "gt" || prefix == "sa") {
    lower = *d;
    return std::optional<Date>{};
  }
  if (prefix == "le" || prefix == "lt" || prefix == "eb") {
    upper = *d;
    return std::optional<Date>{};
  }
  return make_error(Errc::kBadRequest, "birthdate: the prefix must be eq, ge, gt, le or lt");
}

}  // namespace

NormalisedDemographics prepare(const Demographics& d) {
  NormalisedDemographics n;
  if (d.nhs_number) {
    n.nhs_number = d.nhs_number->str();
    n.nhs_verified = links_records(d.nhs_status);
  }
  const std::vector<std::string> family = name_parts(d.family);
  n.family = join(family);
  for (const auto& word : family) {
    if (word.size() > 1 && !is_name_particle(word) && n.family_parts.size() < kMaxFamilyParts) {
      push_unique(n.family_parts, word);
    }
  }
  if (n.family_parts.empty() && !n.family.empty()) {
    n.family_parts.push_back(n.family);  // a surname that is all particle: "Le", "De"
  }
  for (const auto& previous : d.previous_families) {
    if (n.previous_families.size() >= kMaxPreviousFamilies) {
      break;
    }
    std::string p = joined_name(previous);
    if (p != n.family) {
      push_unique(n.previous_families, std::move(p));
    }
  }
  if (!n.family.empty()) {
    push_unique(n.family_codes, phonetic_key(n.family));
    if (n.family_parts.size() > 1) {
      for (const auto& part : n.family_parts) {
        push_unique(n.family_codes, phonetic_key(part));
      }
    }
  }
  for (const auto& previous : n.previous_families) {
    push_unique(n.family_codes, phonetic_key(previous));
  }
  for (const auto& given : d.given) {
    std::vector<std::string> words = name_parts(given);
    if (words.empty()) {
      continue;
    }
    std::string joined = join(words);
    n.all_given += joined;
    if (n.given.empty()) {
      n.given = std::move(joined);
      n.given_parts = std::move(words);
    } else {
      n.middle_names.push_back(std::move(joined));
    }
  }
  if (n.given.size() > 1) {
    n.given_code = phonetic_key(n.given);
  }
  n.birth_date = d.birth_date;
  n.birth_year_tolerance = std::clamp(d.birth_year_tolerance, 0, kMaxBirthYearTolerance);
  n.gender = parse_gender(d.gender);
  if (!d.postcode.empty()) {
    if (auto pc = parse_postcode(d.postcode)) {
      n.postcode = std::move(pc->full);
      n.postcode_sector = std::move(pc->sector);
    }
  }
  return n;
}

std::vector<std::string> blocking_keys(const NormalisedDemographics& d) {
  // Built in order of selectivity, so that a record with many surname variants and an
  // estimated age loses only its widest keys to the kMaxBlockingKeys cap.
  std::vector<std::string> keys;
  auto add = [&](std::string key) {
    if (keys.size() < kMaxBlockingKeys) {
      keys.push_back(std::move(key));
    }
  };
  if (!d.nhs_number.empty()) {
    add("N:" + d.nhs_number);
  }
  const bool complete = d.birth_date && d.birth_date->complete() && d.birth_year_tolerance == 0;
  const std::string dob = complete ? d.birth_date->digits() : std::string();
  if (complete) {
    if (!d.postcode_sector.empty()) {
      add("DS:" + dob + ":" + d.postcode_sector);
    }
    if (!d.given_code.empty()) {
      add("GD:" + d.given_code + ":" + dob);
    }
    for (const auto& code : d.family_codes) {
      add("FD:" + code + ":" + dob);
    }
  }
  if (!d.postcode_sector.empty()) {
    for (const auto& code : d.family_codes) {
      add("FS:" + code + ":" + d.postcode_sector);
    }
  }
  if (d.birth_date) {
    // The first letter of the given name (or its whole key for names in other scripts).
    std::string initial;
    if (!d.given.empty()) {
      initial =
          d.given[0] >= 'a' && d.given[0] <= 'z' ? d.given.substr(0, 1) : phonetic_key(d.given);
    }
    const int year = d.birth_date->year;
    const int tolerance = d.birth_year_tolerance;
    // Nearest years first: year, year-1, year+1, year-2...
    for (int step = 0; step <= 2 * tolerance; ++step) {
      const int y = year + (step % 2 == 0 ? step / 2 : -(step + 1) / 2);
      for (const auto& code : d.family_codes) {
        add(initial.empty() ? "FY:" + code + ":" + std::to_string(y)
                            : "FIY:" + code + ":" + initial + ":" + std::to_string(y));
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::vector<std::string> blocking_keys(const Demographics& d) { return blocking_keys(prepare(d)); }

std::string_view field_name(MatchField f) {
  switch (f) {
    case MatchField::kNhsNumber:
      return "nhs-number";
    case MatchField::kFamily:
      return "family";
    case MatchField::kGiven:
      return "given";
    case MatchField::kBirthDate:
      return "birth-date";
    case MatchField::kGender:
      return "gender";
    case MatchField::kPostcode:
      return "postcode";
  }
  return "unknown";
}

std::string_view agreement_name(Agreement a) {
  switch (a) {
    case kExact:
      return "exact";
    case kAlias:
      return "alias";
    case kPhonetic:
      return "phonetic";
    case kTransposed:
      return "transposed";
    case kPartial:
      return "partial";
    case kDisagree:
      return "disagree";
    case kMissing:
      break;
  }
  return "missing";
}

std::string_view rule_name(MatchRule r) {
  switch (r) {
    case MatchRule::kNhsNumberDisagrees:
      return "nhs-number-disagrees";
    case MatchRule::kGivenNameUnconfirmed:
      return "given-name-unconfirmed";
    case MatchRule::kBirthDateUnconfirmed:
      return "birth-date-unconfirmed";
    case MatchRule::kAmbiguous:
      return "ambiguous";
    case MatchRule::kVerifiedNhsNumberAgrees:
      return "verified-nhs-number-agrees";
    case MatchRule::kNhsNumberElsewhere:
      return "nhs-number-elsewhere";
  }
  return "unknown";
}

std::span<const LevelProbability> default_model() { return kDefaultModel; }

MatchWeights default_weights() {
  MatchWeights w;
  for (const auto& row : kDefaultModel) {
    w.set(row.field, row.level, std::log2(row.m / row.u));
  }
  w.approx_birth_agree = std::log2(kApproxBirthM / kApproxBirthU);
  w.approx_birth_disagree = std::log2((1 - kApproxBirthM) / (1 - kApproxBirthU));
  return w;
}

double normalised_score(double total, const MatchThresholds& thresholds) {
  // Logistic through (review, 0.5) and (auto_link, 0.95): 0.95 / 0.05 = 19.
  double scale = (thresholds.auto_link - thresholds.review) / std::log(19.0);
  if (!(scale > 0)) {
    scale = 1;
  }
  return 1.0 / (1.0 + std::exp(-(total - thresholds.review) / scale));
}

MatchScore score(const NormalisedDemographics& query, const NormalisedDemographics& candidate,
                 const MatchWeights& weights, const MatchThresholds& thresholds) {
  MatchScore s;
  auto put = [&](MatchField f, Agreement level, double w) {
    s.fields[static_cast<std::size_t>(f)] = FieldScore{f, level, w};
    s.total += w;
  };
  auto put_level = [&](MatchField f, Agreement level) { put(f, level, weights.at(f, level)); };

  const Agreement nhs = compare_nhs(query, candidate);
  put_level(MatchField::kNhsNumber, nhs);
  put_level(MatchField::kFamily, compare_family(query, candidate));
  const Agreement given = compare_given(query, candidate);
  put_level(MatchField::kGiven, given);
  const BirthComparison birth = compare_birth(query, candidate);
  if (birth.approximate) {
    put(MatchField::kBirthDate, birth.level,
        birth.level == kPartial ? weights.approx_birth_agree : weights.approx_birth_disagree);
  } else {
    put_level(MatchField::kBirthDate, birth.level);
  }
  put_level(MatchField::kGender, compare_gender(query, candidate));
  put_level(MatchField::kPostcode, compare_postcode(query, candidate));

  if (s.total >= thresholds.auto_link) {
    s.grade = MatchGrade::kCertain;
  } else if (s.total >= thresholds.review) {
    s.grade = MatchGrade::kProbable;
  } else if (s.total > 0) {
    s.grade = MatchGrade::kPossible;
  }
  // Safety rules (MATCHING.md, Decisions): where the independence assumption of the model fails
  // (twins, a parent and child of the same name at one address) or the evidence is of a kind
  // that must be looked at by a person, the weight alone may not auto-link.
  auto applies = [&](MatchRule rule) { s.rules |= static_cast<std::uint8_t>(rule); };
  const bool nhs_agrees = nhs == kExact || nhs == kPartial;
  if (nhs == kDisagree) {
    applies(MatchRule::kNhsNumberDisagrees);
  }
  if (!nhs_agrees && (given == kPartial || given == kDisagree || given == kMissing)) {
    applies(MatchRule::kGivenNameUnconfirmed);
  }
  if (!nhs_agrees && !birth.confirmed) {
    applies(MatchRule::kBirthDateUnconfirmed);
  }
  if (s.rules != 0 && s.grade == MatchGrade::kCertain) {
    s.grade = MatchGrade::kProbable;
  }
  if (nhs == kExact) {
    applies(MatchRule::kVerifiedNhsNumberAgrees);
    if (s.grade == MatchGrade::kPossible || s.grade == MatchGrade::kNoMatch) {
      s.grade = MatchGrade::kProbable;
    }
  }
  s.decision = decision_for(s.grade);
  s.score = band(normalised_score(s.total, thresholds), s.grade);
  return s;
}

MatchScore score(const Demographics& query, const Demographics& candidate,
                 const MatchWeights& weights, const MatchThresholds& thresholds) {
  return score(prepare(query), prepare(candidate), weights, thresholds);
}

MatchDecision rank(std::vector<RankedCandidate>& candidates, const MatchThresholds& thresholds) {
  std::sort(candidates.begin(), candidates.end(),
            [](const RankedCandidate& a, const RankedCandidate& b) {
              if (a.score.total != b.score.total) {
                return a.score.total > b.score.total;
              }
              return a.id < b.id;
            });
  auto to_review = [&](RankedCandidate& c, MatchRule rule) {
    c.score.grade = MatchGrade::kProbable;
    c.score.decision = MatchDecision::kReview;
    c.score.rules |= static_cast<std::uint8_t>(rule);
    c.score.score = band(normalised_score(c.score.total, thresholds), c.score.grade);
  };
  const auto certain = std::count_if(candidates.begin(), candidates.end(), [](const auto& c) {
    return c.score.grade == MatchGrade::kCertain;
  });
  if (certain > 1) {
    for (auto& c : candidates) {
      if (c.score.grade == MatchGrade::kCertain) {
        to_review(c, MatchRule::kAmbiguous);
      }
    }
  }
  if (candidates.size() > 1 && candidates.front().score.grade == MatchGrade::kCertain) {
    auto nhs_agrees = [](const RankedCandidate& c) {
      const Agreement a = c.score.field(MatchField::kNhsNumber).level;
      return a == kExact || a == kPartial;
    };
    if (!nhs_agrees(candidates.front()) &&
        std::any_of(candidates.begin() + 1, candidates.end(), nhs_agrees)) {
      to_review(candidates.front(), MatchRule::kNhsNumberElsewhere);
    }
  }
  return candidates.empty() ? MatchDecision::kNewPerson : candidates.front().score.decision;
}

std::string_view match_grade_code(MatchGrade g) {
  switch (g) {
    case MatchGrade::kCertain:
      return "certain";
    case MatchGrade::kProbable:
      return "probable";
    case MatchGrade::kPossible:
      return "possible";
    case MatchGrade::kNoMatch:
      break;
  }
  return "certainly-not";
}

std::string_view decision_name(MatchDecision d) {
  switch (d) {
    case MatchDecision::kAutoLink:
      return "auto-link";
    case MatchDecision::kReview:
      return "review";
    case MatchDecision::kNewPerson:
      break;
  }
  return "new-person";
}

Result<Demographics> demographics_from_search(
    std::span<const std::pair<std::string, std::string>> params) {
  Demographics d;
  std::optional<Date> lower;
  std::optional<Date> upper;
  for (const auto& [name, value] : params) {
    if (name.starts_with("_")) {
      continue;
    }
    if (value.empty()) {
      return make_error(Errc::kBadRequest, "search parameter " + name + " is empty");
    }
    if (value.size() > kMaxSearchValue) {
      return make_error(Errc::kBadRequest, "search parameter " + name + " is too long");
    }
    if (name == "family") {
      if (!d.family.empty()) {
        return make_error(Errc::kBadRequest, "family may be given only once");
      }
      d.family = value;
    } else if (name == "given") {
      d.given.push_back(value);
    } else if (name == "birthdate") {
      auto r = parse_birthdate_param(value, lower, upper);
      if (!r) {
        return r.error();
      }
      if (*r) {
        d.birth_date = **r;
      }
    } else if (name == "gender") {
      const Gender g = parse_gender(value);
      if (g == Gender::kUnknown && value != "unknown") {
        return make_error(Errc::kBadRequest, "gender is male, female, other or unknown");
      }
      d.gender = gender_code(g);
    } else if (name == "address-postalcode") {
      if (!parse_postcode(value)) {
        return make_error(Errc::kBadRequest, "address-postalcode is not a UK postcode");
      }
      d.postcode = value;
    } else if (name == "identifier") {
      std::string_view v = value;
      if (const auto bar = v.find('|'); bar != std::string_view::npos) {
        if (v.substr(0, bar) != kNhsNumberSystem) {
          return make_error(Errc::kBadRequest,
                            "identifier: only the NHS number system is searched");
        }
        v.remove_prefix(bar + 1);
      }
      auto nhs = NhsNumber::parse(v);
      if (!nhs) {
        return make_error(Errc::kBadRequest, "identifier: " + nhs.error().detail);
      }
      d.nhs_number = *nhs;
    } else {
      return make_error(Errc::kBadRequest, "unsupported search parameter " + name);
    }
  }
  if (lower || upper) {
    if (d.birth_date) {
      return make_error(Errc::kBadRequest, "birthdate: give a date or a range, not both");
    }
    if (!lower || !upper || *upper < *lower) {
      return make_error(Errc::kBadRequest, "birthdate: a range needs ge and le, in order");
    }
    // A range becomes an approximate birth year: its middle, give or take half its span.
    const int span = upper->year - lower->year;
    d.birth_date = Date{lower->year + span / 2, 0, 0};
    d.birth_year_tolerance = (span + 1) / 2;
  }
  const bool named = !d.family.empty() || !d.given.empty();
  if (!d.nhs_number && !(named && (d.birth_date || !d.postcode.empty()))) {
    return make_error(Errc::kBadRequest,
                      "a demographic search needs an NHS number, or a name with a birthdate or "
                      "address-postalcode");
  }
  return d;
}

}  // namespace gw::identity
