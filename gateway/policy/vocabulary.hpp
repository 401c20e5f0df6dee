// The closed vocabularies of the policy engine: data categories, sensitivity classes (legal
// exclusions), purposes of use, NHS RBAC job role codes, UK GDPR legal bases and break-glass
// reasons. Each has one text spelling used in agreement files, tokens, notices and audit.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gw::policy {

/** DataCategory: what a resource is about; agreements list the categories they allow. */
enum class DataCategory : std::uint8_t {
  kDemographics,
  kRegistration,
  kProblems,
  kMedications,
  kAllergies,
  kEncounters,
  kObservations,
  kCarePlans,
  kMentalHealthDetail,
  kSocialCareDetail,
  kSafeguarding,
  kDocuments,
};
inline constexpr std::size_t kCategoryCount = 12;

/** CategorySet: a set of categories as a bit mask (bit i = DataCategory i). */
using CategorySet = std::uint16_t;
[[nodiscard]] constexpr CategorySet category_bit(DataCategory c) {
  return static_cast<CategorySet>(1U << static_cast<unsigned>(c));
}

/**
 * Sensitivity: legal exclusions. A resource in any of these classes is withheld always; no
 * agreement and no break-glass lifts it. Only the class is ever named in a notice.
 */
enum class Sensitivity : std::uint8_t {
  kSexualHealth,            // sexual health, HIV and other sexually transmitted infections
  kAssistedConception,      // Human Fertilisation and Embryology Act 1990 s.33A
  kGenderReassignment,      // Gender Recognition Act 2004 s.22
  kTerminationOfPregnancy,  // Abortion Regulations 1991
  kSafeguardingThirdParty,  // information about or from a third party in a safeguarding record
  kMentalHealthNotes,       // detailed mental health (psychotherapy) notes
};
inline constexpr std::size_t kSensitivityCount = 6;

/** SensitivitySet: classes as a bit mask (bit i = Sensitivity i). */
using SensitivitySet = std::uint8_t;
[[nodiscard]] constexpr SensitivitySet sensitivity_bit(Sensitivity s) {
  return static_cast<SensitivitySet>(1U << static_cast<unsigned>(s));
}

/**
 * Purpose: purpose of use, in caregw's local code system
 * https://caregw.dev/CodeSystem/purpose-of-use (gateway/policy/README.md lists the codes and
 * their HL7 v3 ActReason equivalents).
 */
enum class Purpose : std::uint8_t {
  kDirectCare,
  kSafeguarding,
  kIgAudit,
  kOperations,
  kIntegration,
};
inline constexpr std::size_t kPurposeCount = 5;
inline constexpr std::string_view kPurposeSystem = "https://caregw.dev/CodeSystem/purpose-of-use";

/** BreakGlassReason: why a user broke the glass (gateway/policy/README.md). */
enum class BreakGlassReason : std::uint8_t {
  kEmergencyTreatment,
  kPatientRequest,
  kSafeguardingConcern
};

/** RoleInfo: an NHS RBAC job role code known to caregw, with its SDS name. */
struct RoleInfo {
  std::string_view code;  // e.g. "R8000"
  std::string_view name;  // e.g. "Clinical Practitioner Access Role"
};

[[nodiscard]] std::string_view category_name(DataCategory c);
[[nodiscard]] std::optional<DataCategory> parse_category(std::string_view s);
/** category_names: the names of the categories in `set`, comma separated, in enum order. */
[[nodiscard]] std::string category_names(CategorySet set);

[[nodiscard]] std::string_view sensitivity_name(Sensitivity s);
[[nodiscard]] std::optional<Sensitivity> parse_sensitivity(std::string_view s);
/** sensitivity_title: the human title used in notices, e.g. "sexual health". */
[[nodiscard]] std::string_view sensitivity_title(Sensitivity s);
[[nodiscard]] std::string sensitivity_names(SensitivitySet set);

[[nodiscard]] std::string_view purpose_name(Purpose p);
[[nodiscard]] std::optional<Purpose> parse_purpose(std::string_view s);

[[nodiscard]] std::string_view break_glass_reason_name(BreakGlassReason r);
[[nodiscard]] std::optional<BreakGlassReason> parse_break_glass_reason(std::string_view s);

/**
 * category_for_resource_type: the usual category of a FHIR R4 resource type (Patient ->
 * demographics, Condition -> problems, ...), or nullopt where it depends on the content (Flag,
 * an Observation from a social care assessment, ...) and the adapter must say.
 */
[[nodiscard]] std::optional<DataCategory> category_for_resource_type(std::string_view type);

/** known_roles: the RBAC job role codes caregw accepts (sources in gateway/policy/README.md). */
[[nodiscard]] std::span<const RoleInfo> known_roles();
/** find_role: the known role with this code, or nullptr. */
[[nodiscard]] const RoleInfo* find_role(std::string_view code);

/**
 * is_legal_basis_6 / is_legal_basis_9: UK GDPR Article 6(1)(a)-(f) and Article 9(2)(a)-(j),
 * written "6(1)(e)" and "9(2)(h)".
 */
[[nodiscard]] bool is_legal_basis_6(std::string_view s);
[[nodiscard]] bool is_legal_basis_9(std::string_view s);

}  // namespace gw::policy
