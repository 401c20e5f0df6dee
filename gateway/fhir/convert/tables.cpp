// Lookup tables of the STU3 -> R4 conversion: the resource types each version defines
// (http://hl7.org/fhir/STU3/resourcelist.html, http://hl7.org/fhir/R4/resourcelist.html), the
// element converter of each STU3 type, the top-level element names of the R4 types we convert
// (the final check that no STU3-only element survives), and the code systems that moved.
#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <unordered_map>

#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir::convert {
namespace {

constexpr auto kStu3Types = std::to_array<std::string_view>({"Account",
                                                             "ActivityDefinition",
                                                             "AdverseEvent",
                                                             "AllergyIntolerance",
                                                             "Appointment",
                                                             "AppointmentResponse",
                                                             "AuditEvent",
                                                             "Basic",
                                                             "Binary",
                                                             "BodySite",
                                                             "Bundle",
                                                             "CapabilityStatement",
                                                             "CarePlan",
                                                             "CareTeam",
                                                             "ChargeItem",
                                                             "Claim",
                                                             "ClaimResponse",
                                                             "ClinicalImpression",
                                                             "CodeSystem",
                                                             "Communication",
                                                             "CommunicationRequest",
                                                             "CompartmentDefinition",
                                                             "Composition",
                                                             "ConceptMap",
                                                             "Condition",
                                                             "Consent",
                                                             "Contract",
                                                             "Coverage",
                                                             "DataElement",
                                                             "DetectedIssue",
                                                             "Device",
                                                             "DeviceComponent",
                                                             "DeviceMetric",
                                                             "DeviceRequest",
                                                             "DeviceUseStatement",
                                                             "DiagnosticReport",
                                                             "DocumentManifest",
                                                             "DocumentReference",
                                                             "EligibilityRequest",
                                                             "EligibilityResponse",
                                                             "Encounter",
                                                             "Endpoint",
                                                             "EnrollmentRequest",
                                                             "EnrollmentResponse",
                                                             "EpisodeOfCare",
                                                             "ExpansionProfile",
                                                             "ExplanationOfBenefit",
                                                             "FamilyMemberHistory",
                                                             "Flag",
                                                             "Goal",
                                                             "GraphDefinition",
                                                             "Group",
                                                             "GuidanceResponse",
                                                             "HealthcareService",
                                                             "ImagingManifest",
                                                             "ImagingStudy",
                                                             "Immunization",
                                                             "ImmunizationRecommendation",
                                                             "ImplementationGuide",
                                                             "Library",
                                                             "Linkage",
                                                             "List",
                                                             "Location",
                                                             "Measure",
                                                             "MeasureReport",
                                                             "Media",
                                                             "Medication",
                                                             "MedicationAdministration",
                                                             "MedicationDispense",
                                                             "MedicationRequest",
                                                             "MedicationStatement",
                                                             "MessageDefinition",
                                                             "MessageHeader",
                                                             "NamingSystem",
                                                             "NutritionOrder",
                                                             "Observation",
                                                             "OperationDefinition",
                                                             "OperationOutcome",
                                                             "Organization",
                                                             "Parameters",
                                                             "Patient",
                                                             "PaymentNotice",
                                                             "PaymentReconciliation",
                                                             "Person",
                                                             "PlanDefinition",
                                                             "Practitioner",
                                                             "PractitionerRole",
                                                             "Procedure",
                                                             "ProcedureRequest",
                                                             "ProcessRequest",
                                                             "ProcessResponse",
                                                             "Provenance",
                                                             "Questionnaire",
                                                             "QuestionnaireResponse",
                                                             "ReferralRequest",
                                                             "RelatedPerson",
                                                             "RequestGroup",
                                                             "ResearchStudy",
                                                             "ResearchSubject",
                                                             "RiskAssessment",
                                                             "Schedule",
                                                             "SearchParameter",
                                                             "Sequence",
                                                             "ServiceDefinition",
                                                             "Slot",
                                                             "Specimen",
                                                             "StructureDefinition",
                                                             "StructureMap",
                                                             "Subscription",
                                                             "Substance",
                                                             "SupplyDelivery",
                                                             "SupplyRequest",
                                                             "Task",
                                                             "TestReport",
                                                             "TestScript",
                                                             "ValueSet",
                                                             "VisionPrescription"});

// STU3 types that R4 no longer has (two of them renamed into ServiceRequest). Types new in R4 are
// not listed anywhere: the only question asked is "does an STU3 type survive in R4?".
constexpr auto kStu3TypesGoneInR4 = std::to_array<std::string_view>(
    {"BodySite", "DataElement", "DeviceComponent", "EligibilityRequest", "EligibilityResponse",
     "ExpansionProfile", "ImagingManifest", "ProcessRequest", "ProcessResponse", "Sequence",
     "ServiceDefinition", "ReferralRequest", "ProcedureRequest"});

struct ConverterEntry {
  std::string_view type;
  Converter fn;
};

constexpr auto kConverters = std::to_array<ConverterEntry>({
    {"AllergyIntolerance", convert_allergy_intolerance},
    {"Binary", convert_binary},
    {"CarePlan", convert_care_plan},
    {"Composition", convert_composition},
    {"Condition", convert_condition},
    {"Consent", convert_consent},
    {"DiagnosticReport", convert_diagnostic_report},
    {"DocumentReference", convert_document_reference},
    {"Encounter", convert_encounter},
    {"EpisodeOfCare", convert_unchanged},
    {"Flag", convert_flag},
    {"HealthcareService", convert_healthcare_service},
    {"Immunization", convert_immunization},
    {"List", convert_unchanged},
    {"Location", convert_location},
    {"Medication", convert_medication},
    {"MedicationRequest", convert_medication_request},
    {"MedicationStatement", convert_medication_statement},
    {"MessageHeader", convert_message_header},
    {"Observation", convert_observation},
    {"OperationOutcome", convert_unchanged},
    {"Organization", convert_unchanged},
    {"Patient", convert_patient},
    {"Practitioner", convert_unchanged},
    {"PractitionerRole", convert_unchanged},
    {"Procedure", convert_procedure},
    {"ProcedureRequest", convert_procedure_request},
    {"ReferralRequest", convert_referral_request},
    {"RelatedPerson", convert_related_person},
    {"Specimen", convert_unchanged},
    {"Task", convert_task},
});

// Top-level R4 element names. "name[A|B]" is a choice element: nameA, nameB. The DomainResource
// elements (id, meta, implicitRules, language, text, contained, extension, modifierExtension) are
// added to every type except Bundle, Parameters and Binary, which are plain Resources.
constexpr auto kR4Elements = std::to_array<std::pair<std::string_view, std::string_view>>({
    {"AllergyIntolerance",
     "identifier clinicalStatus verificationStatus type category criticality code patient "
     "encounter onset[DateTime|Age|Period|Range|String] recordedDate recorder asserter "
     "lastOccurrence note reaction"},
    {"Binary", "contentType securityContext data"},
    {"Bundle", "identifier type timestamp total link entry signature"},
    {"CarePlan",
     "identifier instantiatesCanonical instantiatesUri basedOn replaces partOf status intent "
     "category title description subject encounter period created author contributor careTeam "
     "addresses supportingInfo goal activity note"},
    {"Composition",
     "identifier status type category subject encounter date author title confidentiality "
     "attester custodian relatesTo event section"},
    {"Condition",
     "identifier clinicalStatus verificationStatus category severity code bodySite subject "
     "encounter onset[DateTime|Age|Period|Range|String] "
     "abatement[DateTime|Age|Period|Range|String] "
     "recordedDate recorder asserter stage evidence note"},
    {"Consent",
     "identifier status scope category patient dateTime performer organization "
     "source[Attachment|Reference] policy policyRule verification provision"},
    {"DiagnosticReport",
     "identifier basedOn status category code subject encounter effective[DateTime|Period] issued "
     "performer resultsInterpreter specimen result imagingStudy media conclusion conclusionCode "
     "presentedForm"},
    {"DocumentReference",
     "masterIdentifier identifier status docStatus type category subject date author "
     "authenticator custodian relatesTo description securityLabel content context"},
    {"Encounter",
     "identifier status statusHistory class classHistory type serviceType priority subject "
     "episodeOfCare basedOn participant appointment period length reasonCode reasonReference "
     "diagnosis account hospitalization location serviceProvider partOf"},
    {"EpisodeOfCare",
     "identifier status statusHistory type diagnosis patient managingOrganization period "
     "referralRequest careManager team account"},
    {"Flag", "identifier status category code subject period encounter author"},
    {"HealthcareService",
     "identifier active providedBy category type specialty location name comment extraDetails "
     "photo telecom coverageArea serviceProvisionCode eligibility program characteristic "
     "communication referralMethod appointmentRequired availableTime notAvailable "
     "availabilityExceptions endpoint"},
    {"Immunization",
     "identifier status statusReason vaccineCode patient encounter occurrence[DateTime|String] "
     "recorded primarySource reportOrigin location manufacturer lotNumber expirationDate site "
     "route doseQuantity performer note reasonCode reasonReference isSubpotent subpotentReason "
     "education programEligibility fundingSource reaction protocolApplied"},
    {"List",
     "identifier status mode title code subject encounter date source orderedBy note entry "
     "emptyReason"},
    {"Location",
     "identifier status operationalStatus name alias description mode type telecom address "
     "physicalType position managingOrganization partOf hoursOfOperation availabilityExceptions "
     "endpoint"},
    {"Medication", "identifier code status manufacturer form amount ingredient batch"},
    {"MedicationRequest",
     "identifier status statusReason intent category priority doNotPerform "
     "reported[Boolean|Reference] medication[CodeableConcept|Reference] subject encounter "
     "supportingInformation authoredOn requester performer performerType recorder reasonCode "
     "reasonReference instantiatesCanonical instantiatesUri basedOn groupIdentifier "
     "courseOfTherapyType insurance note dosageInstruction dispenseRequest substitution "
     "priorPrescription detectedIssue eventHistory"},
    {"MedicationStatement",
     "identifier basedOn partOf status statusReason category medication[CodeableConcept|Reference] "
     "subject context effective[DateTime|Period] dateAsserted informationSource derivedFrom "
     "reasonCode reasonReference note dosage"},
    {"MessageHeader",
     "event[Coding|Uri] destination sender enterer author source responsible reason response "
     "focus definition"},
    {"Observation",
     "identifier basedOn partOf status category code subject focus encounter "
     "effective[DateTime|Period|Timing|Instant] issued performer "
     "value[Quantity|CodeableConcept|String|Boolean|Integer|Range|Ratio|SampledData|Time|DateTime|"
     "Period] dataAbsentReason interpretation note bodySite method specimen device referenceRange "
     "hasMember derivedFrom component"},
    {"OperationOutcome", "issue"},
    {"Organization", "identifier active type name alias telecom address partOf contact endpoint"},
    {"Parameters", "parameter"},
    {"Patient",
     "identifier active name telecom gender birthDate deceased[Boolean|DateTime] address "
     "maritalStatus multipleBirth[Boolean|Integer] photo contact communication "
     "generalPractitioner managingOrganization link"},
    {"Practitioner",
     "identifier active name telecom address gender birthDate photo qualification communication"},
    {"PractitionerRole",
     "identifier active period practitioner organization code specialty location "
     "healthcareService telecom availableTime notAvailable availabilityExceptions endpoint"},
    {"Procedure",
     "identifier instantiatesCanonical instantiatesUri basedOn partOf status statusReason "
     "category code subject encounter performed[DateTime|Period|String|Age|Range] recorder "
     "asserter performer location reasonCode reasonReference bodySite outcome report "
     "complication complicationDetail followUp note focalDevice usedReference usedCode"},
    {"RelatedPerson",
     "identifier active patient relationship name telecom gender birthDate address photo period "
     "communication"},
    {"ServiceRequest",
     "identifier instantiatesCanonical instantiatesUri basedOn replaces requisition status intent "
     "category priority doNotPerform code orderDetail quantity[Quantity|Ratio|Range] subject "
     "encounter occurrence[DateTime|Period|Timing] asNeeded[Boolean|CodeableConcept] authoredOn "
     "requester performerType performer locationCode locationReference reasonCode "
     "reasonReference insurance supportingInfo specimen bodySite note patientInstruction "
     "relevantHistory"},
    {"Specimen",
     "identifier accessionIdentifier status type subject receivedTime parent request collection "
     "processing container condition note"},
    {"Task",
     "identifier instantiatesCanonical instantiatesUri basedOn groupIdentifier partOf status "
     "statusReason businessStatus intent priority code description focus for encounter "
     "executionPeriod authoredOn lastModified requester performerType owner location reasonCode "
     "reasonReference insurance note relevantHistory restriction input output"},
    {"DomainResource", "id meta implicitRules language text contained extension modifierExtension"},
    {"Resource", "id meta implicitRules language"},
});

std::vector<std::string> expand(std::string_view spec) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < spec.size()) {
    std::size_t end = spec.find(' ', pos);
    if (end == std::string_view::npos) {
      end = spec.size();
    }
    std::string_view word = spec.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) {
      continue;
    }
    auto open = word.find('[');
    if (open == std::string_view::npos) {
      out.emplace_back(word);
      continue;
    }
    std::string_view stem = word.substr(0, open);
    std::string_view types = word.substr(open + 1, word.size() - open - 2);
    std::size_t t = 0;
    while (t <= types.size()) {
      std::size_t bar = types.find('|', t);
      if (bar == std::string_view::npos) {
        bar = types.size();
      }
      out.push_back(cat(stem, types.substr(t, bar - t)));
      t = bar + 1;
    }
  }
  return out;
}

