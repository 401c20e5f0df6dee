// Tests for the FHIR element table: it loads without problems for both versions, covers the
// resources and datatypes the gateway handles, and answers lookups as the XML converter needs.
#include "gateway/fhir/schema.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gw::fhir {
namespace {

constexpr FhirVersion kR4 = FhirVersion::kR4;
constexpr FhirVersion kStu3 = FhirVersion::kStu3;

TEST(SchemaTest, TablesLoadWithoutProblems) {
  for (FhirVersion v : {kR4, kStu3}) {
    const auto& problems = schema_problems(v);
    EXPECT_TRUE(problems.empty()) << version_name(v) << ": " << problems.size()
                                  << " problems, first: " << (problems.empty() ? "" : problems[0]);
  }
}

TEST(SchemaTest, CoversTheResourcesTheGatewayHandles) {
  const std::vector<std::string> common = {"Patient",
                                           "Practitioner",
                                           "PractitionerRole",
                                           "Organization",
                                           "Location",
                                           "Encounter",
                                           "EpisodeOfCare",
                                           "Condition",
                                           "AllergyIntolerance",
                                           "MedicationStatement",
                                           "MedicationRequest",
                                           "Medication",
                                           "Immunization",
                                           "Observation",
                                           "DiagnosticReport",
                                           "Procedure",
                                           "Flag",
                                           "CarePlan",
                                           "CareTeam",
                                           "Task",
                                           "RelatedPerson",
                                           "DocumentReference",
                                           "Composition",
                                           "Provenance",
                                           "Consent",
                                           "MessageHeader",
                                           "Bundle",
                                           "OperationOutcome",
                                           "AuditEvent",
                                           "CapabilityStatement",
                                           "List",
                                           "QuestionnaireResponse",
                                           "Device",
                                           "Appointment",
                                           "HealthcareService",
                                           "Endpoint",
                                           "Binary",
                                           "Parameters",
                                           "Communication",
                                           "Specimen",
                                           "Goal",
                                           "ClinicalImpression",
                                           "MedicationDispense",
                                           "MedicationAdministration",
                                           "RequestGroup",
                                           "Questionnaire",
                                           "FamilyMemberHistory",
                                           "Schedule",
                                           "Slot",
                                           "CodeSystem",
                                           "ValueSet",
                                           "StructureDefinition",
                                           "MessageDefinition",
                                           "Group",
                                           "Basic"};
  for (FhirVersion v : {kR4, kStu3}) {
    for (const auto& name : common) {
      EXPECT_TRUE(is_resource_type(v, name)) << version_name(v) << " " << name;
    }
  }
  for (const char* r4_only : {"ServiceRequest", "BodyStructure", "ImagingStudy", "Media"}) {
    EXPECT_TRUE(is_resource_type(kR4, r4_only)) << r4_only;
    EXPECT_FALSE(is_resource_type(kStu3, r4_only)) << r4_only;
  }
  for (const char* stu3_only : {"ReferralRequest", "ProcedureRequest"}) {
    EXPECT_TRUE(is_resource_type(kStu3, stu3_only)) << stu3_only;
    EXPECT_FALSE(is_resource_type(kR4, stu3_only)) << stu3_only;
  }
  EXPECT_FALSE(is_resource_type(kR4, "Resource"));
  EXPECT_FALSE(is_resource_type(kR4, "DomainResource"));
  EXPECT_FALSE(is_resource_type(kR4, "HumanName"));
  EXPECT_FALSE(is_resource_type(kR4, "Patient.contact"));
  EXPECT_GE(resource_types(kR4).size(), 55U);
}

TEST(SchemaTest, CoversTheComplexDatatypes) {
  const std::vector<std::string> common = {"Element",
                                           "BackboneElement",
                                           "Extension",
                                           "Meta",
                                           "Narrative",
                                           "Identifier",
                                           "HumanName",
                                           "Address",
                                           "ContactPoint",
                                           "CodeableConcept",
                                           "Coding",
                                           "Reference",
                                           "Period",
                                           "Quantity",
                                           "SimpleQuantity",
                                           "Age",
                                           "Duration",
                                           "Count",
                                           "Distance",
                                           "Range",
                                           "Ratio",
                                           "Annotation",
                                           "Attachment",
                                           "Dosage",
                                           "Timing",
                                           "SampledData",
                                           "Signature",
                                           "ContactDetail",
                                           "Contributor",
                                           "UsageContext",
                                           "RelatedArtifact",
                                           "Money",
                                           "DataRequirement",
                                           "ParameterDefinition",
                                           "TriggerDefinition",
                                           "ElementDefinition"};
  for (FhirVersion v : {kR4, kStu3}) {
    for (const auto& name : common) {
      EXPECT_NE(find_type(v, name), nullptr) << version_name(v) << " " << name;
    }
  }
  for (const char* r4_only : {"Expression", "MoneyQuantity", "MarketingStatus", "Population",
                              "ProductShelfLife", "ProdCharacteristic", "SubstanceAmount"}) {
    EXPECT_NE(find_type(kR4, r4_only), nullptr) << r4_only;
    EXPECT_EQ(find_type(kStu3, r4_only), nullptr) << r4_only;
  }
}

TEST(SchemaTest, PrimitiveKindsAndRepetition) {
  const ElementInfo* birth = find_element(kR4, "Patient", "birthDate");
  ASSERT_NE(birth, nullptr);
  EXPECT_EQ(birth->kind, ElementKind::kString);
  EXPECT_EQ(birth->type_name, "date");
  EXPECT_FALSE(birth->repeats);

  const ElementInfo* active = find_element(kR4, "Patient", "active");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->kind, ElementKind::kBoolean);

