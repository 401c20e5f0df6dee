// The mappings on the command line: check-config validates the mappings directory the config
// names, translate refuses a bad set, and `mappings unmapped` reads a gateway's counts.
#include <filesystem>

#include <gtest/gtest.h>

#include "gateway/mapping/unmapped_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace gw::test {
namespace {

/** bad_mappings: a mappings folder whose one file targets an element the acute schema lacks. */
std::string bad_mappings(const TempDir& dir) {
  std::filesystem::create_directories(dir.file("mappings/acute"));
  dir.write("mappings/acute/a.yaml",
            "value_maps:\n"              // 1
            "  sex:\n"                   // 2
            "    target: Patient.sex\n"  // 3
            "    from: hl7v2-0001\n"     // 4
            "    to: fhir-administrative-gender\n"
            "    codes: { M: male, F: female, U: unknown }\n");
  return dir.file("mappings");
}

TEST(MappingsCli, CheckConfigValidatesTheShippedMappings) {
  TempDir dir;
  const auto path =
      dir.write("caregw.yaml", config_yaml() + "mappings: " + source_path("mappings") + "\n");
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(source_path("mappings") + ": ok ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" code table rows)"), std::string::npos) << r.out;
}

TEST(MappingsCli, CheckConfigReportsMappingErrorsWithFileAndLine) {
  TempDir dir;
  const auto mappings = bad_mappings(dir);
  // No `mappings:` key: the default is mappings/ next to the config file.
  const auto path = dir.write("caregw.yaml", config_yaml());
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(mappings + "/acute/a.yaml:3: unknown target element 'Patient.sex'"),
            std::string::npos)
      << r.err;
}

TEST(MappingsCli, CheckConfigNamesAMissingMappingsDirectoryOnItsLine) {
  TempDir dir;
  const std::string text = config_yaml() + "mappings: nowhere\n";
  const int line = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  const auto path = dir.write("caregw.yaml", text);
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(path + ":" + std::to_string(line) + ": 'mappings': no such directory"),
            std::string::npos)
      << r.err;
}

TEST(MappingsCli, TranslateRefusesABadMappingSet) {
  TempDir dir;
  const auto mappings = bad_mappings(dir);
  const auto in = dir.write("p.json", R"({"resourceType":"Patient","id":"p1"})");
  const auto bad = run_command({caregw_binary(), "translate", "--from", "fhir-r4", "--to",
                                "fhir-r4", "--in", in, "--mappings", mappings});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(mappings + "/acute/a.yaml:3: unknown target element"), std::string::npos)
      << bad.err;
  const auto good = run_command({caregw_binary(), "translate", "--from", "fhir-r4", "--to",
                                 "fhir-r4", "--in", in, "--mappings", source_path("mappings")});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("\"Patient\""), std::string::npos) << good.out;
}

TEST(MappingsCli, UnmappedListsTheMostFrequentCodesFromTheDataDirectory) {
  TempDir dir;
  const auto data = dir.file("data");
  {
    mapping::UnmappedTracker tracker;
    for (int i = 0; i < 3; ++i) {
      tracker.record(mapping::Adapter::kEmis, {"http://read.info/readv2", "H33..00", "Asthma"});
    }
    tracker.record(mapping::Adapter::kAcute,
                   {"http://terminology.hl7.org/CodeSystem/v2-0004", "B", "Obstetrics"});
    auto store = mapping::UnmappedStore::open(data);
    ASSERT_TRUE(store) << store.error().detail;
    ASSERT_TRUE(mapping::flush_unmapped(tracker, *store));
  }
  const auto r = run_command({caregw_binary(), "mappings", "unmapped", "--data-dir", data});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "count\tadapter\tsystem\tcode\tdisplay\n"
            "3\temis\thttp://read.info/readv2\tH33..00\tAsthma\n"
            "1\tacute\thttp://terminology.hl7.org/CodeSystem/v2-0004\tB\tObstetrics\n");
  const auto one =
      run_command({caregw_binary(), "mappings", "unmapped", "--data-dir", data, "--limit", "1"});
  EXPECT_EQ(std::count(one.out.begin(), one.out.end(), '\n'), 2);

  // A gateway that has counted nothing yet: said plainly, not an error.
  const auto none =
      run_command({caregw_binary(), "mappings", "unmapped", "--data-dir", dir.file("empty")});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.err.find("no unmapped-code counts yet"), std::string::npos) << none.err;
  EXPECT_EQ(run_command({caregw_binary(), "mappings", "unmapped"}).exit_code, 2);
}

}  // namespace
}  // namespace gw::test
