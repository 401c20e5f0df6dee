// GET /fhir/Patient and the identity review worklist over real TLS against a real SQLite MPI,
// with bearer tokens from the demo issuer and the real audit log: lookup by NHS number and by
// local identifier, demographic search with scores and grades, read by id (a merged NHS number
// answers with the survivor), who may ask, what is audited before the answer, and the errors a
// client gets; demographics decided by the demo data-sharing agreements (a requester no agreement
// covers is refused before any lookup; a patient the engine denies is refused or left out).
// Synthetic people only (999 test range).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/policy/embedded.hpp"
#include "gateway/policy/policy_set.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "tests/support/demo_tokens.hpp"
#include "tests/support/running_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

constexpr std::string_view kNhsOlivia = "9990000018";
constexpr std::string_view kNhsOld = "9990000026";

/** The test listeners with the demo organisations and data-sharing agreements (examples/demo). */
std::string patient_config() { return config_yaml("", kDemoPartiesAndAgreements); }

class PatientApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto repo = store::sqlite::SqliteMpiRepository::open_in_data_dir(dir_.file("data"), clock_);
    ASSERT_TRUE(repo) << repo.error().detail;
    repo_ = std::move(*repo);
    mpi_ = std::make_unique<identity::MpiService>(*repo_, identity::MpiSettings{});
    seed();
    // Demographics are decided under the demo agreements, with the context from the records.
    auto records = store::sqlite::SqliteRecordStore::open_in_data_dir(dir_.file("data"), clock_);
    ASSERT_TRUE(records) << records.error().detail;
    records_ = std::move(*records);
    auto lr = config::load_text(patient_config(), "test.yaml", "/tmp");
    ASSERT_TRUE(lr.errors.empty()) << lr.errors.front().str();
    std::vector<config::Diagnostic> errors;
    auto set = policy::load_policy_set(*lr.config, policy::read_demo_file,
                                       std::chrono::system_clock::now(), errors);
    ASSERT_TRUE(set) << (errors.empty() ? "" : errors.front().str());
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(*set));
    // The demo issuer's key, and a verifier trusting its JWKS (as `serve --demo` does).
    auto issuer = auth::ensure_demo_issuer(dir_.file("data"));
    ASSERT_TRUE(issuer) << issuer.error().detail;
    issuer_ = std::move(*issuer);
    auto verifier = demo_verifier(issuer_);
    ASSERT_TRUE(verifier) << verifier.error().detail;
    tokens_ = std::move(*verifier);
    audit::AuditLogOptions options;
    options.data_dir = dir_.file("data");
    options.node_id = "test-1";
    auto log = audit::AuditLog::open(options, clock_);
    ASSERT_TRUE(log) << log.error().detail;
    audit_ = std::move(*log);
    pipeline::Backends backends{mpi_.get(), tokens_.get(), audit_.get()};
    backends.records = records_.get();
    backends.policy = policy_.get();
    server_ = std::make_unique<RunningServer>(patient_config(), http::Reloader{}, backends);
  }

  void TearDown() override {
    server_.reset();
    if (audit_) {
      audit_->close();
    }
  }

  std::string token(std::string_view login) const { return demo_token(issuer_, login); }

  /** audited: the audit records written so far, oldest first. */
  std::vector<audit::AuditRecord> audited() {
    auto page = audit_->query(audit::QueryFilter{}, audit::PageRequest{});
    EXPECT_TRUE(page) << page.error().detail;
    std::vector<audit::AuditRecord> out;
    if (page) {
      for (auto& r : page->records) {
        out.push_back(std::move(r.record));
      }
    }
    return out;
  }

  identity::IdentifyResult add(std::string_view source, store::LocalIdType type, std::string id,
                               std::string family, std::string given, identity::Date born,
                               std::optional<std::string_view> nhs) {
    identity::IncomingIdentity in{.source = OdsCode::parse(source).value()};
    in.local_id = store::LocalId{in.source, type, std::move(id)};
    in.match.family = std::move(family);
    in.match.given = {std::move(given)};
    in.match.birth_date = born;
    in.match.gender = "female";
    in.match.postcode = "SE1 7PB";
    in.address_lines = {"12 Invented Street", "Testborough"};
    if (nhs) {
      in.match.nhs_number = NhsNumber::parse(*nhs).value();
      in.match.nhs_status = VerificationStatus::kPresentVerified;
    }
    in.message_id = "seed-" + in.local_id->value;
    auto r = mpi_->identify(in);
    if (!r) {
      ADD_FAILURE() << r.error().detail;
      return {};
    }
    return *r;
  }

  void seed() {
    olivia_ = add("Z90001", store::LocalIdType::kEmisPatientGuid, "GUID-1", "Testwood", "Olivia",
                  {1984, 7, 12}, kNhsOlivia);
    add("Z9A01", store::LocalIdType::kHospitalMrn, "MRN-1", "Testwood", "Olivia", {1984, 7, 12},
        kNhsOlivia);
    // A duplicate registration under another number, merged by the hospital (ADT^A40).
    add("Z9A01", store::LocalIdType::kHospitalMrn, "MRN-2", "Testwood", "Olive", {1984, 7, 12},
        kNhsOld);
    ASSERT_TRUE(mpi_->merge_local_ids(
        store::LocalId{OdsCode::parse("Z9A01").value(), store::LocalIdType::kHospitalMrn, "MRN-1"},
        store::LocalId{OdsCode::parse("Z9A01").value(), store::LocalIdType::kHospitalMrn, "MRN-2"},
        "ADT^A40", "Z9A01", "a40-1"));
    add("Z90001", store::LocalIdType::kEmisPatientGuid, "GUID-2", "Testwood", "Oscar",
        {1950, 1, 30}, std::nullopt);
  }

  /** call: one request as `login` (a demo user; "" for no token) with `cert`'s certificate. */
  HttpResponse call(const std::string& method, const std::string& target,
                    std::string_view login = "gp", const std::string& cert = "Z90001",
                    const std::string& body = "", const std::string& accept = "") {
    TlsClient client(client_for(cert));
    HttpResponse out;
    if (client.connect(server_->port("provider"))) {
      ADD_FAILURE() << "cannot connect";
      return out;
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (!accept.empty()) {
      headers.emplace_back("Accept", accept);
    }
    if (!login.empty()) {
      headers.emplace_back("Authorization", "Bearer " + token(login));
    }
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    (void)client.request(method, target, out, body, headers);
    return out;
  }

  HttpResponse get(const std::string& target, const std::string& accept = "") {
    return call("GET", target, "gp", "Z90001", "", accept);
  }

  static fhir::Json json(const HttpResponse& r) {
    auto doc = fhir::parse_json(r.body);
    EXPECT_TRUE(doc) << r.body;
    return doc ? std::move(*doc) : fhir::Json{};
  }

  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<store::sqlite::SqliteMpiRepository> repo_;
  std::unique_ptr<identity::MpiService> mpi_;
  std::unique_ptr<store::sqlite::SqliteRecordStore> records_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  auth::DemoIssuer issuer_;
  std::unique_ptr<auth::TokenVerifierHolder> tokens_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<RunningServer> server_;
  identity::IdentifyResult olivia_;
};

