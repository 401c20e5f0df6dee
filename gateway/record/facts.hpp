// What the shared care record needs to know about each stored resource before anything leaves:
// its data category, sensitivity classes and alert rank (for the policy engine and the
// ordering), and what the policy needs about the patient (registered practice, episodes,
// objection), all read from the resources themselves. Pure: no store, no clock.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/config/config.hpp"
#include "gateway/core/error.hpp"
#include "gateway/policy/engine.hpp"
#include "gateway/policy/sensitive_codes.hpp"
#include "gateway/store/record_store.hpp"

namespace gw::record {

/** kCategoryTagSystem: a meta.tag in this system names the resource's data category. */
inline constexpr std::string_view kCategoryTagSystem =
    "https://caregw.dev/CodeSystem/data-category";
/** kSensitivitySystem: a meta.security coding in this system marks a sensitivity class. */
inline constexpr std::string_view kSensitivitySystem = "https://caregw.dev/CodeSystem/sensitivity";
/** kOptOutPolicy: Consent.policy.uri of an objection to the shared care record. */
inline constexpr std::string_view kOptOutPolicy =
    "https://caregw.dev/policy/shared-care-record-opt-out";
/** kCarePlanKindSystem: CarePlan.category coding "crisis-plan" marks a crisis/relapse plan. */
inline constexpr std::string_view kCarePlanKindSystem =
    "https://caregw.dev/CodeSystem/care-plan-kind";
/** kSameFactUrl: the extension linking an entry to the same fact recorded by another source. */
inline constexpr std::string_view kSameFactUrl =
    "https://caregw.dev/fhir/StructureDefinition/same-fact-as";

/**
 * AlertRank: where a resource sorts among the alerts (lower first); kNone for everything else.
 * An active Flag is an alert: safeguarding (flag-category "safety") first, then DNACPR
 * (flag-category "advance-directive" or SNOMED 304253006 |Not for resuscitation|), then any
 * other flag; then AllergyIntolerance of criticality "high"; then crisis plans (a CarePlan
 * with category kCarePlanKindSystem|crisis-plan).
 */
enum class AlertRank : std::uint8_t {
  kSafeguardingFlag,
  kDnacprFlag,
  kOtherFlag,
  kHighCriticalityAllergy,
  kCrisisPlan,
  kNone,
};

/** Entry: one stored resource, parsed, with the facts derived from it. */
struct Entry {
  const store::StoredRecord* stored = nullptr;  // not owned; outlives the entry
  rapidjson::Document doc;                      // the resource
  policy::DataCategory category = policy::DataCategory::kDocuments;
  policy::SensitivitySet sensitivity = 0;
  AlertRank alert = AlertRank::kNone;
  std::string when;      // the clinical date (FHIR dateTime text) the timeline sorts by
  std::string fact_key;  // "Type|system|code" of the primary code, "" when none
};

/**
 * category_of: the resource's data category: a meta.tag in kCategoryTagSystem if present and
 * known; a Flag is "care-plans" (an alert is shared for direct care, as CP-IS shares a child
 * protection plan; safeguarding detail is tagged "safeguarding" by its source); a Consent is
 * "registration"; else the type's usual category; else "documents".
 */
[[nodiscard]] policy::DataCategory category_of(const rapidjson::Value& resource,
                                               std::string_view type);

/**
 * sensitivity_of: meta.security codings in kSensitivitySystem, plus the classifier's classes
 * for the resource's other meta.security codings (security labels such as HL7 v3 ActCode
 * PSYTHPN or SDV) and for its codes (code, medicationCodeableConcept, type, reasonCode,
 * category, securityLabel): a DocumentReference or Composition is classified by its type and
 * category, and a DocumentReference by its securityLabel too.
 * @param classifier may be null (then only the kSensitivitySystem markers count)
 */
[[nodiscard]] policy::SensitivitySet sensitivity_of(
    const rapidjson::Value& resource, const policy::SensitiveCodeClassifier* classifier);

/** alert_rank: see AlertRank. */
[[nodiscard]] AlertRank alert_rank(const rapidjson::Value& resource, std::string_view type);

/**
 * make_entry: parses a stored record's JSON and derives its facts.
 * @param pool where the document's values live (one pool per request saves an allocation per
 *        resource); null: the document's own. Must outlive the entry.
 * @return kInternal when the stored text is not a JSON object (the store checked it on write)
 */
[[nodiscard]] Result<Entry> make_entry(const store::StoredRecord& stored,
                                       const policy::SensitiveCodeClassifier* classifier,
                                       rapidjson::MemoryPoolAllocator<>* pool = nullptr);

/** facts_of: the policy engine's view of an entry (views into the entry; keep it alive). */
[[nodiscard]] policy::ResourceFacts facts_of(const Entry& e);

/**
 * order_entries: the Bundle order: alerts first (AlertRank order), then by resource type
 * (Condition, AllergyIntolerance, MedicationStatement, MedicationRequest, Encounter,
 * EpisodeOfCare, CarePlan, DocumentReference, Observation, then others by name), newest
 * clinical date first within a type, then source and id (stable).
 */
void order_entries(std::vector<Entry>& entries);

/**
 * patient_context: the policy's PatientContext from the person and their Encounter,
 * EpisodeOfCare and Consent entries (others are ignored):
 *  - registered practice: the first configured gp organisation holding a local id for them;
 *  - Encounter: from an ambulance organisation an ambulance incident at period.start; class
 *    IMP/ACUTE/NONAC an admission; any other class an attendance; open while status is
 *    planned/arrived/triaged/in-progress/onleave, else ended at period.end;
 *  - EpisodeOfCare (status active = open): at a mental-health organisation an MH episode (the
 *    care coordinator is careManager.identifier.value, the user id), at a social-care
 *    organisation a social care case;
 *  - objection: an active Consent whose policy.uri is kOptOutPolicy and provision.type "deny".
 */
[[nodiscard]] policy::PatientContext patient_context(const store::PersonView& person,
                                                     const config::Config& config,
                                                     std::span<const Entry> entries);

}  // namespace gw::record
