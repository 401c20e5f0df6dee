// The shared care record over real TLS: GET /fhir/Patient/{id}/$everything, search by patient
// and break-glass, against a real SQLite MPI and record store loaded with the demo's synthetic
// patients and records (examples/demo/patients.json, records.json), the demo agreements
// (examples/demo/dsa/), bearer tokens from the demo issuer and the real audit log. Covers what
// each demo role sees for each demo patient, redaction notices, break-glass, merged numbers,
// paging under concurrent writes, XML, errors, and one audit record for every read; the
// break-glass metric and review queue (GET /audit/break-glass), POST /policy/explain and
// GET /policy/explain (the decision for a requester, purpose, patient and kind of data).
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>

#include "gateway/audit/export.hpp"
#include "gateway/audit/reports.hpp"
#include "tests/integration/record_api_fixture.hpp"

namespace gw::test {
namespace {

/** Case: what one demo role sees of one demo patient's record. */
struct Case {
  std::string_view login;
  std::string_view nhs;
  unsigned status;
  std::vector<std::string> shown;    // ids that must be in the Bundle
  std::vector<std::string> hidden;   // ids that must not be
  std::vector<std::string> notices;  // policy rule codes the OperationOutcome must carry
};

TEST_F(RecordApiTest, EachDemoRoleSeesWhatTheAgreementsAndRelationshipsAllow) {
  const std::vector<Case> cases = {
      // The GP practice holds every registered patient's record: all but legal exclusions.
      {"gp",
       kOlivia,
       200,
       {"gp-olivia-asthma", "ac-olivia-penicillin", "ac-olivia-adm1"},
       {"gp-olivia-sh1"},
       {"legal-exclusion"}},
      {"gp",
       kRhys,
       200,
       {"mh-rhys-crisis", "mh-rhys-ep1", "amb-rhys-inc1"},
       {"mh-rhys-notes1"},
       {"legal-exclusion"}},
      {"gp",
       kAmelia,
       200,
       {"gp-amelia-sg1", "gp-amelia-eczema"},
       {"gp-amelia-sgdetail"},
       {"legal-exclusion"}},
      {"gp",
       kGrace,
       200,
       {},
       {"gp-grace-eczema", "gp-grace-optout", std::string(kGrace)},
       {"patient-objection"}},
      {"gp", kHannah, 200, {"gp-hannah-t2dm", "ac-hannah-t2dm", "ac-hannah-ed1"}, {}, {}},
      {"gp", kEileen, 200, {"gp-eileen-dnacpr", "ac-eileen-latex", "sc-eileen-plan1"}, {}, {}},
      // The hospital: an open admission (Olivia) or attendance (Eileen) is a relationship.
      {"ae-doctor",
       kOlivia,
       200,
       {"ac-olivia-adm1", "gp-olivia-salbutamol"},
       {"gp-olivia-sh1"},
       {"legal-exclusion"}},
      {"ae-doctor", kEileen, 200, {"ac-eileen-ae1", "gp-eileen-dnacpr"}, {}, {}},
      {"ae-doctor", kRhys, 403, {}, {}, {}},
      {"ae-doctor", kHannah, 403, {}, {}, {}},  // the A&E visit ended more than 28 days ago
      {"ae-doctor", kGrace, 403, {}, {}, {}},
      // Mental health: an open episode (Rhys).
      {"mh-nurse",
       kRhys,
       200,
       {"mh-rhys-ep1", "gp-rhys-copd"},
       {"mh-rhys-notes1"},
       {"legal-exclusion"}},
      {"mh-nurse", kOlivia, 403, {}, {}, {}},
      // Social care: an open case (Eileen); Olivia's case is closed.
      {"social-worker", kEileen, 200, {"sc-eileen-plan1", "ac-eileen-dis1"}, {}, {}},
      {"social-worker", kOlivia, 403, {}, {}, {}},
      // Ambulance: no incident in the last 24 hours, so no relationship without break-glass.
      {"paramedic", kRhys, 403, {}, {}, {}},
      {"paramedic", kEileen, 403, {}, {}, {}},
      // IG: no agreement covers record reads for the ig-audit purpose.
      {"ig-lead", kOlivia, 403, {}, {}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.login) + " reading " + std::string(c.nhs));
    const auto r = everything(c.login, c.nhs);
    ASSERT_EQ(r.status, c.status) << r.body;
    const auto doc = json(r);
    if (c.status != 200) {
      EXPECT_STREQ(doc["resourceType"].GetString(), "OperationOutcome");
      continue;
    }
    const auto shown = ids(doc);
    for (const auto& id : c.shown) {
      EXPECT_TRUE(shown.count(id)) << id;
    }
    for (const auto& id : c.hidden) {
      EXPECT_FALSE(shown.count(id)) << id;
      // Nothing withheld leaks anywhere in the response, not even its id.
      EXPECT_EQ(r.body.find("\"" + id + "\""), std::string::npos) << id;
    }
    EXPECT_EQ(rules(doc), std::set<std::string>(c.notices.begin(), c.notices.end()));
  }
  // One audit record per read, refusals included, each naming the patient.
  const auto records = audited();
  ASSERT_EQ(records.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(records[i].type, audit::EventType::kRecordRead);
    EXPECT_EQ(records[i].user_id, auth::find_demo_user(cases[i].login)->id);
    EXPECT_EQ(records[i].decision == audit::Decision::kDeny,
              cases[i].status == 403 || cases[i].nhs == kGrace)
        << i;
  }
}

TEST_F(RecordApiTest, EveryEntryNamesItsSourceAndAProvenanceNamesTheMessage) {
  const auto r = everything("gp", kOlivia);
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  std::set<std::string> targets;
  std::set<std::string> messages;
  std::set<std::string> clinical_urls;
  for (const auto& e : doc["entry"].GetArray()) {
    const auto& res = e["resource"];
    const std::string type = res["resourceType"].GetString();
    if (type == "Provenance") {
      for (const auto& t : res["target"].GetArray()) {
        targets.insert(t["reference"].GetString());
      }
      EXPECT_STREQ(res["agent"][0]["who"]["identifier"]["system"].GetString(),
                   "https://fhir.nhs.uk/Id/ods-organization-code");
      messages.insert(res["entity"][0]["what"]["identifier"]["value"].GetString());
    } else if (type != "OperationOutcome" && type != "Patient") {
      EXPECT_EQ(std::string(res["meta"]["source"].GetString()).rfind("urn:caregw:ods:", 0), 0U);
      clinical_urls.insert(e["fullUrl"].GetString());
    }
  }
  EXPECT_EQ(targets, clinical_urls);
  EXPECT_EQ(messages,
            (std::set<std::string>{"emis-extract-0001", "adt-a01-0001", "las-person-0001"}));
}

TEST_F(RecordApiTest, AlertsComeFirstAfterThePatient) {
  const auto eileen = json(everything("gp", kEileen));
  EXPECT_STREQ(eileen["entry"][0]["resource"]["resourceType"].GetString(), "Patient");
  EXPECT_STREQ(eileen["entry"][1]["resource"]["id"].GetString(), "gp-eileen-dnacpr");
  EXPECT_STREQ(eileen["entry"][2]["resource"]["id"].GetString(), "ac-eileen-latex");
  const auto rhys = json(everything("mh-nurse", kRhys));
  EXPECT_STREQ(rhys["entry"][1]["resource"]["id"].GetString(), "mh-rhys-crisis");
  const auto amelia = json(everything("gp", kAmelia));
  EXPECT_STREQ(amelia["entry"][1]["resource"]["id"].GetString(), "gp-amelia-sg1");
}

TEST_F(RecordApiTest, TheSameFactFromTwoSourcesIsKeptTwiceAndLinked) {
  const auto doc = json(everything("gp", kOlivia));
  std::map<std::string, std::string> url_of;
  std::map<std::string, std::string> link_of;
  for (const auto& e : doc["entry"].GetArray()) {
    const auto& res = e["resource"];
    if (!res.HasMember("id")) {
      continue;
    }
    url_of[res["id"].GetString()] = e["fullUrl"].GetString();
    if (res.HasMember("extension")) {
      for (const auto& x : res["extension"].GetArray()) {
        if (std::string_view(x["url"].GetString()).ends_with("same-fact-as")) {
          link_of[res["id"].GetString()] = x["valueReference"]["reference"].GetString();
        }
      }
    }
  }
  EXPECT_EQ(link_of["gp-olivia-penicillin"], url_of["ac-olivia-penicillin"]);
  EXPECT_EQ(link_of["ac-olivia-penicillin"], url_of["gp-olivia-penicillin"]);
  EXPECT_EQ(link_of["gp-olivia-asthma"], url_of["ac-olivia-asthma"]);
  EXPECT_FALSE(link_of.count("gp-olivia-salbutamol"));  // no coded medication: nothing to match
}

TEST_F(RecordApiTest, AMergedNumberAnswersWithTheSurvivorsWholeRecord) {
  const auto r = everything("gp", kHannahOld);
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  EXPECT_STREQ(doc["entry"][0]["resource"]["id"].GetString(), std::string(kHannah).c_str());
  const auto shown = ids(doc);
  EXPECT_TRUE(shown.count("ac-hannah-ed1"));
  EXPECT_TRUE(shown.count("gp-hannah-metformin"));
  EXPECT_EQ(audited().back().nhs_number, kHannah);
}

TEST_F(RecordApiTest, BreakGlassOpensTheRecordForOneUserAndIsMarkedAndAudited) {
  const auto refused = everything("paramedic", kRhys);
  ASSERT_EQ(refused.status, 403U);
  EXPECT_NE(refused.body.find("no-legitimate-relationship"), std::string::npos);
  EXPECT_NE(refused.body.find("/fhir/Patient/{id}/$break-glass"), std::string::npos);
  EXPECT_EQ(refused.body.find(std::string(kRhys)), std::string::npos);  // no NHS number in errors

  EXPECT_EQ(break_the_glass("paramedic", kRhys, R"({"reason":"emergency-treatment"})").status,
            400U);  // the justification is required
  const auto opened = break_the_glass(
      "paramedic", kRhys,
      R"({"reason":"emergency-treatment","justification":"unresponsive on scene, need history"})");
  ASSERT_EQ(opened.status, 200U) << opened.body;
  EXPECT_STREQ(json(opened)["resourceType"].GetString(), "Parameters");

  const auto r = everything("paramedic", kRhys);
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  EXPECT_STREQ(doc["meta"]["security"][0]["code"].GetString(), "BTG");
  EXPECT_TRUE(ids(doc).count("mh-rhys-crisis"));
  EXPECT_FALSE(ids(doc).count("mh-rhys-notes1"));  // a legal exclusion: break-glass never lifts it
  // Another patient is still closed to them.
  EXPECT_EQ(everything("paramedic", kEileen).status, 403U);
  // A role the agreement does not let break the glass is refused.
  EXPECT_EQ(
      break_the_glass("mh-nurse", kEileen,
                      R"({"reason":"emergency-treatment","justification":"collapsed in clinic"})")
          .status,
      403U);

  const auto records = audited();
  bool opened_audited = false;
  bool read_audited = false;
  for (const auto& a : records) {
    if (a.type == audit::EventType::kBreakGlass && a.decision == audit::Decision::kBreakGlass) {
      opened_audited = a.nhs_number == kRhys && a.break_glass_reason == "emergency-treatment";
    }
    if (a.type == audit::EventType::kRecordRead && a.decision == audit::Decision::kBreakGlass) {
      read_audited = a.nhs_number == kRhys && a.break_glass_reason == "emergency-treatment" &&
                     !a.disclosed.empty() && !a.withheld.empty();
    }
  }
  EXPECT_TRUE(opened_audited);
  EXPECT_TRUE(read_audited);
}

TEST_F(RecordApiTest, BreakGlassOverridesAnObjectionWhereTheAgreementSaysSo) {
  ASSERT_EQ(rules(json(everything("gp", kGrace))), std::set<std::string>{"patient-objection"});
  ASSERT_EQ(break_the_glass(
                "gp", kGrace,
                R"({"reason":"patient-request","justification":"patient asks me to look today"})")
                .status,
            200U);
  const auto doc = json(everything("gp", kGrace));
  EXPECT_TRUE(ids(doc).count("gp-grace-eczema"));
}

TEST_F(RecordApiTest, PagingFollowsTheStoreCursorAndSurvivesConcurrentWrites) {
  std::set<std::string> seen;
  std::string target = "/fhir/Patient/" + std::string(kEileen) + "/$everything?_count=3";
  int pages = 0;
  bool wrote = false;
  while (!target.empty() && pages < 20) {
    const auto r = call("GET", target, "gp");
    ASSERT_EQ(r.status, 200U) << r.body;
    const auto doc = json(r);
    for (const auto& id : ids(doc)) {
      seen.insert(id);
    }
    ++pages;
    target.clear();
    for (const auto& l : doc["link"].GetArray()) {
      if (std::string_view(l["relation"].GetString()) == "next") {
        std::string url = l["url"].GetString();
        target = url.substr(url.find("/fhir/"));
      }
    }
    if (!wrote) {
      // Between pages the GP sends a new problem and updates one already read.
      auto tx = records_->begin();
      ASSERT_TRUE(tx);
      auto person = mpi_->find_by_nhs_number(NhsNumber::parse(kEileen).value());
      ASSERT_TRUE(person && person->has_value());
      const auto gp = OdsCode::parse("Z90001").value();
      ASSERT_TRUE((*tx)->upsert({{gp, "Condition", "gp-eileen-new"},
                                 (**person).person.id,
                                 "emis-extract-0099",
                                 R"({"resourceType":"Condition","id":"gp-eileen-new",)"
                                 R"("subject":{"reference":"Patient/9991554335"}})"}));
      ASSERT_TRUE((*tx)->commit());
      wrote = true;
    }
  }
  EXPECT_GT(pages, 2);
  EXPECT_TRUE(target.empty()) << "paging did not end";
  for (const char* id : {"gp-eileen-dnacpr", "gp-eileen-htn", "gp-eileen-amlodipine",
                         "ac-eileen-ae1", "ac-eileen-latex", "ac-eileen-dis1", "sc-eileen-case1",
                         "sc-eileen-plan1", "gp-eileen-new"}) {
    EXPECT_TRUE(seen.count(id)) << id;
  }
}

TEST_F(RecordApiTest, TypeAndFormatParametersAndXml) {
  const auto r = everything("gp", kOlivia, "?_type=AllergyIntolerance,Condition&_format=xml");
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_NE(r.header("Content-Type").find("application/fhir+xml"), std::string::npos);
  EXPECT_EQ(r.body.rfind("<?xml", 0), 0U);
  EXPECT_NE(r.body.find("<Bundle xmlns=\"http://hl7.org/fhir\">"), std::string::npos);
  EXPECT_NE(r.body.find("gp-olivia-penicillin"), std::string::npos);
  EXPECT_EQ(r.body.find("gp-olivia-salbutamol"), std::string::npos);  // not of those types
  EXPECT_EQ(r.body.find("gp-olivia-sh1"), std::string::npos);
  EXPECT_NE(r.body.find("suppressed"), std::string::npos);  // the notice is there, in XML

  const auto since = everything("gp", kOlivia, "?_since=2200-01-01");
  ASSERT_EQ(since.status, 200U);
  EXPECT_EQ(ids(json(since)), std::set<std::string>{std::string(kOlivia)});
}

TEST_F(RecordApiTest, ErrorsAreOperationOutcomesWithFittingStatuses) {
  EXPECT_EQ(everything("gp", "9991631012").status, 400U);  // fails the Modulus 11 check
  EXPECT_EQ(everything("gp", "9991641009").status, 404U);  // valid, but nobody holds it
  EXPECT_EQ(everything("gp", kOlivia, "?_sort=date").status, 400U);
  EXPECT_EQ(everything("gp", kOlivia, "?_count=0").status, 400U);
  EXPECT_EQ(everything("gp", kOlivia, "?_since=2999-01-01").status, 400U);
  const auto r = everything("ig-lead", kOlivia);
  ASSERT_EQ(r.status, 403U);
  const auto doc = json(r);
  EXPECT_STREQ(doc["resourceType"].GetString(), "OperationOutcome");
  EXPECT_NE(r.body.find("no-agreement"), std::string::npos);
  EXPECT_NE(r.body.find("Break-glass does not apply"), std::string::npos);
}

TEST_F(RecordApiTest, SearchByPatientTakesTheSamePolicyAndAuditPath) {
  const auto conditions = call("GET", "/fhir/Condition?patient=" + std::string(kOlivia));
  ASSERT_EQ(conditions.status, 200U) << conditions.body;
  const auto doc = json(conditions);
  EXPECT_EQ(ids(doc), (std::set<std::string>{"gp-olivia-asthma", "ac-olivia-asthma"}));
  EXPECT_EQ(doc["total"].GetUint(), 2U);  // the withheld one is not counted
  EXPECT_TRUE(rules(doc).empty());        // and no notice hints that it exists
  EXPECT_EQ(conditions.body.find("gp-olivia-sh1"), std::string::npos);

  const auto by_token =
      call("GET", "/fhir/AllergyIntolerance?patient=https://fhir.nhs.uk/Id/nhs-number%7C" +
                      std::string(kOlivia));
  ASSERT_EQ(by_token.status, 200U) << by_token.body;
  EXPECT_EQ(ids(json(by_token)).size(), 2U);
  const auto by_ref = call("GET", "/fhir/Flag?patient=Patient/" + std::string(kEileen));
  ASSERT_EQ(by_ref.status, 200U);
  EXPECT_EQ(ids(json(by_ref)), std::set<std::string>{"gp-eileen-dnacpr"});
  for (const char* type : {"MedicationStatement", "Encounter", "CarePlan", "DocumentReference"}) {
    EXPECT_EQ(call("GET", std::string("/fhir/") + type + "?patient=" + std::string(kEileen)).status,
              200U)
        << type;
  }
  EXPECT_EQ(call("GET", "/fhir/Condition").status, 400U);  // patient is required
  EXPECT_EQ(call("GET", "/fhir/Condition?patient=" + std::string(kRhys), "ae-doctor").status, 403U);
  const auto records = audited();
  ASSERT_EQ(records.size(), 9U);
  EXPECT_EQ(records.front().type, audit::EventType::kRecordSearch);
  EXPECT_EQ(records.front().disclosed.size(), 2U);
  EXPECT_FALSE(records.front().withheld.empty());  // the audit does record what was withheld
}

TEST_F(RecordApiTest, SearchPagingDoesNotHintAtHiddenMatchesAfterTheLastPage) {
  // The GP sends another sexual-health problem for Olivia: the last record in store order.
  auto tx = records_->begin();
  ASSERT_TRUE(tx);
  auto person = mpi_->find_by_nhs_number(NhsNumber::parse(kOlivia).value());
  ASSERT_TRUE(person && person->has_value());
  ASSERT_TRUE((*tx)->upsert(
      {{OdsCode::parse("Z90001").value(), "Condition", "gp-olivia-sh2"},
       (**person).person.id,
       "emis-extract-0098",
       R"({"resourceType":"Condition","id":"gp-olivia-sh2","code":{"coding":[{"system":)"
       R"("http://snomed.info/sct","code":"111880001"}]},"subject":{"reference":)"
       R"("Patient/9991158383"}})"}));
  ASSERT_TRUE((*tx)->commit());
  // Store order: gp-olivia-asthma, gp-olivia-sh1 (withheld), ac-olivia-asthma, gp-olivia-sh2.
  const auto r = call("GET", "/fhir/Condition?patient=" + std::string(kOlivia) + "&_count=3");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  EXPECT_EQ(ids(doc), (std::set<std::string>{"gp-olivia-asthma", "ac-olivia-asthma"}));
  for (const auto& l : doc["link"].GetArray()) {
    EXPECT_STRNE(l["relation"].GetString(), "next");  // only a withheld record remains
  }
  // A page that does have something visible after it still links on.
  const auto first =
      json(call("GET", "/fhir/Condition?patient=" + std::string(kOlivia) + "&_count=1"));
  bool has_next = false;
  for (const auto& l : first["link"].GetArray()) {
    has_next = has_next || std::string_view(l["relation"].GetString()) == "next";
  }
  EXPECT_TRUE(has_next);
}

TEST_F(RecordApiTest, TheBrowserPortServesTheSameRecord) {
  const auto r =
      call("GET", "/fhir/Patient/" + std::string(kEileen) + "/$everything", "gp", "", "browser");
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_TRUE(ids(json(r)).count("gp-eileen-dnacpr"));
}

/** queue: the break-glass review queue as the IG lead sees it (records in Bundle order). */
std::vector<audit::StoredRecord> queue_of(const HttpResponse& r) {
  auto records = audit::read_audit_event_bundle(r.body);
  EXPECT_TRUE(records) << r.body;
  return records ? std::move(*records) : std::vector<audit::StoredRecord>{};
}

TEST_F(RecordApiTest, BreakGlassIsCountedAndWaitsInTheReviewQueueUntilReviewed) {
  const std::string why = R"({"reason":"emergency-treatment","justification":"unresponsive on )"
                          R"(scene, need history"})";
  ASSERT_EQ(break_the_glass("paramedic", kRhys, why).status, 200U);
  // Refused: not counted (the agreement does not let a nurse break the glass).
  ASSERT_EQ(break_the_glass("mh-nurse", kEileen, why).status, 403U);
  const auto* counted = server_->stats().break_glass.find({"Z9L01", "emergency-treatment"});
  ASSERT_NE(counted, nullptr);
  EXPECT_EQ(counted->value(), 1U);
  EXPECT_EQ(server_->stats().break_glass.find({"Z9M01", "emergency-treatment"}), nullptr);
  const auto metrics = call("GET", "/metrics");
  EXPECT_NE(metrics.body.find(
                R"(caregw_break_glass_total{organisation="Z9L01",reason="emergency-treatment"} 1)"),
            std::string::npos)
      << metrics.body;

  // The IG lead's queue: the grant, unreviewed.
  const auto open = call("GET", "/audit/break-glass?status=unreviewed", "ig-lead");
  ASSERT_EQ(open.status, 200U) << open.body;
  std::uint64_t grant_seq = 0;
  // Granted break-glass only: the nurse's refused attempt is a denial, not a queue entry.
  const auto listed = queue_of(open);
  ASSERT_EQ(listed.size(), 1U) << open.body;
  for (const auto& r : listed) {
    EXPECT_EQ(r.record.type, audit::EventType::kBreakGlass);
    EXPECT_EQ(r.record.decision, audit::Decision::kBreakGlass);
    EXPECT_EQ(r.record.outcome, audit::Outcome::kSuccess);
    if (r.record.nhs_number == kRhys) {
      grant_seq = r.record.seq;
    }
  }
  ASSERT_NE(grant_seq, 0U) << open.body;
  // Clinicians do not see it, and a bad status is refused.
  EXPECT_EQ(call("GET", "/audit/break-glass", "gp").status, 403U);
  EXPECT_EQ(call("GET", "/audit/break-glass?status=later", "ig-lead").status, 400U);

  // Reviewed (as `caregw audit break-glass review` does): gone from the unreviewed list, and in
  // status=any followed by its review.
  audit::ReviewInput review;
  review.break_glass_seq = grant_seq;
  review.reviewer_id = "ig-reviewer";
  review.outcome = audit::ReviewOutcome::kAppropriate;
  review.note = "paramedic on scene";
  ASSERT_TRUE(audit::record_break_glass_review(*audit_, review));
  for (const auto& r : queue_of(call("GET", "/audit/break-glass", "ig-lead"))) {
    EXPECT_NE(r.record.seq, grant_seq);
  }
  const auto all = queue_of(call("GET", "/audit/break-glass?status=any", "ig-lead"));
  bool followed_by_review = false;
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    followed_by_review =
        followed_by_review || (all[i].record.seq == grant_seq &&
                               all[i + 1].record.type == audit::EventType::kBreakGlassReview &&
                               all[i + 1].record.related_seq == grant_seq);
  }
  EXPECT_TRUE(followed_by_review);

  // Each look at the queue is itself audited, as the IG lead's query.
  std::size_t queries = 0;
  for (const auto& a : audited()) {
    if (a.type == audit::EventType::kAuditQuery &&
        a.user_id == auth::find_demo_user("ig-lead")->id &&
        a.detail.starts_with("break-glass review queue")) {
      ++queries;
    }
  }
  EXPECT_EQ(queries, 3U);  // unreviewed, the default (unreviewed) and any; refusals say so
}

