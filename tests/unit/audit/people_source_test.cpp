// The unusual-activity report's surname/address checks with real sides: users from the staff
// directory, patients as the MPI shows them; what counts as shared (README "Unusual activity").
#include "gateway/audit/people_source.hpp"

#include <gtest/gtest.h>

#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;
using test::read_record;
using test::test_nhs;

TEST(SharedPersonFacts, SurnamesCompareIgnoringCaseSpacesAndPunctuation) {
  EXPECT_TRUE(same_surname({"Quayle", "", ""}, {"QUAYLE", "", ""}));
  EXPECT_TRUE(same_surname({"O'Testing", "", ""}, {"o testing", "", ""}));
  EXPECT_TRUE(same_surname({"Delacroix-Ward", "", ""}, {"Delacroix Ward", "", ""}));
  EXPECT_FALSE(same_surname({"Pennington", "", ""}, {"Ashby-Pennington", "", ""}));
  EXPECT_FALSE(same_surname({"M\xC3\xBCller", "", ""}, {"Muller", "", ""}));  // Müller
  EXPECT_TRUE(same_surname({"M\xC3\xBCller", "", ""}, {"m\xC3\xBCller", "", ""}));
  EXPECT_FALSE(same_surname({"", "", ""}, {"", "", ""}));  // unknown is never shared
}

TEST(SharedPersonFacts, AddressesComparePostcodeAndTheLineOnlyWhenBothHaveOne) {
  const PersonFacts user{"A", "E8 1DY", "7 Example Mews"};
  EXPECT_TRUE(same_address(user, {"B", "e81dy", "7, EXAMPLE MEWS"}));
  EXPECT_FALSE(same_address(user, {"B", "E8 1DY", "9 Example Mews"}));  // neighbours
  EXPECT_TRUE(same_address(user, {"B", "E8 1DY", ""}));  // the patient's line is not known
  EXPECT_TRUE(same_address({"A", "E8 1DY", ""}, {"B", "E8 1DY", "9 Example Mews"}));
  EXPECT_FALSE(same_address(user, {"B", "E8 1DZ", "7 Example Mews"}));
  EXPECT_FALSE(same_address({"A", "", ""}, {"B", "", ""}));
}

class PeopleSourceTest : public test::LogFixture {
protected:
  void SetUp() override {
    log_ = open();
    auto repo = store::sqlite::SqliteMpiRepository::open(dir.file("mpi.db"), clock);
    ASSERT_TRUE(repo) << repo.error().detail;
    repo_ = std::move(*repo);
    mpi_ = std::make_unique<identity::MpiService>(*repo_, identity::MpiSettings{});
  }
  void add_patient(int i, const std::string& family, const std::string& postcode,
                   const std::string& line) {
    identity::IncomingIdentity in{.source = OdsCode::parse("Z90001").value()};
    in.local_id = store::LocalId{in.source, store::LocalIdType::kEmisPatientGuid,
                                 "GUID-" + std::to_string(i)};
    in.match.family = family;
    in.match.given = {"Invented"};
    in.match.birth_date = identity::Date{1970 + i, 1, 2};
    in.match.gender = "female";
    in.match.postcode = postcode;
    if (!line.empty()) {
      in.address_lines = {line};
    }
    in.match.nhs_number = NhsNumber::parse(test_nhs(i)).value();
    in.match.nhs_status = VerificationStatus::kPresentVerified;
    in.message_id = "seed-" + std::to_string(i);
    ASSERT_TRUE(mpi_->identify(in));
  }
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<store::sqlite::SqliteMpiRepository> repo_;
  std::unique_ptr<identity::MpiService> mpi_;
};

TEST_F(PeopleSourceTest, FlagsAUserWhoOpenedTheRecordOfAPatientSharingTheirSurnameOrAddress) {
  add_patient(30, "Quayle", "E8 1DY", "7 Example Mews");
  add_patient(31, "Marchbank", "N1 9GU", "22 Fictional Avenue");
  std::vector<config::Diagnostic> errors;
  auto staff = config::parse_staff_directory(
      "user_id,family_name,postcode,address_line\n"
      "u-quayle,quayle,SE5 8AF,4 Sample Road\n"    // Quayle's surname
      "u-neighbour,Other,E8 1DY,7 example mews\n"  // Quayle's address
      "u-plain,Plain,N7 6PA,\n",                   // nobody's
      "staff.csv", errors);
  ASSERT_TRUE(staff) << errors.front().str();
  for (const char* u : {"u-quayle", "u-neighbour", "u-plain", "u-unlisted"}) {
    ok(log_->append_sync(read_record(test_nhs(30), u)));
    ok(log_->append_sync(read_record(test_nhs(31), u)));
  }
  // u-plain shares Quayle's surname only in a patient it never opened: nothing.
  ok(log_->append_sync(read_record(test_nhs(32), "u-plain")));
  DirectoryAndMpi people(*staff, *mpi_);
  UnusualThresholds t;
  auto found = ok(log_->with_reader(
      [&](AuditStore& s) { return unusual_activity(s, 0, std::int64_t{1} << 62, t, &people); }));
  std::vector<std::string> got;
  for (const auto& f : found) {
    got.push_back(std::string(unusual_kind_name(f.kind)) + ":" + f.user_id + ":" + f.nhs_number);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"shared-address:u-neighbour:" + test_nhs(30),
                                           "shared-surname:u-quayle:" + test_nhs(30)}));
  EXPECT_EQ(people.users_not_found(), 1U);  // u-unlisted: asked once, not in the directory
}

TEST(PeopleSourceNotChecked, SaysWhichSideIsMissingAndNothingWhenTheChecksAreOff) {
  UnusualThresholds t;
  EXPECT_NE(surname_address_not_checked(t, false, true).find("audit.staff_directory"),
            std::string::npos);
  EXPECT_NE(surname_address_not_checked(t, true, false).find("master patient index"),
            std::string::npos);
  EXPECT_EQ(surname_address_not_checked(t, true, true), "");
  t.match_surname = false;
  t.match_address = false;
  EXPECT_EQ(surname_address_not_checked(t, false, false), "");
}

}  // namespace
}  // namespace gw::audit
