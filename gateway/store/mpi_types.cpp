// Stable text codes for the MPI enums (what the database stores) and the input checks every
// MpiRepository implementation applies before writing. Error details never repeat a value.
#include "gateway/store/mpi_types.hpp"

#include <array>
#include <cmath>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace gw::store {
namespace {

template <class E, std::size_t N>
std::optional<E> from_code(const std::array<std::pair<E, std::string_view>, N>& table,
                           std::string_view code) {
  for (const auto& [value, text] : table) {
    if (text == code) {
      return value;
    }
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view to_code(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, text] : table) {
    if (v == value) {
      return text;
    }
  }
  return "unknown";
}

constexpr std::array<std::pair<LocalIdType, std::string_view>, 5> kLocalIdTypes{{
    {LocalIdType::kEmisPatientGuid, "emis-guid"},
    {LocalIdType::kHospitalMrn, "mrn"},
    {LocalIdType::kMentalHealthId, "mh-id"},
    {LocalIdType::kLasPersonId, "las-person-id"},
    {LocalIdType::kAmbulancePatientRef, "amb-patient-ref"},
}};

constexpr std::array<std::pair<LinkMethod, std::string_view>, 4> kLinkMethods{{
    {LinkMethod::kExactIdentifier, "exact-identifier"},
    {LinkMethod::kVerifiedNhsNumber, "verified-nhs-number"},
    {LinkMethod::kProbabilistic, "probabilistic"},
    {LinkMethod::kManual, "manual"},
}};

constexpr std::array<std::pair<Gender, std::string_view>, 4> kGenders{{
    {Gender::kUnknown, "unknown"},
    {Gender::kMale, "male"},
    {Gender::kFemale, "female"},
    {Gender::kOther, "other"},
}};

constexpr std::array<std::pair<ReviewKind, std::string_view>, 2> kReviewKinds{{
    {ReviewKind::kPossibleMatch, "possible-match"},
    {ReviewKind::kNhsNumberConflict, "nhs-number-conflict"},
}};

constexpr std::array<std::pair<ReviewStatus, std::string_view>, 4> kReviewStatuses{{
    {ReviewStatus::kOpen, "open"},
    {ReviewStatus::kLinked, "linked"},
    {ReviewStatus::kNotDuplicate, "not-duplicate"},
    {ReviewStatus::kNewPerson, "new-person"},
}};

constexpr std::array<std::pair<ReviewActionKind, std::string_view>, 6> kReviewActions{{
    {ReviewActionKind::kOpened, "opened"},
    {ReviewActionKind::kInspected, "inspected"},
    {ReviewActionKind::kCommented, "commented"},
    {ReviewActionKind::kLinked, "linked"},
    {ReviewActionKind::kMarkedNotDuplicate, "marked-not-duplicate"},
    {ReviewActionKind::kCreatedNewPerson, "created-new-person"},
}};

bool has_control_char(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return true;
    }
  }
  return false;
}

Result<void> check_list(const std::vector<std::string>& list, std::string_view field) {
  if (list.size() > kMaxListEntries) {
    return make_error(Errc::kBadRequest, std::string(field) + ": too many entries");
  }
  for (const auto& s : list) {
    if (auto r = validate_short_text(s, kMaxTextBytes, field, false); !r) {
      return r;
    }
  }
  return {};
}

}  // namespace

std::string_view local_id_type_code(LocalIdType t) { return to_code(kLocalIdTypes, t); }
std::optional<LocalIdType> parse_local_id_type(std::string_view code) {
  return from_code(kLocalIdTypes, code);
}
std::string_view link_method_code(LinkMethod m) { return to_code(kLinkMethods, m); }
std::optional<LinkMethod> parse_link_method(std::string_view code) {
  return from_code(kLinkMethods, code);
}
std::string_view gender_code(Gender g) { return to_code(kGenders, g); }
std::optional<Gender> parse_gender(std::string_view code) { return from_code(kGenders, code); }
std::string_view review_kind_code(ReviewKind k) { return to_code(kReviewKinds, k); }
std::optional<ReviewKind> parse_review_kind(std::string_view code) {
  return from_code(kReviewKinds, code);
}
std::string_view review_status_code(ReviewStatus s) { return to_code(kReviewStatuses, s); }
std::optional<ReviewStatus> parse_review_status(std::string_view code) {
  return from_code(kReviewStatuses, code);
}
std::string_view review_action_code(ReviewActionKind k) { return to_code(kReviewActions, k); }
std::optional<ReviewActionKind> parse_review_action(std::string_view code) {
  return from_code(kReviewActions, code);
}

LinkProvenance LinkProvenance::exact_identifier(std::string message_id) {
  LinkProvenance p;
  p.method = LinkMethod::kExactIdentifier;
  p.message_id = std::move(message_id);
  return p;
}

LinkProvenance LinkProvenance::verified_nhs_number(std::string message_id) {
  LinkProvenance p;
  p.method = LinkMethod::kVerifiedNhsNumber;
  p.message_id = std::move(message_id);
  return p;
}