/** elements_by_type: the R4 element names of each type in kR4Elements, base elements first. */
std::map<std::string_view, std::vector<std::string>> elements_by_type() {
  std::map<std::string_view, std::vector<std::string>> m;
  std::vector<std::string> resource;
  std::vector<std::string> domain;
  for (const auto& [type, spec] : kR4Elements) {
    if (type == "Resource") {
      resource = expand(spec);
    } else if (type == "DomainResource") {
      domain = expand(spec);
    }
  }
  for (const auto& [type, spec] : kR4Elements) {
    if (type == "Resource" || type == "DomainResource") {
      continue;
    }
    std::vector<std::string> names = expand(spec);
    bool plain = type == "Bundle" || type == "Parameters" || type == "Binary";
    const std::vector<std::string>& base = plain ? resource : domain;
    names.insert(names.begin(), base.begin(), base.end());
    m.emplace(type, std::move(names));
  }
  return m;
}

/**
 * TypeIndex: every resource type name the converter knows (STU3's, and the R4 types whose
 * elements are listed), found with one hash lookup: each resource is looked up several times
 * (is it STU3, its converter, is it R4, its R4 elements) and the lists are long.
 */
class TypeIndex {
public:
  TypeIndex() : table_(build()) {}
  [[nodiscard]] const TypeInfo* find(std::string_view type) const { return table_.find(type); }

private:
  std::vector<std::pair<std::string_view, TypeInfo>> build() {
    std::map<std::string_view, TypeInfo> types;
    for (std::string_view t : kStu3Types) {
      types[t].stu3 = true;
      types[t].r4 = std::find(kStu3TypesGoneInR4.begin(), kStu3TypesGoneInR4.end(), t) ==
                    kStu3TypesGoneInR4.end();
    }
    types["ServiceRequest"].r4 = true;
    for (const auto& e : kConverters) {
      types[e.type].converter = e.fn;
    }
    for (auto& [type, names] : elements_by_type()) {
      types[type].elements = &elements_.emplace_back(std::move(names));
    }
    return {types.begin(), types.end()};
  }
  std::deque<R4Elements> elements_;  // a deque: TypeInfo::elements points into it
  NameTable<TypeInfo> table_;        // after elements_, which build() fills
};