/** explain_input: a recorded request by `login` about Rhys (no relationship for a paramedic). */
std::string explain_input(std::string_view login, bool break_glass) {
  const auto* u = auth::find_demo_user(login);
  std::string json = R"({"id":"q1","at":"2026-06-01T12:00:00Z","requester":{"system":")" +
                     std::string(u->ods) + R"(","user":")" + std::string(u->id) + R"(","role":")" +
                     std::string(u->role_code) + R"(","organisation":")" + std::string(u->ods) +
                     R"(","purpose":"direct-care"},"patient":{"nhsNumber":")" + std::string(kRhys) +
                     R"(","registeredPractice":"Z90001","objection":false,"episodes":[]},)"
                     R"("resources":[{"type":"Condition","id":"c1","category":"problems",)"
                     R"("sensitivity":[],"source":"Z90001"},{"type":"Condition","id":"c2",)"
                     R"("category":"problems","sensitivity":["sexual-health"],"source":"Z90001"}])";
  if (break_glass) {
    json += R"(,"breakGlass":{"reason":"emergency-treatment","grantedAt":"2026-06-01T11:00:00Z",)"
            R"("expiresAt":"2026-06-01T15:00:00Z"})";
  }
  return json + "}";
}

TEST_F(RecordApiTest, PolicyExplainAnswersTheChainOfReasonsForOwnRequestsAndForIg) {
  // The paramedic asks why they were refused: no legitimate relationship, every step listed.
  const auto own = call("POST", "/policy/explain", "paramedic", explain_input("paramedic", false));
  ASSERT_EQ(own.status, 200U) << own.body;
  const auto doc = json(own);
  EXPECT_STREQ(doc["id"].GetString(), "q1");
  EXPECT_STREQ(doc["decision"]["decision"].GetString(), "deny");
  EXPECT_STREQ(doc["decision"]["rule"].GetString(), "no-legitimate-relationship");
  EXPECT_GE(doc["decision"]["reasons"].Size(), 3U);
  ASSERT_EQ(doc["resources"].Size(), 2U);
  EXPECT_STREQ(doc["resources"][0]["id"].GetString(), "c1");
  EXPECT_STREQ(doc["resources"][0]["explanation"]["decision"].GetString(), "deny");
  EXPECT_EQ(own.body.find(std::string(kRhys)), std::string::npos);  // reasons carry no NHS number

  // With break-glass in the recorded request: the problem is shown, the legal exclusion is not.
  const auto bg =
      json(call("POST", "/policy/explain", "paramedic", explain_input("paramedic", true)));
  EXPECT_STREQ(bg["resources"][0]["explanation"]["decision"].GetString(), "permit");
  EXPECT_TRUE(bg["resources"][0]["explanation"]["breakGlass"].GetBool());
  EXPECT_STREQ(bg["resources"][1]["explanation"]["rule"].GetString(), "legal-exclusion");

  // Someone else's request: only for IG.
  EXPECT_EQ(call("POST", "/policy/explain", "gp", explain_input("paramedic", false)).status, 403U);
  const auto ig = call("POST", "/policy/explain", "ig-lead", explain_input("paramedic", false));
  ASSERT_EQ(ig.status, 200U) << ig.body;
  EXPECT_STREQ(json(ig)["decision"]["rule"].GetString(), "no-legitimate-relationship");
  EXPECT_EQ(call("POST", "/policy/explain", "paramedic", R"({"id":"q1"})").status, 400U);

  // Each explanation is audited with the patient it was about; the refusal too.
  std::size_t explained = 0;
  std::size_t refused = 0;
  for (const auto& a : audited()) {
    if (a.type != audit::EventType::kAccessDecision || a.nhs_number != kRhys) {
      continue;
    }
    if (a.outcome == audit::Outcome::kSuccess) {
      ++explained;
      EXPECT_NE(a.detail.find("policy explain: "), std::string::npos) << a.detail;
    } else {
      ++refused;
      EXPECT_EQ(a.user_id, auth::find_demo_user("gp")->id);
    }
  }
  EXPECT_EQ(explained, 3U);
  EXPECT_EQ(refused, 1U);
}