LinkProvenance LinkProvenance::probabilistic(double score, std::string message_id) {
  LinkProvenance p;
  p.method = LinkMethod::kProbabilistic;
  p.score = score;
  p.message_id = std::move(message_id);
  return p;
}

LinkProvenance LinkProvenance::manual(std::string reviewer, std::optional<ReviewItemId> item) {
  LinkProvenance p;
  p.method = LinkMethod::kManual;
  p.reviewer = std::move(reviewer);
  p.review_item = item;
  return p;
}

Result<void> validate_short_text(std::string_view text, std::size_t max, std::string_view field,
                                 bool required) {
  if (required && text.empty()) {
    return make_error(Errc::kBadRequest, std::string(field) + ": required");
  }
  if (text.size() > max) {
    return make_error(Errc::kBadRequest,
                      std::string(field) + ": longer than " + std::to_string(max) + " bytes");
  }
  if (has_control_char(text)) {
    return make_error(Errc::kBadRequest, std::string(field) + ": contains control characters");
  }
  return {};
}

Result<void> validate_note(std::string_view text, std::string_view field, bool required) {
  if (required && text.empty()) {
    return make_error(Errc::kBadRequest, std::string(field) + ": required");
  }
  if (text.size() > kMaxNoteBytes) {
    return make_error(Errc::kBadRequest, std::string(field) + ": longer than " +
                                             std::to_string(kMaxNoteBytes) + " bytes");
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7F) {
      return make_error(Errc::kBadRequest, std::string(field) + ": contains control characters");
    }
  }
  return {};
}

Result<void> validate_local_id(const LocalId& id) {
  if (!parse_local_id_type(local_id_type_code(id.type))) {
    return make_error(Errc::kBadRequest, "local identifier: unknown type");
  }
  return validate_short_text(id.value, kMaxLocalIdBytes, "local identifier value", true);
}

Result<void> validate_demographics(const Demographics& d) {
  if (auto r = validate_short_text(d.family, kMaxTextBytes, "family name", false); !r) {
    return r;
  }
  if (auto r = check_list(d.given, "given names"); !r) {
    return r;
  }
  if (d.previous_names.size() > kMaxListEntries) {
    return make_error(Errc::kBadRequest, "previous names: too many entries");
  }
  for (const auto& n : d.previous_names) {
    if (auto r = validate_short_text(n.family, kMaxTextBytes, "previous family name", false); !r) {
      return r;
    }
    if (auto r = check_list(n.given, "previous given names"); !r) {
      return r;
    }
  }
  if (d.birth_date && !d.birth_date->ok()) {
    return make_error(Errc::kBadRequest, "birth date: not a calendar date");
  }
  if (d.birth_date && (d.birth_date->year() < std::chrono::year{1800} ||
                       d.birth_date->year() > std::chrono::year{9999})) {
    return make_error(Errc::kBadRequest, "birth date: year out of range");
  }
  if (auto r = check_list(d.address_lines, "address lines"); !r) {
    return r;
  }
  if (auto r = validate_short_text(d.postcode, kMaxTextBytes, "postcode", false); !r) {
    return r;
  }
  if (d.telecom.size() > kMaxListEntries) {
    return make_error(Errc::kBadRequest, "telecom: too many entries");
  }
  for (const auto& t : d.telecom) {
    for (const auto* s : {&t.system, &t.value, &t.use}) {
      if (auto r = validate_short_text(*s, kMaxTextBytes, "telecom", false); !r) {
        return r;
      }
    }
  }
  return {};
}

Result<void> validate_provenance(const LinkProvenance& p) {
  if (!parse_link_method(link_method_code(p.method))) {
    return make_error(Errc::kBadRequest, "link provenance: unknown method");
  }
  if (p.method == LinkMethod::kProbabilistic && (!p.score || !std::isfinite(*p.score))) {
    return make_error(Errc::kBadRequest, "link provenance: a probabilistic link needs a score");
  }
  if (p.score && !std::isfinite(*p.score)) {
    return make_error(Errc::kBadRequest, "link provenance: score is not a finite number");
  }
  if (auto r = validate_short_text(p.reviewer, kMaxActorBytes, "link reviewer",
                                   p.method == LinkMethod::kManual);
      !r) {
    return r;
  }
  return validate_short_text(p.message_id, kMaxActorBytes, "link message id", false);
}

Result<void> validate_json_text(std::string_view json, std::string_view field) {
  if (json.size() > kMaxJsonBytes) {
    return make_error(Errc::kBadRequest, std::string(field) + ": JSON larger than " +
                                             std::to_string(kMaxJsonBytes) + " bytes");
  }
  rapidjson::Document doc;
  // Iterative parsing: deeply nested input cannot exhaust the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    return make_error(Errc::kBadRequest, std::string(field) + ": not valid JSON (" +
                                             rapidjson::GetParseError_En(doc.GetParseError()) +
                                             ")");
  }
  return {};
}

}  // namespace gw::store
