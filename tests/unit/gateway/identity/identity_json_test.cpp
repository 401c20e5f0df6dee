// Identities from JSON (examples/demo/patients.json's format): the demo file loads and links as
// documented, and each kind of mistake is reported with the entry and the field.
#include "gateway/identity/identity_json.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/unit/gateway/store/mpi_fixture.hpp"

namespace gw::identity {
namespace {

using store::test::nhs;
using store::test::ok;

std::string demo_file() {
  std::ifstream in(std::string(CAREGW_SOURCE_DIR) + "/examples/demo/patients.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(std::string_view text) {
  auto r = parse_identities_json(text, "p.json");
  return r ? std::string("ok") : r.error().detail;
}

class DemoPatientsTest : public store::test::MpiFixture {};

TEST_F(DemoPatientsTest, TheDemoPatientsLoadAndLinkAcrossOrganisations) {
  const auto ids = ok(parse_identities_json(demo_file(), "patients.json"));
  ASSERT_GE(ids.size(), 10U);
  MpiService mpi(*repo_, {});
  const auto first = ok(load_identities(mpi, ids));
  EXPECT_EQ(first.loaded, ids.size());
  // Olivia Testwood: GP and hospital by verified number, the council by demographics.
  auto olivia = ok(mpi.find_by_nhs_number(nhs("9991158383")));
  ASSERT_TRUE(olivia.has_value());
  EXPECT_EQ(olivia->local_ids.size(), 3U);
  // The twins stay two people.
  auto amelia = ok(mpi.find_by_nhs_number(nhs("9991316760")));
  auto grace = ok(mpi.find_by_nhs_number(nhs("9991395954")));
  ASSERT_TRUE(amelia && grace);
  EXPECT_NE(amelia->person.id, grace->person.id);
  // Loading again (a restart) changes nothing: the same local ids are the same people.
  const auto again = ok(load_identities(mpi, ids));
  EXPECT_EQ(again.loaded, ids.size());
  EXPECT_EQ(ok(mpi.find_by_nhs_number(nhs("9991158383")))->local_ids.size(), 3U);
}

TEST(IdentityJsonTest, MistakesNameTheEntryAndTheField) {
  EXPECT_NE(error_of("[]").find("\"identities\" array"), std::string::npos);
  EXPECT_NE(
      error_of(R"({"identities":[{"family":"X"}]})").find("identities[0].source: is required"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"identities":[{"source":"Z90001","nhs_number":"9991158384"}]})")
                .find("identities[0].nhs_number: "),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"identities":[{"source":"Z90001","local_id_type":"nhsno","local_id":"1"}]})")
          .find("local_id_type: unknown type"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"identities":[{"source":"Z90001","surname":"X"}]})")
                .find("surname: unknown member"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"identities":[{"source":"Z90001","birth_date":"1984-02-30"}]})")
                .find("birth_date"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"identities":[{"source":"Z90001","given":"Ann"}]})")
                .find("given: must be an array"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"identities":[{"source":"Z90001","family":"Ok","given":["A"]}]})"), "ok");
}

}  // namespace
}  // namespace gw::identity