/** explain_query: GET /policy/explain about Olivia for a requester of `org` with `role`. */
std::string explain_query(std::string_view org, std::string_view role, const std::string& more) {
  return "/policy/explain?organisation=" + std::string(org) + "&role=" + std::string(role) +
         "&purpose=direct-care&patient=" + std::string(kOlivia) + more;
}

TEST_F(RecordApiTest, ExplainByQueryGivesTheDecisionAndReasonsForIgAndIntegrators) {
  // The IG lead asks whether the GP practice may see Olivia's problems: yes, and why.
  const auto ig =
      call("GET", explain_query("Z90001", "R8000", "&user=demo-user-gp&resource-type=Condition"),
           "ig-lead");
  ASSERT_EQ(ig.status, 200U) << ig.body;
  EXPECT_EQ(ig.header("Content-Type"), "application/json");
  const auto doc = json(ig);
  EXPECT_STREQ(doc["id"].GetString(), ig.header("X-Request-ID").c_str());
  EXPECT_TRUE(doc["at"].IsString());
  const auto& d = doc["decision"];
  EXPECT_STREQ(d["decision"].GetString(), "permit");
  EXPECT_STREQ(d["rule"].GetString(), "permitted");
  EXPECT_STREQ(d["agreement"].GetString(), "DSA-DEMO-DC v1.0");
  EXPECT_STREQ(d["relationship"].GetString(), "registered-practice");
  EXPECT_STREQ(d["resourceType"].GetString(), "Condition");
  EXPECT_STREQ(d["category"].GetString(), "problems");
  EXPECT_STREQ(d["requester"]["organisation"].GetString(), "Z90001");
  EXPECT_GE(d["reasons"].Size(), 4U);
  EXPECT_EQ(doc["resources"].Size(), 0U);
  EXPECT_EQ(ig.body.find(std::string(kOlivia)), std::string::npos);  // reasons carry no number

  // An integrator checks the ambulance service: no relationship with Olivia, so denied, with
  // what was missing; with break-glass the agreement lets a paramedic in.
  const auto para =
      json(call("GET", explain_query("Z9L01", "R1070", "&category=problems"), "integrator"));
  EXPECT_STREQ(para["decision"]["decision"].GetString(), "deny");
  EXPECT_STREQ(para["decision"]["rule"].GetString(), "no-legitimate-relationship");
  EXPECT_TRUE(para["decision"].HasMember("missing"));
  const auto bg = call(
      "GET", explain_query("Z9L01", "R1070", "&category=problems&break-glass=true"), "integrator");
  ASSERT_EQ(bg.status, 200U) << bg.body;
  EXPECT_STREQ(json(bg)["decision"]["decision"].GetString(), "permit");
  EXPECT_TRUE(json(bg)["decision"]["breakGlass"].GetBool());
  // Data no agreement for this purpose covers, and a legal exclusion.
  EXPECT_STREQ(json(call("GET", explain_query("Z90001", "R8000", "&category=safeguarding"),
                         "integrator"))["decision"]["rule"]
                   .GetString(),
               "category-not-in-agreement");
  EXPECT_STREQ(json(call("GET",
                         explain_query("Z90001", "R8000",
                                       "&resource-type=Condition&sensitivity=sexual-health"),
                         "ig-lead"))["decision"]["rule"]
                   .GetString(),
               "legal-exclusion");
  // A patient who opted out: the engine's rule, whatever the requester.
  const auto grace = json(call("GET",
                               "/policy/explain?organisation=Z90001&role=R8000&purpose=direct-care"
                               "&patient=" +
                                   std::string(kGrace) + "&category=demographics",
                               "ig-lead"));
  EXPECT_STREQ(grace["decision"]["rule"].GetString(), "patient-objection");
}