TEST_F(PatientApiTest, ByNhsNumberReturnsOneUkCorePatientWithEveryLocalIdentifier) {
  const auto r = get("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number%7C" +
                     std::string(kNhsOlivia));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_NE(r.header("Content-Type").find("application/fhir+json"), std::string::npos);
  const auto doc = json(r);
  EXPECT_STREQ(doc["type"].GetString(), "searchset");
  EXPECT_EQ(doc["total"].GetUint(), 1U);
  const auto& patient = doc["entry"][0]["resource"];
  EXPECT_STREQ(patient["id"].GetString(), std::string(kNhsOlivia).c_str());
  EXPECT_STREQ(patient["name"][0]["family"].GetString(), "Testwood");
  EXPECT_STREQ(patient["birthDate"].GetString(), "1984-07-12");
  // NHS number (verified, 01) + the EMIS GUID + both hospital MRNs (one merged in).
  const auto& ids = patient["identifier"];
  ASSERT_EQ(ids.Size(), 4U);
  EXPECT_STREQ(ids[0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"].GetString(),
               "01");
  EXPECT_NE(r.body.find("urn:caregw:id:Z9A01:mrn"), std::string::npos);
  EXPECT_NE(r.body.find(R"("type":"replaces")"), std::string::npos);
}

TEST_F(PatientApiTest, ByLocalIdentifierFindsTheSamePerson) {
  const auto r = get("/fhir/Patient?identifier=urn:caregw:id:Z90001:emis-guid%7CGUID-1");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  ASSERT_EQ(doc["total"].GetUint(), 1U);
  EXPECT_STREQ(doc["entry"][0]["resource"]["id"].GetString(), std::string(kNhsOlivia).c_str());
}

TEST_F(PatientApiTest, AnUnknownNumberIsAnEmptySearchsetNotAnError) {
  const auto r = get("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990000034");
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(json(r)["total"].GetUint(), 0U);
}

TEST_F(PatientApiTest, DemographicSearchRanksWithScoreAndMatchGrade) {
  const auto r = get("/fhir/Patient?family=testwood&given=olivia&birthdate=1984-07-12");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = json(r);
  ASSERT_GE(doc["entry"].Size(), 1U);
  const auto& first = doc["entry"][0];
  EXPECT_STREQ(first["resource"]["id"].GetString(), std::string(kNhsOlivia).c_str());
  EXPECT_STREQ(first["search"]["mode"].GetString(), "match");
  EXPECT_GT(first["search"]["score"].GetDouble(), 0.5);
  EXPECT_LE(first["search"]["score"].GetDouble(), 1.0);
  EXPECT_STREQ(first["search"]["extension"][0]["url"].GetString(),
               "http://hl7.org/fhir/StructureDefinition/match-grade");
  // Oscar shares only the surname: not a candidate worth showing above Olivia.
  for (rapidjson::SizeType i = 1; i < doc["entry"].Size(); ++i) {
    EXPECT_LE(doc["entry"][i]["search"]["score"].GetDouble(), first["search"]["score"].GetDouble());
  }
}

TEST_F(PatientApiTest, ReadByTheMergedNumberAnswersWithTheSurvivor) {
  const auto r = get("/fhir/Patient/" + std::string(kNhsOld));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_STREQ(json(r)["id"].GetString(), std::string(kNhsOlivia).c_str());
  const auto xml = get("/fhir/Patient/" + std::string(kNhsOlivia), "application/fhir+xml");
  ASSERT_EQ(xml.status, 200U) << xml.body;
  EXPECT_NE(xml.body.find("<Patient xmlns=\"http://hl7.org/fhir\">"), std::string::npos);
}

TEST_F(PatientApiTest, BadRequestsSayWhatWasWrongWithoutEchoingTheNumber) {
  auto r = get("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990000019");
  EXPECT_EQ(r.status, 400U);
  EXPECT_NE(r.body.find("check digit"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("9990000019"), std::string::npos);
  r = get("/fhir/Patient?name=Testwood");
  EXPECT_EQ(r.status, 400U);
  EXPECT_NE(r.body.find("unknown search parameter 'name'"), std::string::npos) << r.body;
  r = get("/fhir/Patient?given=Olivia");
  EXPECT_EQ(r.status, 400U);
  r = get("/fhir/Patient/12345");
  EXPECT_EQ(r.status, 400U);
  r = get("/fhir/Patient/9990000034");
  EXPECT_EQ(r.status, 404U);
  EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos);
}

TEST_F(PatientApiTest, TheCapabilityStatementListsPatientSearchAndRead) {
  const auto r = get("/fhir/metadata");
  ASSERT_EQ(r.status, 200U);
  EXPECT_NE(r.body.find(R"("type":"Patient")"), std::string::npos);
  EXPECT_NE(r.body.find("address-postalcode"), std::string::npos);
}

TEST_F(PatientApiTest, EveryReadIsAuditedBeforeTheAnswerWithWhoWhatAndADigest) {
  const auto r = get("/fhir/Patient/" + std::string(kNhsOlivia));
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto records = audited();
  ASSERT_EQ(records.size(), 1U);
  const auto& a = records[0];
  EXPECT_EQ(a.type, audit::EventType::kRecordRead);
  EXPECT_EQ(a.decision, audit::Decision::kPermit);
  EXPECT_EQ(a.nhs_number, kNhsOlivia);
  EXPECT_EQ(a.user_id, "demo-user-gp");
  EXPECT_EQ(a.user_role, "R8000");
  EXPECT_EQ(a.org_ods, "Z90001");
  EXPECT_EQ(a.purpose_of_use, "direct-care");
  EXPECT_EQ(a.request_id, r.header("X-Request-ID"));
  EXPECT_EQ(a.source_address, "127.0.0.1");
  EXPECT_NE(a.client_system.find("CN=Z90001"), std::string::npos);
  ASSERT_EQ(a.disclosed.size(), 1U);
  EXPECT_EQ(a.disclosed[0].resource_type, "Patient");
  EXPECT_EQ(a.disclosed[0].sha256_hex.size(), 64U);
  // A search writes one record per patient it returned.
  const auto s = get("/fhir/Patient?family=testwood&birthdate=1984-07-12&given=olivia");
  ASSERT_EQ(s.status, 200U);
  const auto total = json(s)["total"].GetUint();
  EXPECT_EQ(audited().size(), 1U + total);
  auto verified = audit_->verify();
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->ok);
}

