// The 200-entry GP record caregw-emis-bench measures and caregw-emis-golden checks, in its two
// forms: an EMIS XML extract and a GP Connect structured record (FHIR STU3 JSON). Synthetic: an
// invented patient with a 999 test-range NHS number and invented clinicians.
#pragma once

#include <string>

namespace gw::bench::emis {

inline constexpr int kEntries = 200;

/** extract: an EMIS XML extract with `kEntries` entries: events, problems, medication, allergies.
 */
inline std::string extract() {
  std::string x =
      "<MedicalRecord><ExtractHeader><ExtractID>B1</ExtractID><ExtractDateTime>2026-11-20T09:15:"
      "00Z</ExtractDateTime></ExtractHeader><PeopleList><Person><RefID>1</RefID><GUID>P1</GUID>"
      "<LastName>Invented</LastName></Person></PeopleList><Registration><GUID>G1</GUID><NhsNumber>"
      "9990040044</NhsNumber><NhsNumberStatus>01</NhsNumberStatus><FirstNames>Ada</FirstNames>"
      "<FamilyName>Fictional</FamilyName><DateOfBirth>1950-05-06</DateOfBirth><Sex>F</Sex>"
      "<RegisteredPractice><OdsCode>Z90001</OdsCode></RegisteredPractice><UsualGP><RefID>1</RefID>"
      "</UsualGP></Registration><EventList>";
  const char* codes[] = {"2469.00", "246A.00", "22A..00", "G20..11", "G33..00", "XaZZZ"};
  for (int i = 0; i < kEntries - 40; ++i) {
    x.append("<Event><GUID>E")
        .append(std::to_string(i))
        .append(
            "</GUID><AssignedDate>2020-01-02</AssignedDate>"
            "<AuthorID><RefID>1</RefID></AuthorID><Code><Value>")
        .append(codes[i % 6])
        .append("</Value><Scheme>READ2</Scheme><Term>t</Term></Code>");
    if (i % 4 == 3) {
      x.append("<Problem><Status>Active</Status><Significance>Minor</Significance></Problem>");
    } else {
      x.append("<NumericValue><Value>")
          .append(std::to_string(100 + i))
          .append("</Value><Units>mm[Hg]</Units></NumericValue>");
    }
    x.append("</Event>");
  }
  x.append("</EventList><MedicationList>");
  for (int i = 0; i < 30; ++i) {
    x.append("<Medication><GUID>M")
        .append(std::to_string(i))
        .append(
            "</GUID><AssignedDate>2024-01-01</AssignedDate>"
            "<Drug><PreparationID><Value>319775004</Value><Scheme>DMD</Scheme></PreparationID>"
            "</Drug><Dosage>One daily</Dosage><Quantity>28</Quantity><PrescriptionType>Repeat"
            "</PrescriptionType><DrugStatus>Active</DrugStatus></Medication>");
  }
  x.append("</MedicationList><AllergyList>");
  for (int i = 0; i < 10; ++i) {
    x.append("<Allergy><GUID>A")
        .append(std::to_string(i))
        .append(
            "</GUID><AssignedDate>2010</AssignedDate><Code><Value>SN53100</Value><Scheme>"
            "READ2</Scheme></Code><Status>Active</Status></Allergy>");
  }
  x.append("</AllergyList></MedicalRecord>");
  return x;
}

/** gpconnect: a GP Connect STU3 bundle with `kEntries` Conditions and Observations. */
inline std::string gpconnect() {
  std::string j =
      R"({"resourceType":"Bundle","id":"b1","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"3F2504E0-4F89-41D3-9A0C-0305E82C3301","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990040044"}],"name":[{"family":"Fictional","given":["Ada"]}],"birthDate":"1950-05-06","managingOrganization":{"reference":"Organization/o1"}}},{"resource":{"resourceType":"Organization","id":"o1","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Z90001"}]}})";
  for (int i = 0; i < kEntries; ++i) {
    const std::string id = std::to_string(i);
    if (i % 2 == 0) {
      j.append(R"(,{"resource":{"resourceType":"Condition","id":"c)")
          .append(id)
          .append(
              R"(","clinicalStatus":"active","verificationStatus":"confirmed","subject":{"reference":"Patient/3F2504E0-4F89-41D3-9A0C-0305E82C3301"},"code":{"coding":[{"system":"http://read.info/readv2","code":"G33..00","display":"Angina pectoris"}]}}})");
    } else {
      j.append(R"(,{"resource":{"resourceType":"Observation","id":"o)")
          .append(id)
          .append(
              R"(","status":"final","subject":{"reference":"Patient/3F2504E0-4F89-41D3-9A0C-0305E82C3301"},"code":{"coding":[{"system":"http://read.info/readv2","code":"2469.00"},{"system":"http://snomed.info/sct","code":"72313002"}]},"valueQuantity":{"value":140,"unit":"mm[Hg]"}}})");
    }
  }
  j.append("]}");
  return j;
}

}  // namespace gw::bench::emis