TEST_F(RecordApiTest, ExplainByQueryIsRefusedToOthersAndSaysWhichParameterIsWrong) {
  const std::string ok = explain_query("Z90001", "R8000", "&resource-type=Condition");
  // A clinician may not explain other people's access (their own recorded request: POST).
  const auto gp = call("GET", ok, "gp");
  EXPECT_EQ(gp.status, 403U) << gp.body;
  EXPECT_NE(gp.body.find("OperationOutcome"), std::string::npos);
  EXPECT_NE(gp.body.find("integration"), std::string::npos) << gp.body;
  EXPECT_EQ(call("GET", ok, "operator").status, 403U);

  const auto missing =
      call("GET", "/policy/explain?organisation=Z90001&role=R8000&purpose=direct-care", "ig-lead");
  EXPECT_EQ(missing.status, 400U);
  EXPECT_NE(missing.body.find("OperationOutcome"), std::string::npos);
  EXPECT_NE(missing.body.find("parameter 'patient': is required"), std::string::npos)
      << missing.body;
  const auto bad_role =
      call("GET", explain_query("Z90001", "R0005", "&category=problems"), "integrator");
  EXPECT_EQ(bad_role.status, 400U);
  EXPECT_NE(bad_role.body.find("parameter 'role'"), std::string::npos) << bad_role.body;
  // A valid number nobody knows: 404 (there is no context to decide on).
  const auto unknown = call("GET",
                            "/policy/explain?organisation=Z90001&role=R8000&purpose=direct-care"
                            "&patient=9990000034&category=problems",
                            "ig-lead");
  EXPECT_EQ(unknown.status, 404U) << unknown.body;
  EXPECT_EQ(unknown.body.find("9990000034"), std::string::npos);
}