TEST_F(PatientApiTest, AReadPermittedByTheAgreementIsAuditedWithItsDecision) {
  // The GP practice holds Olivia's registration: the direct care agreement covers demographics.
  const auto r = get("/fhir/Patient/" + std::string(kNhsOlivia));
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto records = audited();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].decision, audit::Decision::kPermit);
  EXPECT_EQ(records[0].dsa_id, "DSA-DEMO-DC");
  EXPECT_EQ(records[0].dsa_version, "1.0");
  EXPECT_EQ(records[0].dsa_rule, "permitted");
}

TEST_F(PatientApiTest, NoAgreementCoveringDemographicsIsRefusedBeforeAnyLookup) {
  // The IG lead's purpose (ig-audit) has no agreement: refused, whether the patient is known
  // or not, with the same answer (the refusal reveals nothing about who is known).
  const auto known = call("GET", "/fhir/Patient/" + std::string(kNhsOlivia), "ig-lead", "Z9A01");
  const auto unknown = call("GET", "/fhir/Patient/9990000034", "ig-lead", "Z9A01");
  for (const auto* r : {&known, &unknown}) {
    EXPECT_EQ(r->status, 403U) << r->body;
    EXPECT_NE(r->body.find("OperationOutcome"), std::string::npos);
    EXPECT_NE(r->body.find("no-agreement"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("No patient was looked up"), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find("Testwood"), std::string::npos);
  }
  const auto search =
      call("GET",
           "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + std::string(kNhsOlivia),
           "ig-lead", "Z9A01");
  EXPECT_EQ(search.status, 403U) << search.body;
  // Each refusal is audited as a denial, naming the number asked for when it was one.
  const auto records = audited();
  ASSERT_EQ(records.size(), 3U);
  EXPECT_EQ(records[0].nhs_number, kNhsOlivia);
  EXPECT_EQ(records[1].nhs_number, "9990000034");
  for (const auto& a : records) {
    EXPECT_EQ(a.decision, audit::Decision::kDeny);
    EXPECT_EQ(a.user_id, "demo-user-ig");
    EXPECT_TRUE(a.disclosed.empty());
  }
}

TEST_F(PatientApiTest, APatientTheEngineDeniesIsRefusedOnReadAndLeftOutOfSearches) {
  // The A&E consultant's organisation holds an MRN for Olivia but no admission or attendance:
  // the agreement needs a legitimate relationship, so the engine denies her demographics.
  const auto read = call("GET", "/fhir/Patient/" + std::string(kNhsOlivia), "ae-doctor", "Z9A01");
  EXPECT_EQ(read.status, 403U) << read.body;
  EXPECT_NE(read.body.find("no-legitimate-relationship"), std::string::npos) << read.body;
  EXPECT_NE(read.body.find("$break-glass"), std::string::npos) << read.body;
  EXPECT_EQ(read.body.find("Testwood"), std::string::npos);
  EXPECT_EQ(read.body.find(std::string(kNhsOlivia)), std::string::npos);
  const auto search =
      call("GET", "/fhir/Patient?identifier=urn:caregw:id:Z9A01:mrn|MRN-1", "ae-doctor", "Z9A01");
  ASSERT_EQ(search.status, 200U) << search.body;
  EXPECT_EQ(json(search)["total"].GetUint(), 0U);
  EXPECT_EQ(search.body.find("Testwood"), std::string::npos);
  const auto records = audited();
  ASSERT_EQ(records.size(), 2U);
  for (const auto& a : records) {
    EXPECT_EQ(a.nhs_number, kNhsOlivia);
    EXPECT_EQ(a.decision, audit::Decision::kDeny);
    EXPECT_EQ(a.dsa_id, "DSA-DEMO-DC");
    EXPECT_EQ(a.dsa_rule, "no-legitimate-relationship");
    EXPECT_TRUE(a.disclosed.empty());
  }
}

TEST_F(PatientApiTest, NoTokenIsRefusedAndTheRefusalIsAudited) {
  const auto r = call("GET", "/fhir/Patient/" + std::string(kNhsOlivia), "");
  EXPECT_EQ(r.status, 401U);
  EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos);
  EXPECT_NE(r.body.find("Authorization"), std::string::npos) << r.body;
  const auto records = audited();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].decision, audit::Decision::kDeny);
  EXPECT_EQ(records[0].outcome, audit::Outcome::kMinorFailure);
  EXPECT_TRUE(records[0].disclosed.empty());
  // A bad signature is refused too.
  TlsClient client(client_for("Z90001"));
  ASSERT_FALSE(client.connect(server_->port("provider")));
  HttpResponse out;
  std::string forged = token("gp");
  // Change a character inside the signature (not the last, whose low bits are padding).
  char& c = forged[forged.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  (void)client.request("GET", "/fhir/Patient/" + std::string(kNhsOlivia), out, "",
                       {{"Authorization", "Bearer " + forged}});
  EXPECT_EQ(out.status, 401U);
}

