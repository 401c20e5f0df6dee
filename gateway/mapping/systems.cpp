// Known code systems and the shape checks the loader applies to every code in a mapping file.
#include "gateway/mapping/systems.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace gw::mapping {
namespace {

using SV = std::string_view;

// HL7 v2 table 0001 (Administrative Sex): a sex value map must say what M, F and U become.
constexpr std::array<SV, 3> kV2SexRequired{"M", "F", "U"};
// HL7 v2 table 0004 (Patient Class): inpatient, outpatient and emergency are always sent.
constexpr std::array<SV, 3> kV2ClassRequired{"I", "O", "E"};
// NHS Data Dictionary PERSON GENDER CODE CURRENT: 0 not known, 1 male, 2 female, 9 not specified.
constexpr std::array<SV, 4> kPersonGender{"0", "1", "2", "9"};
// http://hl7.org/fhir/administrative-gender (FHIR R4).
constexpr std::array<SV, 4> kAdministrativeGender{"male", "female", "other", "unknown"};
// http://terminology.hl7.org/CodeSystem/v3-MaritalStatus (FHIR R4).
constexpr std::array<SV, 10> kV3Marital{"A", "D", "I", "L", "M", "P", "S", "T", "U", "W"};
// NHS Data Dictionary ETHNIC CATEGORY (2001 census classification), as UK Core's CodeSystem.
constexpr std::array<SV, 18> kEthnicCategory{"A", "B", "C", "D", "E", "F", "G", "H", "J",
                                             "K", "L", "M", "N", "P", "R", "S", "Z", "99"};
// NHS Data Dictionary DISCHARGE METHOD (HOSPITAL PROVIDER SPELL).
constexpr std::array<SV, 7> kDischargeMethod{"1", "2", "3", "4", "5", "8", "9"};
// CLD (Client Level Data) Service_Type values (shared/reference/socialcare/cld).
constexpr std::array<SV, 9> kCldServiceType{
    "Long Term Support: Nursing Care",
    "Long Term Support: Residential Care",
    "Long Term Support: Community",
    "Long Term Support: Prison",
    "Short Term Support: ST-Max",
    "Short Term Support: Ongoing Low Level",
    "Short Term Support: Other Short Term",
    "Carer Support: Direct to Carer",
    "Carer Support: Support involving the person cared-for"};

constexpr std::span<const SV> kNone{};

const std::array<System, 19> kSystems{{
    {"snomed", "http://snomed.info/sct", CodeShape::kSnomed, kNone, kNone, "SNOMED CT"},
    {"read-v2", "http://read.info/readv2", CodeShape::kReadV2, kNone, kNone, "Read v2"},
    {"icd-10", "http://hl7.org/fhir/sid/icd-10", CodeShape::kIcd10, kNone, kNone, "ICD-10"},
    {"hl7v2-0001", "http://terminology.hl7.org/CodeSystem/v2-0001", CodeShape::kUpperAlnum,
     kV2SexRequired, kNone, "HL7 v2 table 0001 Administrative Sex"},
    {"hl7v2-0002", "http://terminology.hl7.org/CodeSystem/v2-0002", CodeShape::kUpperAlnum, kNone,
     kNone, "HL7 v2 table 0002 Marital Status"},
    {"hl7v2-0004", "http://terminology.hl7.org/CodeSystem/v2-0004", CodeShape::kUpperAlnum,
     kV2ClassRequired, kNone, "HL7 v2 table 0004 Patient Class"},
    {"nhs-dd-person-gender", "urn:caregw:codes:nhs-dd:person-gender-code-current",
     CodeShape::kClosed, kPersonGender, kPersonGender,
     "NHS Data Dictionary Person Gender Code Current"},
    // NHS Data Dictionary code lists as native systems send them (HL7 v2 PID-22, PV1-36, CSV
    // extracts); the UK Core CodeSystems below hold the same codes on the FHIR side.
    {"nhs-dd-ethnic-category", "urn:caregw:codes:nhs-dd:ethnic-category", CodeShape::kClosed, kNone,
     kEthnicCategory, "NHS Data Dictionary Ethnic Category (native)"},
    {"nhs-dd-discharge-method", "urn:caregw:codes:nhs-dd:discharge-method", CodeShape::kClosed,
     kNone, kDischargeMethod, "NHS Data Dictionary Discharge Method (native)"},
    {"nhs-dd-discharge-destination", "urn:caregw:codes:nhs-dd:discharge-destination",
     CodeShape::kDigits, kNone, kNone, "NHS Data Dictionary Discharge Destination (native)"},
    {"nhs-dd-main-specialty", "urn:caregw:codes:nhs-dd:main-specialty-code", CodeShape::kDigits,
     kNone, kNone, "NHS Data Dictionary Main Specialty Code"},
    {"fhir-administrative-gender", "http://hl7.org/fhir/administrative-gender", CodeShape::kClosed,
     kNone, kAdministrativeGender, "FHIR AdministrativeGender"},
    {"v3-marital-status", "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
     CodeShape::kClosed, kNone, kV3Marital, "HL7 v3 MaritalStatus"},
    {"v3-null-flavor", "http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
     CodeShape::kUpperAlnum, kNone, kNone, "HL7 v3 NullFlavor"},
    {"v3-act-code", "http://terminology.hl7.org/CodeSystem/v3-ActCode", CodeShape::kUpperAlnum,
     kNone, kNone, "HL7 v3 ActCode (Encounter.class)"},
    {"ukcore-ethnic-category", "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
     CodeShape::kClosed, kNone, kEthnicCategory, "NHS Data Dictionary Ethnic Category"},
    {"ukcore-discharge-method", "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland",
     CodeShape::kClosed, kNone, kDischargeMethod, "NHS Data Dictionary Discharge Method"},
    {"ukcore-discharge-destination",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland", CodeShape::kDigits,
     kNone, kNone, "NHS Data Dictionary Discharge Destination"},
    {"cld-service-type", "urn:caregw:codes:cld:service-type", CodeShape::kClosed, kNone,
     kCldServiceType, "Client Level Data Service_Type"},
}};

constexpr std::string_view kLocalPrefix = "local:";
constexpr std::string_view kLocalUri = "urn:caregw:codes:local:";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z'); }

bool all_of(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

std::string check_snomed(std::string_view code) {
  // SNOMED CT identifiers: 6 to 18 digits, the last a Verhoeff check digit (SNOMED CT
  // Technical Implementation Guide, 6.1 "SCTID").
  if (code.size() < 6 || code.size() > 18 || !all_of(code, is_digit)) {
    return "a SNOMED CT identifier is 6 to 18 digits";
  }
  if (code.front() == '0') {
    return "a SNOMED CT identifier does not start with 0";
  }
  if (!verhoeff_valid(code)) {
    return "fails the SNOMED CT (Verhoeff) check digit";
  }
  return {};
}

std::string check_read_v2(std::string_view code) {
  // Read v2: a 5-character code (letters, digits and '.' padding); EMIS appends a 2-character
  // term id (e.g. "G33..00").
  const bool term = code.size() == 7;
  if (code.size() != 5 && !term) {
    return "a Read v2 code is 5 characters (7 with a term id)";
  }
  const auto head = code.substr(0, 5);
  if (!std::all_of(head.begin(), head.end(), [](char c) { return is_alnum(c) || c == '.'; }) ||
      head.front() == '.') {
    return "a Read v2 code holds letters, digits and '.' padding";
  }
  if (term && !all_of(code.substr(5), is_alnum)) {
    return "a Read v2 term id is 2 letters or digits";
  }
  return {};
}

std::string check_icd10(std::string_view code) {
  // ICD-10: a letter and two digits (the category), optionally "." and one or two characters.
  const bool cat = code.size() >= 3 && is_upper(code[0]) && is_digit(code[1]) && is_digit(code[2]);
  auto rest = cat ? code.substr(3) : std::string_view{};
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    if (rest.empty()) {
      return "an ICD-10 code does not end in '.'";
    }
  }
  if (!cat || rest.size() > 2 ||
      !std::all_of(rest.begin(), rest.end(), [](char c) { return is_digit(c) || is_upper(c); })) {
    return "an ICD-10 code is a letter, two digits and optionally '.' and 1-2 characters";
  }
  return {};
}

std::string check_known(const System& s, std::string_view code) {
  switch (s.shape) {
    case CodeShape::kAny:
      return {};
    case CodeShape::kSnomed:
      return check_snomed(code);
    case CodeShape::kReadV2:
      return check_read_v2(code);
    case CodeShape::kIcd10:
      return check_icd10(code);
    case CodeShape::kDigits:
      return all_of(code, is_digit) ? std::string{} : std::string("must be digits only");
    case CodeShape::kUpperAlnum:
      return std::all_of(code.begin(), code.end(),
                         [](char c) { return is_upper(c) || is_digit(c) || c == '_'; })
                 ? std::string{}
                 : std::string("must be upper-case letters and digits");
    case CodeShape::kClosed:
      return std::find(s.members.begin(), s.members.end(), code) != s.members.end()
                 ? std::string{}
                 : std::string("not a code of ") + std::string(s.title);
  }
  return {};
}

/** known_system: the known system `name` names (its alias or its URI), or nullptr. */
const System* known_system(std::string_view name) {
  for (const System& s : kSystems) {
    if (s.alias == name || s.uri == name) {
      return &s;
    }
  }
  return nullptr;
}

}  // namespace