TEST_F(RecordApiTest, EveryExplainByQueryIsAuditedNamingThePatient) {
  ASSERT_EQ(
      call("GET", explain_query("Z90001", "R8000", "&resource-type=Condition"), "ig-lead").status,
      200U);
  ASSERT_EQ(call("GET", explain_query("Z9L01", "R1070", "&category=problems"), "integrator").status,
            200U);
  ASSERT_EQ(call("GET", explain_query("Z90001", "R8000", "&resource-type=Condition"), "gp").status,
            403U);
  std::vector<audit::AuditRecord> explained;
  std::size_t refused = 0;
  for (auto& a : audited()) {
    if (a.type != audit::EventType::kAccessDecision) {
      continue;
    }
    if (a.outcome == audit::Outcome::kSuccess) {
      explained.push_back(std::move(a));
    } else {
      ++refused;
      EXPECT_EQ(a.decision, audit::Decision::kDeny);
      EXPECT_EQ(a.user_id, auth::find_demo_user("gp")->id);
    }
  }
  EXPECT_EQ(refused, 1U);
  ASSERT_EQ(explained.size(), 2U);
  EXPECT_EQ(explained[0].nhs_number, kOlivia);
  EXPECT_EQ(explained[0].user_id, auth::find_demo_user("ig-lead")->id);
  EXPECT_EQ(explained[0].dsa_id, "DSA-DEMO-DC");
  EXPECT_EQ(explained[0].dsa_version, "1.0");
  EXPECT_EQ(explained[0].dsa_rule, "permitted");
  EXPECT_EQ(explained[0].detail,
            "policy explain (query): permit (permitted) for problems by role R8000 of Z90001 for "
            "direct-care");
  EXPECT_EQ(explained[1].nhs_number, kOlivia);
  EXPECT_EQ(explained[1].purpose_of_use, "integration");
  EXPECT_EQ(explained[1].dsa_rule, "no-legitimate-relationship");
}