TEST_F(PatientApiTest, ATokenFromAnotherOrganisationThanTheCertificateIsRefused) {
  // The A&E doctor's token (Z9A01) presented over the GP practice's certificate (Z90001).
  const auto r = call("GET", "/fhir/Patient/" + std::string(kNhsOlivia), "ae-doctor", "Z90001");
  EXPECT_EQ(r.status, 403U) << r.body;
  EXPECT_EQ(audited().back().decision, audit::Decision::kDeny);
}

TEST_F(PatientApiTest, NothingIsServedWhenTheAuditLogCannotWrite) {
  audit_->close();  // the log refuses every append from now on
  const auto r = get("/fhir/Patient/" + std::string(kNhsOlivia));
  EXPECT_EQ(r.status, 503U);
  EXPECT_EQ(r.body.find("Testwood"), std::string::npos);
  EXPECT_NE(r.body.find("audit"), std::string::npos) << r.body;
}

TEST_F(PatientApiTest, TheReviewWorklistIsForInformationGovernanceOnly) {
  // A possible match: an initial instead of a given name.
  identity::IncomingIdentity in{.source = OdsCode::parse("Z9A01").value()};
  in.local_id = store::LocalId{in.source, store::LocalIdType::kHospitalMrn, "MRN-9"};
  in.match.family = "Testwood";
  in.match.given = {"O"};
  in.match.birth_date = identity::Date{1984, 7, 12};
  in.match.gender = "female";
  in.match.postcode = "SE1 7PB";
  auto held = mpi_->identify(in);
  ASSERT_TRUE(held && held->review);
  const std::string item = std::to_string(held->review->value);

  EXPECT_EQ(call("GET", "/mpi/review").status, 403U);  // a GP's direct-care token
  auto list = call("GET", "/mpi/review", "ig-lead", "Z9A01");
  ASSERT_EQ(list.status, 200U) << list.body;
  EXPECT_NE(list.body.find(R"("kind":"possible-match")"), std::string::npos) << list.body;
  auto look = call("GET", "/mpi/review/" + item, "ig-lead", "Z9A01");
  ASSERT_EQ(look.status, 200U) << look.body;
  EXPECT_NE(look.body.find(R"("resourceType":"Patient")"), std::string::npos);
  auto decided =
      call("POST", "/mpi/review/" + item + "/decision", "ig-lead", "Z9A01",
           R"({"decision":"link","person":")" + std::string(kNhsOlivia) + R"(","note":"same"})");
  ASSERT_EQ(decided.status, 200U) << decided.body;
  auto again = call("POST", "/mpi/review/" + item + "/decision", "ig-lead", "Z9A01",
                    R"({"decision":"not-duplicate"})");
  EXPECT_EQ(again.status, 409U);
  // MRN-9 now finds Olivia.
  const auto r = get("/fhir/Patient?identifier=urn:caregw:id:Z9A01:mrn%7CMRN-9");
  EXPECT_STREQ(json(r)["entry"][0]["resource"]["id"].GetString(), std::string(kNhsOlivia).c_str());
  // Each step is in the audit log under the reviewer's name.
  std::size_t reviews = 0;
  for (const auto& a : audited()) {
    if (a.type == audit::EventType::kMpiReview && a.user_id == "demo-user-ig") {
      ++reviews;
    }
  }
  EXPECT_EQ(reviews, 4U);  // list, inspect, link, the refused second decision
}

