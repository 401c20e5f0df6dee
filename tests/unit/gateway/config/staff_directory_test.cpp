// The staff directory (config audit.staff_directory): the CSV an integrator writes, read with
// the config; every problem as file:line naming the column, never repeating a name or address.
#include "gateway/config/staff_directory.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace gw::config {
namespace {

StaffDirectoryPtr parse(std::string_view text, std::vector<Diagnostic>& errors) {
  return parse_staff_directory(text, "staff.csv", errors);
}

std::string all(const std::vector<Diagnostic>& errors) {
  std::string out;
  for (const auto& d : errors) {
    out.append(d.str()).append("\n");
  }
  return out;
}

TEST(StaffDirectoryTest, ReadsAGoodFileWithColumnsInAnyOrderAndOptionalAddressLine) {
  std::vector<Diagnostic> errors;
  auto dir = parse(
      "\xEF\xBB\xBF# invented staff\r\n"
      "Family_Name,user_id,postcode,address_line\r\n"
      "\r\n"
      "Quayle,demo-user-para,e81dy,\"7 Example Mews, Testborough\"\r\n"
      "O'Testing,u-2,SE1 7PB,\r\n",
      errors);
  ASSERT_TRUE(dir) << all(errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(dir->size(), 2U);
  const StaffMember* m = dir->find("demo-user-para");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->family_name, "Quayle");
  EXPECT_EQ(m->postcode, "E8 1DY");  // normalised: upper case, one space
  EXPECT_EQ(m->address_line, "7 Example Mews, Testborough");
  EXPECT_EQ(m->line, 4);
  ASSERT_NE(dir->find("u-2"), nullptr);
  EXPECT_EQ(dir->find("u-2")->address_line, "");
  EXPECT_EQ(dir->find("nobody"), nullptr);

  // Without the optional column at all.
  auto short_dir = parse("user_id,family_name,postcode\nu-3,Sample,N1 9GU\n", errors);
  ASSERT_TRUE(short_dir) << all(errors);
  EXPECT_EQ(short_dir->find("u-3")->postcode, "N1 9GU");
}

TEST(StaffDirectoryTest, ABadLineIsNamedByFileAndLineWithoutItsValue) {
  std::vector<Diagnostic> errors;
  auto dir = parse(
      "user_id,family_name,postcode,address_line\n"  // 1
      "u-1,Quayle,E8 1DY,7 Example Mews\n"           // 2
      "u-2,Secretname,NOTACODE1,1 Road\n"            // 3
      "u-3,,E8 1DY,\n"                               // 4
      "u-1,Other,SE1 7PB,\n"                         // 5
      "u-4,Four,SE1 7PB\n"                           // 6
      "u-5,\"Open,SE1 7PB,\n",                       // 7
      errors);
  EXPECT_EQ(dir, nullptr);
  ASSERT_EQ(errors.size(), 5U) << all(errors);
  EXPECT_EQ(errors[0].str().rfind("staff.csv:3: postcode: ", 0), 0U) << all(errors);
  EXPECT_EQ(errors[0].str().find("NOTACODE1"), std::string::npos);
  EXPECT_EQ(errors[0].str().find("Secretname"), std::string::npos);
  EXPECT_EQ(errors[1].str(), "staff.csv:4: family_name is empty");
  EXPECT_EQ(errors[2].str(), "staff.csv:5: user_id 'u-1' is listed already at line 2");
  EXPECT_EQ(errors[3].str(), "staff.csv:6: has 3 fields, the header has 4");
  EXPECT_EQ(errors[4].str(), "staff.csv:7: a quoted field is not closed on its line");
}

TEST(StaffDirectoryTest, AMissingOrUnknownColumnIsAnErrorOnTheHeaderLine) {
  std::vector<Diagnostic> errors;
  EXPECT_EQ(parse("# staff\nuser_id,surname,postcode\nu-1,Quayle,E8 1DY\n", errors), nullptr);
  ASSERT_EQ(errors.size(), 2U) << all(errors);
  EXPECT_EQ(errors[0].str(),
            "staff.csv:2: unknown column 'surname' (columns: user_id, family_name, postcode, "
            "address_line)");
  EXPECT_EQ(errors[1].str(),
            "staff.csv:2: missing column 'family_name' (the header must name user_id, "
            "family_name and postcode)");
  errors.clear();
  EXPECT_EQ(parse("", errors), nullptr);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].str(),
            "staff.csv: no header row (user_id,family_name,postcode[,address_line])");
}

constexpr std::string_view kMinimal =
    "data_dir: /srv/caregw\n"      // 1
    "tls:\n"                       // 2
    "  certificate: server.crt\n"  // 3
    "  private_key: server.key\n"  // 4
    "  client_ca: ca.crt\n"        // 5
    "listeners:\n"                 // 6
    "  - name: provider\n"         // 7
    "    port: 8443\n"             // 8
    "audit:\n";                    // 9

LoadResult load(const test::TempDir& dir, std::string_view audit_lines) {
  LoadOptions o;
  o.check_files = false;
  const std::string text = std::string(kMinimal) + std::string(audit_lines);
  return load_text(text, dir.file("caregw.yaml"), dir.file(""), o);
}

TEST(StaffDirectoryTest, TheConfigKeyResolvesAgainstTheConfigFolderAndReportsTheFilesLines) {
  test::TempDir dir;
  (void)dir.write("staff.csv", "user_id,family_name,postcode\nu-1,Quayle,E8 1DY\n");
  auto good = load(dir, "  staff_directory: staff.csv\n");
  ASSERT_TRUE(good.errors.empty()) << all(good.errors);
  ASSERT_NE(good.config->audit.staff_directory, nullptr);
  EXPECT_NE(good.config->audit.staff_directory->find("u-1"), nullptr);
  EXPECT_EQ(good.config->audit.staff_directory_file.line, 10);
  EXPECT_EQ(good.config->audit.staff_directory->file(), dir.file("staff.csv"));

  // A bad row: the config does not load, and the error names the CSV file and line.
  (void)dir.write("bad.csv", "user_id,family_name,postcode\nu-1,Quayle,E8 1DY\nu-2,,E8 1DY\n");
  auto bad = load(dir, "  staff_directory: bad.csv\n");
  EXPECT_EQ(bad.config, nullptr);
  ASSERT_EQ(bad.errors.size(), 1U) << all(bad.errors);
  EXPECT_EQ(bad.errors[0].str(), dir.file("bad.csv") + ":3: family_name is empty");

  // A file that is not there: the config file's line.
  auto missing = load(dir, "  staff_directory: nowhere.csv\n");
  ASSERT_EQ(missing.errors.size(), 1U) << all(missing.errors);
  EXPECT_EQ(missing.errors[0].line, 10);
  EXPECT_NE(missing.errors[0].message.find("cannot read file " + dir.file("nowhere.csv")),
            std::string::npos);

  // Not set: no directory (the surname/address checks then say they did not run).
  auto none = load(dir, "  max_batch: 100\n");
  ASSERT_TRUE(none.errors.empty()) << all(none.errors);
  EXPECT_EQ(none.config->audit.staff_directory, nullptr);
}

}  // namespace
}  // namespace gw::config
