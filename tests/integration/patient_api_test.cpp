// GET /fhir/Patient over real TLS against a real SQLite MPI: lookup by NHS number and by local
// identifier, demographic search with scores and grades, read by id (a merged NHS number answers
// with the survivor), and the errors a client gets. Synthetic people only (999 test range).
#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "tests/support/running_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

constexpr std::string_view kNhsOlivia = "9990000018";
constexpr std::string_view kNhsOld = "9990000026";

class PatientApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto repo = store::sqlite::SqliteMpiRepository::open_in_data_dir(dir_.file("data"), clock_);
    ASSERT_TRUE(repo) << repo.error().detail;
    repo_ = std::move(*repo);
    mpi_ = std::make_unique<identity::MpiService>(*repo_, identity::MpiSettings{});
    seed();
    server_ = std::make_unique<RunningServer>(config_yaml(), http::Reloader{},
                                              pipeline::Backends{mpi_.get()});
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

  HttpResponse get(const std::string& target, const std::string& accept = "") {
    TlsClient client(client_for("Z90001"));
    HttpResponse out;
    if (client.connect(server_->port("provider"))) {
      ADD_FAILURE() << "cannot connect";
      return out;
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (!accept.empty()) {
      headers.emplace_back("Accept", accept);
    }
    (void)client.request("GET", target, out, "", headers);
    return out;
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

}  // namespace
}  // namespace gw::test
