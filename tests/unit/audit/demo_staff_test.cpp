// The demo's staff directory (examples/demo/staff.csv, compiled in): the demo config names it,
// it lists every demo user, and the paramedic shares an address with demo patients, so the
// demo's unusual-activity report has a surname/address finding to show.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "gateway/audit/people_source.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/identity/identity_json.hpp"
#include "gateway/policy/embedded.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

std::string source_file(const std::string& rel) {
  std::ifstream in(std::string(CAREGW_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DemoStaffDirectory, TheDemoConfigReadsTheCompiledInDirectoryWithEveryDemoUser) {
  config::LoadOptions opts;
  opts.check_files = false;
  opts.read_file = policy::read_demo_file;  // as `caregw serve --demo` reads it
  auto lr = config::load_text(source_file("examples/demo/caregw.yaml"), "<demo>",
                              std::string(CAREGW_SOURCE_DIR) + "/examples/demo", opts);
  ASSERT_TRUE(lr.errors.empty()) << lr.errors.front().str();
  const auto& staff = lr.config->audit.staff_directory;
  ASSERT_NE(staff, nullptr);
  for (const auto& u : auth::demo_users()) {
    EXPECT_NE(staff->find(u.id), nullptr) << u.login;
  }
  EXPECT_EQ(staff->size(), auth::demo_users().size());
}

TEST(DemoStaffDirectory, TheParamedicSharesTheQuaylesAddressAndNobodyElseMatchesThem) {
  std::vector<config::Diagnostic> errors;
  auto text = policy::read_demo_file(config::FileRef{"staff.csv", "", 0});
  ASSERT_TRUE(text);
  auto staff = config::parse_staff_directory(*text, "staff.csv", errors);
  ASSERT_NE(staff, nullptr);
  gw::test::TempDir dir;
  test::FakeClock clock;
  auto repo = store::sqlite::SqliteMpiRepository::open(dir.file("mpi.db"), clock);
  ASSERT_TRUE(repo) << repo.error().detail;
  identity::MpiService mpi(**repo, identity::MpiSettings{});
  auto ids = identity::parse_identities_json(source_file("examples/demo/patients.json"), "p.json");
  ASSERT_TRUE(ids) << ids.error().detail;
  ASSERT_TRUE(identity::load_identities(mpi, *ids));
  DirectoryAndMpi people(*staff, mpi);
  const auto quayle = people.patient("9991316760");  // 7 Example Mews, E8 1DY (invented)
  ASSERT_TRUE(quayle);
  for (const auto& u : auth::demo_users()) {
    const auto user = people.user(u.id);
    ASSERT_TRUE(user) << u.login;
    EXPECT_EQ(same_address(*user, *quayle), u.login == "paramedic") << u.login;
    EXPECT_FALSE(same_surname(*user, *quayle)) << u.login;
  }
}

}  // namespace
}  // namespace gw::audit