TEST_F(PatientApiTest, AReviewerUndoesAWrongMergeAndTheOldNumberIsItsOwnPersonAgain) {
  // MRN-2 (the old number) was merged into Olivia by ADT^A40 in seed().
  auto merged = json(get("/fhir/Patient/" + std::string(kNhsOld)));
  ASSERT_STREQ(merged["id"].GetString(), std::string(kNhsOlivia).c_str());
  const std::string superseded = merged["link"][0]["other"]["reference"].GetString();
  const std::string id = superseded.substr(superseded.find('/') + 1);  // mpi-<n>
  EXPECT_EQ(call("POST", "/mpi/unmerge", "gp", "Z90001", R"({"person":")" + id + R"("})").status,
            403U);
  auto bad = call("POST", "/mpi/unmerge", "ig-lead", "Z9A01", R"({"person":")" + id + R"("})");
  EXPECT_EQ(bad.status, 400U);  // a reason is required
  auto r = call("POST", "/mpi/unmerge", "ig-lead", "Z9A01",
                R"({"person":")" + id + R"(","reason":"two different people"})");
  ASSERT_EQ(r.status, 200U) << r.body;
  // The old number is its own person again, known only to the hospital: the practice no longer
  // reads it as Olivia, and has no relationship with that person (demographics are decided).
  auto own = mpi_->find_by_nhs_number(NhsNumber::parse(kNhsOld).value());
  ASSERT_TRUE(own && own->has_value());
  EXPECT_EQ(identity::patient_id((*own)->person), kNhsOld);
  const auto practice = get("/fhir/Patient/" + std::string(kNhsOld));
  EXPECT_EQ(practice.status, 403U) << practice.body;
  EXPECT_NE(practice.body.find("no-legitimate-relationship"), std::string::npos) << practice.body;
  auto again = call("POST", "/mpi/unmerge", "ig-lead", "Z9A01",
                    R"({"person":")" + id + R"(","reason":"again"})");
  EXPECT_EQ(again.status, 409U);
}