  const ElementInfo* given = find_element(kR4, "HumanName", "given");
  ASSERT_NE(given, nullptr);
  EXPECT_TRUE(given->repeats);
  EXPECT_EQ(given->kind, ElementKind::kString);

  const ElementInfo* value = find_element(kR4, "Quantity", "value");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->kind, ElementKind::kDecimal);

  const ElementInfo* rank = find_element(kR4, "ContactPoint", "rank");
  ASSERT_NE(rank, nullptr);
  EXPECT_EQ(rank->kind, ElementKind::kInteger);
  EXPECT_EQ(rank->type_name, "positiveInt");

  const ElementInfo* name = find_element(kR4, "Patient", "name");
  ASSERT_NE(name, nullptr);
  EXPECT_TRUE(name->repeats);
  EXPECT_EQ(name->kind, ElementKind::kComplex);
  EXPECT_EQ(name->type_name, "HumanName");
}

TEST(SchemaTest, ChoiceElementsExpandPerType) {
  const ElementInfo* q = find_element(kR4, "Observation", "valueQuantity");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->choice_base, "value");
  EXPECT_EQ(q->type_name, "Quantity");
  const ElementInfo* s = find_element(kR4, "Observation", "valueString");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->order, q->order);
  EXPECT_EQ(find_element(kR4, "Observation", "value"), nullptr);
  EXPECT_EQ(find_element(kR4, "Observation", "valueAttachment"), nullptr);  // STU3 only
  EXPECT_NE(find_element(kStu3, "Observation", "valueAttachment"), nullptr);

  // Extension.value[x] takes every open type.
  for (const char* n : {"valueString", "valueBoolean", "valueCodeableConcept", "valueDateTime",
                        "valueQuantity", "valueReference", "valueIdentifier", "valueBase64Binary",
                        "valuePeriod", "valueCoding", "valueInteger", "valueDecimal"}) {
    EXPECT_NE(find_element(kR4, "Extension", n), nullptr) << n;
    EXPECT_NE(find_element(kStu3, "Extension", n), nullptr) << n;
  }
  EXPECT_NE(find_element(kR4, "Extension", "valueCanonical"), nullptr);
  EXPECT_EQ(find_element(kStu3, "Extension", "valueCanonical"), nullptr);
}

TEST(SchemaTest, AttributesResourcesAndXhtml) {
  const ElementInfo* id = find_element(kR4, "HumanName", "id");
  ASSERT_NE(id, nullptr);
  EXPECT_TRUE(id->is_attribute);  // Element.id is an XML attribute...
  const ElementInfo* rid = find_element(kR4, "Patient", "id");
  ASSERT_NE(rid, nullptr);
  EXPECT_FALSE(rid->is_attribute);  // ...but Resource.id is an element
  const ElementInfo* url = find_element(kR4, "Extension", "url");
  ASSERT_NE(url, nullptr);
  EXPECT_TRUE(url->is_attribute);

  const ElementInfo* div = find_element(kR4, "Narrative", "div");
  ASSERT_NE(div, nullptr);
  EXPECT_EQ(div->kind, ElementKind::kXhtml);

  for (FhirVersion v : {kR4, kStu3}) {
    const ElementInfo* res = find_element(v, "Bundle.entry", "resource");
    ASSERT_NE(res, nullptr);
    EXPECT_EQ(res->kind, ElementKind::kResource);
    const ElementInfo* contained = find_element(v, "Patient", "contained");
    ASSERT_NE(contained, nullptr);
    EXPECT_EQ(contained->kind, ElementKind::kResource);
    EXPECT_TRUE(contained->repeats);
    const ElementInfo* param = find_element(v, "Parameters.parameter", "resource");
    ASSERT_NE(param, nullptr);
    EXPECT_EQ(param->kind, ElementKind::kResource);
  }
  // RequestGroup.action.resource is a Reference, not a resource.
  const ElementInfo* action = find_element(kR4, "RequestGroup.action", "resource");
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->kind, ElementKind::kComplex);
  EXPECT_EQ(action->type_name, "Reference");
}

