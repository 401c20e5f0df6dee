// Facts derived from stored resources (category, sensitivity, alert rank, Bundle order) and the
// policy's patient context (registered practice, episodes, objection). Synthetic data only.
#include "gateway/record/facts.hpp"

#include <gtest/gtest.h>

#include "gateway/policy/embedded.hpp"

namespace gw::record {
namespace {

using policy::DataCategory;

rapidjson::Document parse(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

store::StoredRecord stored(std::string_view source, std::string type, std::string id,
                           std::string json) {
  store::StoredRecord r{{OdsCode::parse(source).value(), std::move(type), std::move(id)},
                        store::PersonId{},
                        1,
                        store::RecordStatus::kActive,
                        "",
                        store::TimePoint{},
                        "",
                        0};
  r.resource_json = std::move(json);
  r.source_message_id = "m-1";
  return r;
}

/** five_orgs: one organisation of each kind, as the demo has. */
std::shared_ptr<config::Config> five_orgs() {
  auto cfg = std::make_shared<config::Config>();
  const std::pair<std::string_view, config::OrgKind> orgs[] = {
      {"Z90001", config::OrgKind::kGp},
      {"Z9A01", config::OrgKind::kAcute},
      {"Z9M01", config::OrgKind::kMentalHealth},
      {"Z9S01", config::OrgKind::kSocialCare},
      {"Z9L01", config::OrgKind::kAmbulance}};
  for (const auto& [ods, kind] : orgs) {
    config::Organisation o{OdsCode::parse(ods).value(), "", config::OrgKind::kGp, "", 0};
    o.kind = kind;
    cfg->organisations.push_back(o);
  }
  return cfg;
}

TEST(RecordFacts, CategoryComesFromTheTagThenTheTypeWithFlagsAsAlerts) {
  EXPECT_EQ(category_of(parse(R"({"resourceType":"Condition"})"), "Condition"),
            DataCategory::kProblems);
  EXPECT_EQ(category_of(parse(R"({"meta":{"tag":[{"system":"https://caregw.dev/CodeSystem/)"
                              R"(data-category","code":"safeguarding"}]}})"),
                        "DocumentReference"),
            DataCategory::kSafeguarding);
  // An unknown tag code falls back to the type's category.
  EXPECT_EQ(category_of(parse(R"({"meta":{"tag":[{"system":"https://caregw.dev/CodeSystem/)"
                              R"(data-category","code":"nonsense"}]}})"),
                        "AllergyIntolerance"),
            DataCategory::kAllergies);
  EXPECT_EQ(category_of(parse("{}"), "Flag"), DataCategory::kCarePlans);
  EXPECT_EQ(category_of(parse("{}"), "Consent"), DataCategory::kRegistration);
  EXPECT_EQ(category_of(parse("{}"), "Basic"), DataCategory::kDocuments);
}

TEST(RecordFacts, SensitivityFromMarkersAndFromTheCodeLists) {
  std::vector<config::Diagnostic> errors;
  const auto lists = policy::embedded_sensitive_code_lists();
  const auto classifier = policy::SensitiveCodeClassifier::load(lists, errors);
  ASSERT_TRUE(errors.empty());
  // SNOMED 111880001 is in mappings/terminology/sensitive/sexual-health-snomed.csv.
  const auto hiv =
      parse(R"({"code":{"coding":[{"system":"http://snomed.info/sct","code":"111880001"}]}})");
  EXPECT_EQ(sensitivity_of(hiv, &classifier),
            policy::sensitivity_bit(policy::Sensitivity::kSexualHealth));
  EXPECT_EQ(sensitivity_of(hiv, nullptr), 0);
  const auto notes = parse(R"({"meta":{"security":[{"system":"https://caregw.dev/CodeSystem/)"
                           R"(sensitivity","code":"mental-health-notes"}]}})");
  EXPECT_EQ(sensitivity_of(notes, &classifier),
            policy::sensitivity_bit(policy::Sensitivity::kMentalHealthNotes));
  const auto asthma =
      parse(R"({"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001"}]}})");
  EXPECT_EQ(sensitivity_of(asthma, &classifier), 0);
}