const TypeIndex& type_index() {
  static const TypeIndex kIndex;
  return kIndex;
}

struct SystemEntry {
  std::string_view stu3;
  std::string_view r4;
};

constexpr std::string_view kTho = "http://terminology.hl7.org/CodeSystem/";

// Code systems whose URL changed. HL7's own moved to terminology.hl7.org in R4
// (http://hl7.org/fhir/R4/terminologies-systems.html); CareConnect / GP Connect ones have UK Core
// successors (https://simplifier.net/hl7fhirukcorer4), URLs as the UK Core examples spell them.
constexpr auto kSystems = std::to_array<SystemEntry>({
    {"http://hl7.org/fhir/v2/0078",
     "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"},
    {"http://hl7.org/fhir/observation-category", "observation-category"},
    {"http://hl7.org/fhir/condition-category", "condition-category"},
    {"http://hl7.org/fhir/condition-clinical", "condition-clinical"},
    {"http://hl7.org/fhir/condition-ver-status", "condition-ver-status"},
    {"http://hl7.org/fhir/allergy-clinical-status", "allergyintolerance-clinical"},
    {"http://hl7.org/fhir/allergy-verification-status", "allergyintolerance-verification"},
    {"http://hl7.org/fhir/list-order", "list-order"},
    {"http://hl7.org/fhir/list-empty-reason", "list-empty-reason"},
    {"http://hl7.org/fhir/list-example-use-codes", "list-example-use-codes"},
    {"http://hl7.org/fhir/diagnosis-role", "diagnosis-role"},
    {"http://hl7.org/fhir/flag-category", "flag-category"},
    {"http://hl7.org/fhir/medication-statement-category", "medication-statement-category"},
    {"http://hl7.org/fhir/medication-request-category", "medicationrequest-category"},
    {"http://hl7.org/fhir/medication-admin-category", "medication-admin-category"},
    {"http://hl7.org/fhir/data-absent-reason", "data-absent-reason"},
    {"http://hl7.org/fhir/referencerange-meaning", "referencerange-meaning"},
    {"http://hl7.org/fhir/operation-outcome", "operation-outcome"},
    {"http://hl7.org/fhir/admit-source", "admit-source"},
    {"http://hl7.org/fhir/discharge-disposition", "discharge-disposition"},
    {"http://hl7.org/fhir/diet", "diet"},
    {"http://hl7.org/fhir/encounter-special-arrangements", "encounter-special-arrangements"},
    {"http://hl7.org/fhir/encounter-type", "encounter-type"},
    {"http://hl7.org/fhir/practitioner-role", "practitioner-role"},
    {"http://hl7.org/fhir/organization-type", "organization-type"},
    {"http://hl7.org/fhir/contactentity-type", "contactentity-type"},
    {"http://hl7.org/fhir/location-physical-type", "location-physical-type"},
    {"http://hl7.org/fhir/service-category", "service-category"},
    {"http://hl7.org/fhir/service-type", "service-type"},
    {"http://hl7.org/fhir/immunization-origin", "immunization-origin"},
    {"http://hl7.org/fhir/immunization-recommendation-status",
     "immunization-recommendation-status"},
    {"http://hl7.org/fhir/consentcategorycodes", "consentcategorycodes"},
    {"http://hl7.org/fhir/consentaction", "consentaction"},
    {"http://hl7.org/fhir/common-tags", "common-tags"},
    {"http://hl7.org/fhir/message-reasons-encounter", "message-reasons-encounter"},
    {"http://hl7.org/fhir/dose-rate-type", "dose-rate-type"},
    {"http://hl7.org/fhir/care-plan-activity-category", "care-plan-activity-category"},
    // CareConnect / GP Connect -> UK Core. Variants without "/CodeSystem/" occur in published
    // samples (e.g. gpconnect-structured/read_patient_response_example.json).
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"},
    {"https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"},
    {"https://fhir.nhs.uk/CareConnect-NHSNumberVerificationStatus-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"},
    {"https://fhir.hl7.org.uk/STU3/CareConnect-EthnicCategory-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ResidentialStatus-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-ResidentialStatus"},
    {"https://fhir.hl7.org.uk/STU3/CareConnect-ResidentialStatus-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-ResidentialStatus"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-DeathNotificationStatus-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-HumanLanguage-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage"},
    {"https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-HumanLanguage-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage"},
    {"https://fhir.hl7.org.uk/STU3/CareConnect-HumanLanguage-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-LanguageAbilityMode-1",
     "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityMode"},
    {"https://fhir.hl7.org.uk/STU3/CareConnect-LanguageAbilityMode-1",
     "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityMode"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-LanguageAbilityProficiency-1",
     "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityProficiency"},
    {"https://fhir.hl7.org.uk/STU3/CareConnect-LanguageAbilityProficiency-1",
     "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityProficiency"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-SDSJobRoleName"},
    {"https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-SDSJobRoleName"},
    {"https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-ListEmptyReasonCode"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-ListEmptyReasonCode"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-AdmissionMethod-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-DischargeMethod-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland"},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-OutcomeOfAttendance-1",
     "https://fhir.hl7.org.uk/CodeSystem/UKCore-OutcomeOfAttendanceEngland"},
});

}  // namespace