TEST_F(PatientApiTest, TheIgLeadSearchesTheAuditLogAsAuditEventsAndTheSearchIsAudited) {
  ASSERT_EQ(get("/fhir/Patient/" + std::string(kNhsOlivia)).status, 200U);
  ASSERT_EQ(get("/fhir/Patient/" + std::string(kNhsOlivia)).status, 200U);
  EXPECT_EQ(call("GET", "/fhir/AuditEvent").status, 403U);  // a GP's direct-care token
  const std::string query =
      "/fhir/AuditEvent?patient=" + std::string(kNhsOlivia) + "&subtype=record-read&_count=1";
  auto first = call("GET", query, "ig-lead", "Z9A01");
  ASSERT_EQ(first.status, 200U) << first.body;
  auto doc = json(first);
  ASSERT_EQ(doc["entry"].Size(), 1U);
  EXPECT_STREQ(doc["entry"][0]["resource"]["resourceType"].GetString(), "AuditEvent");
  EXPECT_NE(first.body.find("demo-user-gp"), std::string::npos);
  // The next page by its cursor: the second read, then no more.
  std::string next;
  for (const auto& l : doc["link"].GetArray()) {
    if (std::string_view(l["relation"].GetString()) == "next") {
      next = l["url"].GetString();
    }
  }
  ASSERT_FALSE(next.empty()) << first.body;
  auto second = call("GET", next.substr(next.find("/fhir/")), "ig-lead", "Z9A01");
  ASSERT_EQ(second.status, 200U) << second.body;
  EXPECT_EQ(json(second)["entry"].Size(), 1U);
  EXPECT_EQ(call("GET", "/fhir/AuditEvent?date=zz2026", "ig-lead", "Z9A01").status, 400U);
  // Each search was itself recorded, under the IG lead's name.
  std::size_t queries = 0;
  for (const auto& a : audited()) {
    queries += a.type == audit::EventType::kAuditQuery && a.user_id == "demo-user-ig" ? 1 : 0;
  }
  EXPECT_EQ(queries, 3U);
}

}  // namespace
}  // namespace gw::test