TEST(RecordFacts, SecurityLabelsAndNoteTypesClassifyThroughTheCodeLists) {
  std::vector<config::Diagnostic> errors;
  const auto lists = policy::embedded_sensitive_code_lists();
  const auto classifier = policy::SensitiveCodeClassifier::load(lists, errors);
  ASSERT_TRUE(errors.empty());
  const auto notes_bit = policy::sensitivity_bit(policy::Sensitivity::kMentalHealthNotes);
  const auto third_party_bit =
      policy::sensitivity_bit(policy::Sensitivity::kSafeguardingThirdParty);
  // HL7 v3 ActCode security labels in meta.security (mental-health-notes-actcode.csv,
  // safeguarding-third-party-actcode.csv), beside a confidentiality code that is no class.
  const auto psythpn = parse(
      R"({"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality",)"
      R"("code":"R"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",)"
      R"("code":"PSYTHPN"}]}})");
  EXPECT_EQ(sensitivity_of(psythpn, &classifier), notes_bit);
  const auto sdv =
      parse(R"({"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",)"
            R"("code":"SDV"}]}})");
  EXPECT_EQ(sensitivity_of(sdv, &classifier), third_party_bit);
  // A label is a code of its system: the same letters elsewhere, or a meta.tag, mean nothing.
  EXPECT_EQ(sensitivity_of(parse(R"({"meta":{"security":[{"system":"urn:other","code":"SDV"}]}})"),
                           &classifier),
            0);
  EXPECT_EQ(sensitivity_of(parse(R"({"meta":{"tag":[{"system":)"
                                 R"("http://terminology.hl7.org/CodeSystem/v3-ActCode",)"
                                 R"("code":"PSYTHPN"}]}})"),
                           &classifier),
            0);
  // A document whose type (or category) is a psychotherapy note code
  // (mental-health-notes-snomed.csv, from the SHIFT PSYTHPN value set).
  const auto doc = parse(
      R"({"resourceType":"DocumentReference","type":{"coding":[{"system":"http://snomed.info/sct",)"
      R"("code":"444175001"}]}})");
  EXPECT_EQ(sensitivity_of(doc, &classifier), notes_bit);
  const auto composition = parse(
      R"({"resourceType":"Composition","category":[{"coding":[{"system":"http://snomed.info/sct",)"
      R"("code":"444175001"}]}]})");
  EXPECT_EQ(sensitivity_of(composition, &classifier), notes_bit);
  // DocumentReference.securityLabel carries labels too (the ITK adapter writes the CDA
  // confidentialityCode there).
  const auto labelled =
      parse(R"({"resourceType":"DocumentReference","securityLabel":[{"coding":[{"system":)"
            R"("http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSYTHPN"}]}]})");
  EXPECT_EQ(sensitivity_of(labelled, &classifier), notes_bit);
  // Both labels: both classes.
  const auto both =
      parse(R"({"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",)"
            R"("code":"SDV"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",)"
            R"("code":"PSYTHPN"}]}})");
  EXPECT_EQ(sensitivity_of(both, &classifier), notes_bit | third_party_bit);
}

TEST(RecordFacts, AlertRanks) {
  constexpr std::string_view kFlagCat = "http://terminology.hl7.org/CodeSystem/flag-category";
  auto flag = [&](std::string_view cat, std::string_view status = "active") {
    return parse(R"({"status":")" + std::string(status) +
                 R"(","category":[{"coding":[{"system":")" + std::string(kFlagCat) +
                 R"(","code":")" + std::string(cat) + R"("}]}]})");
  };
  EXPECT_EQ(alert_rank(flag("safety"), "Flag"), AlertRank::kSafeguardingFlag);
  EXPECT_EQ(alert_rank(flag("advance-directive"), "Flag"), AlertRank::kDnacprFlag);
  EXPECT_EQ(alert_rank(flag("clinical"), "Flag"), AlertRank::kOtherFlag);
  EXPECT_EQ(alert_rank(flag("safety", "inactive"), "Flag"), AlertRank::kNone);
  EXPECT_EQ(alert_rank(parse(R"({"status":"active","code":{"coding":[{"system":)"
                             R"("http://snomed.info/sct","code":"304253006"}]}})"),
                       "Flag"),
            AlertRank::kDnacprFlag);
  EXPECT_EQ(alert_rank(parse(R"({"criticality":"high"})"), "AllergyIntolerance"),
            AlertRank::kHighCriticalityAllergy);
  EXPECT_EQ(alert_rank(parse(R"({"criticality":"low"})"), "AllergyIntolerance"), AlertRank::kNone);
  EXPECT_EQ(alert_rank(parse(R"({"status":"active","category":[{"coding":[{"system":)"
                             R"("https://caregw.dev/CodeSystem/care-plan-kind","code":)"
                             R"("crisis-plan"}]}]})"),
                       "CarePlan"),
            AlertRank::kCrisisPlan);
  EXPECT_EQ(alert_rank(parse(R"({"status":"active","title":"Care and support plan"})"), "CarePlan"),
            AlertRank::kNone);
}

TEST(RecordFacts, OrderIsAlertsThenTypesThenNewestFirst) {
  std::vector<store::StoredRecord> rs = {
      stored("Z90001", "MedicationStatement", "m1", R"({"dateAsserted":"2026-01-01"})"),
      stored("Z90001", "Condition", "c-old", R"({"onsetDateTime":"2001-01-01"})"),
      stored("Z9A01", "Condition", "c-new", R"({"onsetDateTime":"2020-01-01"})"),
      stored("Z90001", "AllergyIntolerance", "a-high", R"({"criticality":"high"})"),
      stored("Z90001", "Flag", "f1", R"({"status":"active"})"),
  };
  std::vector<Entry> entries;
  for (const auto& r : rs) {
    auto e = make_entry(r, nullptr);
    ASSERT_TRUE(e);
    entries.push_back(std::move(*e));
  }
  order_entries(entries);
  std::vector<std::string> ids;
  for (const auto& e : entries) {
    ids.push_back(e.stored->key.resource_id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"f1", "a-high", "c-new", "c-old", "m1"}));
  EXPECT_EQ(entries[2].fact_key, "");  // no code: nothing to link by
}