const TypeInfo* type_info(std::string_view type) { return type_index().find(type); }

bool is_stu3_type(std::string_view type) {
  const TypeInfo* t = type_info(type);
  return t != nullptr && t->stu3;
}

const R4Elements* r4_elements(std::string_view r4_type) {
  const TypeInfo* t = type_info(r4_type);
  return t != nullptr ? t->elements : nullptr;
}

namespace {

/** without_scheme: `url` without a leading "https://" or "http://" (as same_url compares). */
constexpr std::string_view without_scheme(std::string_view url) {
  if (url.substr(0, 8) == "https://") {
    return url.substr(8);
  }
  if (url.substr(0, 7) == "http://") {
    return url.substr(7);
  }
  return url;
}

/** under_moved_host: whether a URL without its scheme is under a host some moved system is. */
constexpr bool under_moved_host(std::string_view bare) {
  return bare.starts_with("hl7.org/fhir/") || bare.starts_with("fhir.hl7.org.uk/") ||
         bare.starts_with("fhir.nhs.uk/");
}
static_assert(std::all_of(kSystems.begin(), kSystems.end(),
                          [](const SystemEntry& e) {
                            return under_moved_host(without_scheme(e.stu3));
                          }),
              "r4_code_system's shortcut must cover every moved system");

/**
 * first_system_entry: the index of the first kSystems entry whose STU3 URL is `system`, or, for
 * an https entry, is the same URL under either scheme (same_url); kSystems.size() when none.
 * Two hash lookups instead of a scan comparing every entry (this runs for every coding).
 */
std::size_t first_system_entry(std::string_view system) {
  struct Index {
    std::unordered_map<std::string_view, std::size_t> exact;
    std::unordered_map<std::string_view, std::size_t> https;  // keyed without the scheme
  };
  static const Index kIndex = [] {
    Index x;
    for (std::size_t i = 0; i < kSystems.size(); ++i) {
      x.exact.emplace(kSystems[i].stu3, i);  // emplace keeps the first of any repeats
      if (kSystems[i].stu3.substr(0, 8) == "https://") {
        x.https.emplace(kSystems[i].stu3.substr(8), i);
      }
    }
    return x;
  }();
  std::size_t first = kSystems.size();
  if (auto it = kIndex.exact.find(system); it != kIndex.exact.end()) {
    first = it->second;
  }
  if (auto it = kIndex.https.find(without_scheme(system)); it != kIndex.https.end()) {
    first = std::min(first, it->second);
  }
  return first;
}

}  // namespace