TEST(SchemaTest, BackbonePathsAndContentReferences) {
  const ElementInfo* contact = find_element(kR4, "Patient", "contact");
  ASSERT_NE(contact, nullptr);
  EXPECT_EQ(contact->type_name, "Patient.contact");
  const TypeInfo* backbone = find_type(kR4, "Patient.contact");
  ASSERT_NE(backbone, nullptr);
  ASSERT_GE(backbone->elements.size(), 3U);
  EXPECT_EQ(backbone->elements[0].name, "id");
  EXPECT_EQ(backbone->elements[1].name, "extension");
  EXPECT_EQ(backbone->elements[2].name, "modifierExtension");

  const ElementInfo* item = find_element(kR4, "Questionnaire.item", "item");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->type_name, "Questionnaire.item");
  EXPECT_TRUE(item->repeats);
  const ElementInfo* section = find_element(kStu3, "Composition.section", "section");
  ASSERT_NE(section, nullptr);
  EXPECT_EQ(section->type_name, "Composition.section");
  const ElementInfo* answer_item = find_element(kR4, "QuestionnaireResponse.item.answer", "item");
  ASSERT_NE(answer_item, nullptr);
  EXPECT_EQ(answer_item->type_name, "QuestionnaireResponse.item");
}

TEST(SchemaTest, OrderFollowsTheDefinitions) {
  const TypeInfo* patient = find_type(kR4, "Patient");
  ASSERT_NE(patient, nullptr);
  std::vector<std::string> names;
  for (const auto& e : patient->elements) {
    if (names.empty() || names.back() != e.name) {
      names.push_back(e.name);
    }
  }
  ASSERT_GE(names.size(), 10U);
  EXPECT_EQ(names[0], "id");
  EXPECT_EQ(names[1], "meta");
  EXPECT_EQ(names[2], "implicitRules");
  EXPECT_EQ(names[3], "language");
  EXPECT_EQ(names[4], "text");
  EXPECT_EQ(names[5], "contained");
  EXPECT_EQ(names[6], "extension");
  EXPECT_EQ(names[7], "modifierExtension");
  EXPECT_EQ(names[8], "identifier");
  EXPECT_EQ(names[9], "active");
  EXPECT_LT(find_element(kR4, "Patient", "gender")->order,
            find_element(kR4, "Patient", "birthDate")->order);
  EXPECT_LT(find_element(kR4, "Patient", "deceasedBoolean")->order,
            find_element(kR4, "Patient", "address")->order);
  for (std::size_t i = 1; i < patient->elements.size(); ++i) {
    EXPECT_LE(patient->elements[i - 1].order, patient->elements[i].order);
  }
}

TEST(SchemaTest, VersionDifferences) {
  // STU3 -> R4 changes the converter must get right.
  EXPECT_EQ(find_element(kStu3, "Condition", "clinicalStatus")->kind, ElementKind::kString);
  EXPECT_EQ(find_element(kR4, "Condition", "clinicalStatus")->kind, ElementKind::kComplex);
  EXPECT_NE(find_element(kStu3, "Patient", "animal"), nullptr);
  EXPECT_EQ(find_element(kR4, "Patient", "animal"), nullptr);
  EXPECT_NE(find_element(kR4, "Bundle", "timestamp"), nullptr);
  EXPECT_EQ(find_element(kStu3, "Bundle", "timestamp"), nullptr);
  EXPECT_EQ(find_element(kR4, "Money", "currency")->kind, ElementKind::kString);
  EXPECT_EQ(find_element(kStu3, "Money", "currency"), nullptr);
  EXPECT_NE(find_element(kStu3, "Money", "comparator"), nullptr);  // STU3 Money is a Quantity
  EXPECT_NE(find_element(kR4, "Reference", "type"), nullptr);
  EXPECT_EQ(find_element(kStu3, "Reference", "type"), nullptr);
  EXPECT_NE(find_element(kR4, "Dosage", "modifierExtension"), nullptr);
  EXPECT_EQ(find_element(kStu3, "Dosage", "modifierExtension"), nullptr);
  EXPECT_TRUE(find_element(kStu3, "Composition.attester", "mode")->repeats);
  EXPECT_FALSE(find_element(kR4, "Composition.attester", "mode")->repeats);
}

TEST(SchemaTest, UnknownNamesAreNull) {
  EXPECT_EQ(find_type(kR4, "NoSuchType"), nullptr);
  EXPECT_EQ(find_element(kR4, "Patient", "foo"), nullptr);
  EXPECT_EQ(find_element(kR4, "NoSuchType", "id"), nullptr);
  EXPECT_EQ(find_element(kR4, "Patient", ""), nullptr);
}

}  // namespace
}  // namespace gw::fhir