/** json_string: `text` as a JSON string literal. */
std::string json_string(const std::string& text) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return {sb.GetString(), sb.GetSize()};
}

TEST_F(RecordApiTest, DryRunOverHttpListsWhatAChangedAgreementWouldDecideDifferently) {
  // The proposal: no more break-glass under the direct care agreement.
  std::string changed = read_source("examples/demo/dsa/direct-care.yaml");
  changed.replace(changed.find("break_glass_allowed: true"), 25, "break_glass_allowed: false");
  // Two recorded requests by the paramedic about Rhys: with break-glass (changes) and without.
  std::string with_bg = explain_input("paramedic", true);
  with_bg.replace(with_bg.find(R"("id":"q1")"), 9, R"("id":"bg")");
  const std::string body = R"({"agreements":[)" + json_string(changed) + R"(],"inputs":[)" +
                           with_bg + "," + explain_input("paramedic", false) + "]}";
  const auto r = call("POST", "/policy/dry-run", "ig-lead", body);
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  EXPECT_EQ(doc["replayed"].GetUint(), 2U);
  ASSERT_EQ(doc["changes"].Size(), 1U) << r.body;
  const auto& c = doc["changes"][0];
  EXPECT_STREQ(c["input"].GetString(), "bg");
  EXPECT_STREQ(c["ruleBefore"].GetString(), "permitted-by-break-glass");
  EXPECT_STREQ(c["ruleAfter"].GetString(), "no-legitimate-relationship");
  ASSERT_EQ(c["newlyWithheld"].Size(), 1U);
  EXPECT_STREQ(c["newlyWithheld"][0].GetString(), "Condition/c1");

  // IG only; a proposal with a mistake is refused naming where; the run itself is audited.
  EXPECT_EQ(call("POST", "/policy/dry-run", "integrator", body).status, 403U);
  std::string bad = changed;
  bad.replace(bad.find("  - problems"), 12, "  - problemz");
  const auto refused = call("POST", "/policy/dry-run", "ig-lead",
                            R"({"agreements":[)" + json_string(bad) + R"(],"inputs":[]})");
  EXPECT_EQ(refused.status, 400U);
  EXPECT_NE(refused.body.find("agreements[0]:"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("problemz"), std::string::npos) << refused.body;
  std::size_t runs = 0;
  for (const auto& a : audited()) {
    if (a.type == audit::EventType::kAccessDecision &&
        a.detail == "policy dry run: 2 recorded requests replayed, 1 would change") {
      ++runs;
      EXPECT_EQ(a.user_id, auth::find_demo_user("ig-lead")->id);
    }
  }
  EXPECT_EQ(runs, 1U);
}

TEST_F(RecordApiTest, DryRunWithoutInputsReplaysTheRequestsThisGatewayRecorded) {
  // A real read: the GP opens Olivia's record, and the gateway records the decision's inputs.
  const auto read = everything("gp", kOlivia);
  ASSERT_EQ(read.status, 200U) << read.body;
  const std::string request_id = json(read)["id"].GetString();
  ASSERT_FALSE(ids(json(read)).empty());
  EXPECT_EQ(recorder_->lines(), 1U);  // recorded before the answer went out
  EXPECT_EQ(recorder_->failures(), 0U);
  const auto file = std::filesystem::path(dir_.file("data")) / "policy" /
                    policy::recorded_file_name(std::chrono::system_clock::now());
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
  EXPECT_EQ(st.st_mode & 0777U, 0600U);

  // The proposal: the GP's role is no longer covered by the direct care agreement.
  const std::string role(auth::find_demo_user("gp")->role_code);
  std::string changed = read_source("examples/demo/dsa/direct-care.yaml");
  const auto at = changed.find("  - " + role);
  ASSERT_NE(at, std::string::npos);
  changed.erase(at, changed.find('\n', at) + 1 - at);
  const auto r = call("POST", "/policy/dry-run", "ig-lead",
                      R"({"agreements":[)" + json_string(changed) + "]}");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  EXPECT_EQ(doc["replayed"].GetUint(), 1U) << r.body;
  ASSERT_EQ(doc["changes"].Size(), 1U) << r.body;
  const auto& c = doc["changes"][0];
  EXPECT_EQ(std::string(c["input"].GetString()), request_id);
  EXPECT_STRNE(c["before"].GetString(), "deny");  // permitted (some items redacted)
  EXPECT_STREQ(c["after"].GetString(), "deny");
  EXPECT_STREQ(c["ruleAfter"].GetString(), "role-not-allowed");
  EXPECT_GT(c["permittedBefore"].GetUint(), 0U);
  EXPECT_EQ(c["permittedAfter"].GetUint(), 0U);
  EXPECT_EQ(c["newlyWithheld"].Size(), c["permittedBefore"].GetUint());
}

}  // namespace
}  // namespace gw::test