std::optional<std::string> r4_code_system(std::string_view system, std::string_view code) {
  // Every system that moved is under one of these (either scheme); most codings (SNOMED CT, Read
  // v2, dm+d) are not, and are answered without a lookup.
  if (!under_moved_host(without_scheme(system))) {
    return std::nullopt;
  }
  // CareConnect condition categories: the two codes R4 defines itself.
  if (same_url(system, "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1")) {
    if (code == "problem-list-item" || code == "encounter-diagnosis") {
      return cat(kTho, "condition-category");
    }
    return std::nullopt;
  }
  if (const std::size_t i = first_system_entry(system); i < kSystems.size()) {
    const SystemEntry& e = kSystems[i];
    if (e.r4.find("://") == std::string_view::npos) {
      return cat(kTho, e.r4);
    }
    return std::string(e.r4);
  }
  // HL7 v2 tables and v3 code systems: http://hl7.org/fhir/v2/0203 -> .../CodeSystem/v2-0203.
  constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kTables{
      {{"v2", "http://hl7.org/fhir/v2/"}, {"v3", "http://hl7.org/fhir/v3/"}}};
  for (const auto& [prefix, stu3] : kTables) {
    if (system.size() > stu3.size() && system.substr(0, stu3.size()) == stu3 &&
        system.find('/', stu3.size()) == std::string_view::npos &&
        system.find(' ') == std::string_view::npos) {
      return cat(kTho, prefix, "-", system.substr(stu3.size()));
    }
  }
  return std::nullopt;
}

}  // namespace gw::fhir::convert
