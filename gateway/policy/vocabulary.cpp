// Spellings of the policy vocabularies, and the RBAC job role table.
#include "gateway/policy/vocabulary.hpp"

#include <array>

namespace gw::policy {

namespace {

constexpr std::array<std::string_view, kCategoryCount> kCategoryNames = {
    "demographics", "registration", "problems",   "medications",          "allergies",
    "encounters",   "observations", "care-plans", "mental-health-detail", "social-care-detail",
    "safeguarding", "documents"};

constexpr std::array<std::string_view, kSensitivityCount> kSensitivityNames = {
    "sexual-health",
    "assisted-conception",
    "gender-reassignment",
    "termination-of-pregnancy",
    "safeguarding-third-party",
    "mental-health-notes"};

constexpr std::array<std::string_view, kSensitivityCount> kSensitivityTitles = {
    "sexual health (including HIV and sexually transmitted infections)",
    "assisted conception",
    "gender reassignment",
    "termination of pregnancy",
    "third-party safeguarding information",
    "detailed mental health notes"};

constexpr std::array<std::string_view, kPurposeCount> kPurposeNames = {
    "direct-care", "safeguarding", "ig-audit", "operations", "integration"};

constexpr std::array<std::string_view, 3> kBreakGlassNames = {
    "emergency-treatment", "patient-request", "safeguarding-concern"};

// NHS national RBAC job role codes (SDS). Sources: ../shared/reference/standards.md section 8
// (R8000), the Care Act ADW examples in ../shared/reference/socialcare/adw/examples (R8003,
// R1340, R0270, R0630), ../shared/reference/tkw-x/ITK_DE.xml (R1070 Paramedic),
// careconnect-document/raw-bundle.xml (R0050), ukcore-r4 Provenance example (R0260), and the NHS
// Digital "SDS Role Groups" table (digital.nhs.uk/data-and-information/publications/statistical/
// appointments-in-general-practice/sds-role-groups) for the rest.
constexpr std::array<RoleInfo, 24> kRoles = {{
    {"R0050", "Consultant"},
    {"R0110", "Specialist Registrar"},
    {"R0260", "General Medical Practitioner"},
    {"R0270", "Salaried General Practitioner"},
    {"R0620", "Staff Nurse"},
    {"R0630", "Enrolled Nurse"},
    {"R0700", "Community Nurse"},
    {"R1070", "Paramedic"},
    {"R1100", "Paramedic Specialist Practitioner"},
    {"R1290", "Pharmacist"},
    {"R1310", "Clinical Psychologist"},
    {"R1330", "Social Worker"},
    {"R1340", "Approved Social Worker"},
    {"R1975", "Community Mental Health Nurse"},
    {"R1981", "Psychiatrist"},
    {"R5100", "Audit Manager"},
    {"R5105", "Caldicott Guardian"},
    {"R8000", "Clinical Practitioner Access Role"},
    {"R8001", "Nurse Access Role"},
    {"R8002", "Nurse Manager Access Role"},
    {"R8003", "Health Professional Access Role"},
    {"R8008", "Admin/Clinical Support Access Role"},
    {"R8013", "Health Records Manager Access Role"},
    {"R8014", "Social Worker Access Role"},
}};

template <class E, std::size_t N>
std::optional<E> parse_in(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) {
      return static_cast<E>(i);
    }
  }
  return std::nullopt;
}

bool is_article(std::string_view s, std::string_view head, char last) {
  // "<head>(x)" with x a single lower-case letter from 'a' to `last`.
  if (s.size() != head.size() + 3 || s.substr(0, head.size()) != head) {
    return false;
  }
  const char c = s[head.size() + 1];
  return s[head.size()] == '(' && c >= 'a' && c <= last && s.back() == ')';
}

}  // namespace

std::string_view category_name(DataCategory c) { return kCategoryNames[static_cast<int>(c)]; }

std::optional<DataCategory> parse_category(std::string_view s) {
  return parse_in<DataCategory>(kCategoryNames, s);
}

std::string category_names(CategorySet set) {
  std::string out;
  for (std::size_t i = 0; i < kCategoryCount; ++i) {
    if ((set & (1U << i)) != 0) {
      out += (out.empty() ? "" : ", ") + std::string(kCategoryNames[i]);
    }
  }
  return out;
}

std::string_view sensitivity_name(Sensitivity s) { return kSensitivityNames[static_cast<int>(s)]; }

std::optional<Sensitivity> parse_sensitivity(std::string_view s) {
  return parse_in<Sensitivity>(kSensitivityNames, s);
}

std::string_view sensitivity_title(Sensitivity s) {
  return kSensitivityTitles[static_cast<int>(s)];
}

std::string sensitivity_names(SensitivitySet set) {
  std::string out;
  for (std::size_t i = 0; i < kSensitivityCount; ++i) {
    if ((set & (1U << i)) != 0) {
      out += (out.empty() ? "" : ", ") + std::string(kSensitivityNames[i]);
    }
  }
  return out;
}

std::string_view purpose_name(Purpose p) { return kPurposeNames[static_cast<int>(p)]; }

std::optional<Purpose> parse_purpose(std::string_view s) {
  return parse_in<Purpose>(kPurposeNames, s);
}

std::string_view break_glass_reason_name(BreakGlassReason r) {
  return kBreakGlassNames[static_cast<int>(r)];
}

std::optional<BreakGlassReason> parse_break_glass_reason(std::string_view s) {
  return parse_in<BreakGlassReason>(kBreakGlassNames, s);
}

std::optional<DataCategory> category_for_resource_type(std::string_view type) {
  struct Entry {
    std::string_view type;
    DataCategory category;
  };
  static constexpr std::array<Entry, 16> kTypes = {{
      {"Patient", DataCategory::kDemographics},
      {"RelatedPerson", DataCategory::kDemographics},
      {"EpisodeOfCare", DataCategory::kRegistration},
      {"Condition", DataCategory::kProblems},
      {"MedicationStatement", DataCategory::kMedications},
      {"MedicationRequest", DataCategory::kMedications},
      {"MedicationDispense", DataCategory::kMedications},
      {"MedicationAdministration", DataCategory::kMedications},
      {"Immunization", DataCategory::kMedications},
      {"AllergyIntolerance", DataCategory::kAllergies},
      {"Encounter", DataCategory::kEncounters},
      {"Observation", DataCategory::kObservations},
      {"DiagnosticReport", DataCategory::kObservations},
      {"CarePlan", DataCategory::kCarePlans},
      {"DocumentReference", DataCategory::kDocuments},
      {"Composition", DataCategory::kDocuments},
  }};
  for (const auto& e : kTypes) {
    if (e.type == type) {
      return e.category;
    }
  }
  return std::nullopt;
}

std::span<const RoleInfo> known_roles() { return kRoles; }

const RoleInfo* find_role(std::string_view code) {
  for (const auto& r : kRoles) {
    if (r.code == code) {
      return &r;
    }
  }
  return nullptr;
}

bool is_legal_basis_6(std::string_view s) { return is_article(s, "6(1)", 'f'); }

bool is_legal_basis_9(std::string_view s) { return is_article(s, "9(2)", 'j'); }

}  // namespace gw::policy