std::span<const System> known_systems() { return kSystems; }

std::optional<SystemRef> resolve_system(std::string_view name) {
  if (const System* s = known_system(name)) {
    return SystemRef{std::string(s->alias), std::string(s->uri), s};
  }
  std::string_view local;
  if (name.starts_with(kLocalPrefix)) {
    local = name.substr(kLocalPrefix.size());
  } else if (name.starts_with(kLocalUri)) {
    local = name.substr(kLocalUri.size());
  } else {
    return std::nullopt;
  }
  if (local.empty() || !std::all_of(local.begin(), local.end(),
                                    [](char c) { return is_alnum(c) || c == '-' || c == '_'; })) {
    return std::nullopt;
  }
  return SystemRef{std::string(kLocalPrefix) + std::string(local),
                   std::string(kLocalUri) + std::string(local), nullptr};
}

std::string_view system_uri(std::string_view name, std::string& scratch) {
  if (const System* s = known_system(name)) {
    return s->uri;
  }
  auto local = resolve_system(name);
  scratch = local ? std::move(local->uri) : std::string(name);
  return scratch;
}

std::string check_code(const SystemRef& system, std::string_view code) {
  if (code.empty()) {
    return "a code may not be empty";
  }
  if (code.front() == ' ' || code.back() == ' ') {
    return "a code may not start or end with a space";
  }
  return system.known == nullptr ? std::string{} : check_known(*system.known, code);
}

bool verhoeff_valid(std::string_view digits) {
  // Verhoeff's dihedral-group check (the tables as published for the algorithm).
  static constexpr std::uint8_t kD[10][10] = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
      {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
      {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
      {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
      {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
  static constexpr std::uint8_t kP[8][10] = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
      {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
      {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
      {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
  if (digits.empty() || !all_of(digits, is_digit)) {
    return false;
  }
  unsigned c = 0;
  std::size_t i = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++i) {
    c = kD[c][kP[i % 8][static_cast<unsigned>(*it - '0')]];
  }
  return c == 0;
}

}  // namespace gw::mapping