TEST(RecordFacts, FactKeyIsTheTypeAndPrimaryCoding) {
  const auto r = stored("Z90001", "AllergyIntolerance", "a1",
                        R"({"code":{"coding":[{"system":"http://snomed.info/sct",)"
                        R"("code":"91936005"}]}})");
  auto e = make_entry(r, nullptr);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->fact_key, "AllergyIntolerance|http://snomed.info/sct|91936005");
  EXPECT_FALSE(make_entry(stored("Z90001", "Condition", "x", "[1]"), nullptr));
}

TEST(RecordFacts, PatientContextFromTheRecord) {
  const auto cfg = five_orgs();
  store::PersonView person;
  person.person.nhs_number = NhsNumber::parse("9991158383").value();
  person.local_ids.push_back(
      {.local_id = {OdsCode::parse("Z9A01").value(), store::LocalIdType::kHospitalMrn, "M1"}});
  person.local_ids.push_back(
      {.local_id = {OdsCode::parse("Z90001").value(), store::LocalIdType::kEmisPatientGuid, "G1"}});
  std::vector<store::StoredRecord> rs = {
      stored("Z9A01", "Encounter", "adm",
             R"({"status":"in-progress","class":{"code":"IMP"},"period":{"start":"2026-11-20"}})"),
      stored("Z9A01", "Encounter", "ae",
             R"({"status":"finished","class":{"code":"EMER"},)"
             R"("period":{"start":"2026-09-14T18:40:00Z","end":"2026-09-14T23:10:00Z"}})"),
      stored("Z9L01", "Encounter", "inc",
             R"({"status":"finished","period":{"start":"2026-10-02"}})"),
      stored("Z9M01", "EpisodeOfCare", "mh",
             R"({"status":"active","careManager":{"identifier":{"value":"user-7"}}})"),
      stored("Z9S01", "EpisodeOfCare", "sc", R"({"status":"finished"})"),
      stored("Z90001", "EpisodeOfCare", "gp", R"({"status":"active"})"),  // not an episode kind
      stored("Z90001", "Consent", "optout",
             R"({"status":"active","provision":{"type":"deny"},)"
             R"("policy":[{"uri":"https://caregw.dev/policy/shared-care-record-opt-out"}]})"),
  };
  std::vector<Entry> entries;
  for (const auto& r : rs) {
    entries.push_back(std::move(*make_entry(r, nullptr)));
  }
  const auto ctx = patient_context(person, *cfg, entries);
  EXPECT_EQ(ctx.nhs_number, "9991158383");
  EXPECT_EQ(ctx.registered_practice, "Z90001");
  EXPECT_TRUE(ctx.objection);
  ASSERT_EQ(ctx.episodes.size(), 5U);
  EXPECT_EQ(ctx.episodes[0].kind, policy::EpisodeKind::kAdmission);
  EXPECT_TRUE(ctx.episodes[0].open);
  EXPECT_EQ(ctx.episodes[1].kind, policy::EpisodeKind::kAttendance);
  EXPECT_FALSE(ctx.episodes[1].open);
  ASSERT_TRUE(ctx.episodes[1].end);
  EXPECT_EQ(ctx.episodes[2].kind, policy::EpisodeKind::kAmbulanceIncident);
  EXPECT_EQ(ctx.episodes[3].kind, policy::EpisodeKind::kMentalHealthEpisode);
  EXPECT_EQ(ctx.episodes[3].care_coordinator, "user-7");
  EXPECT_EQ(ctx.episodes[4].kind, policy::EpisodeKind::kSocialCareCase);
  EXPECT_FALSE(ctx.episodes[4].open);
}

TEST(RecordFacts, AConsentThatIsNotAnOptOutIsNoObjection) {
  const auto cfg = five_orgs();
  store::PersonView person;
  const auto permit =
      stored("Z90001", "Consent", "c",
             R"({"status":"active","provision":{"type":"permit"},)"
             R"("policy":[{"uri":"https://caregw.dev/policy/shared-care-record-opt-out"}]})");
  const auto inactive =
      stored("Z90001", "Consent", "d",
             R"({"status":"inactive","provision":{"type":"deny"},)"
             R"("policy":[{"uri":"https://caregw.dev/policy/shared-care-record-opt-out"}]})");
  std::vector<Entry> entries;
  entries.push_back(std::move(*make_entry(permit, nullptr)));
  entries.push_back(std::move(*make_entry(inactive, nullptr)));
  EXPECT_FALSE(patient_context(person, *cfg, entries).objection);
}

}  // namespace
}  // namespace gw::record
