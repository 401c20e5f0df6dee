// The demo's shared care records (examples/demo/records.json) load into a real SQLite record
// store for the demo patients (examples/demo/patients.json), merges first, and loading again on
// a restart stores nothing new.
#include "gateway/record/demo_records.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "gateway/identity/identity_json.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::record {
namespace {

std::string read(const std::string& relative) {
  std::ifstream in(std::string(CAREGW_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DemoRecords, LoadOnceThenNothingNewAndTheMergedNumberFindsTheSurvivor) {
  test::TempDir dir;
  SystemClock clock;
  auto repo = store::sqlite::SqliteMpiRepository::open_in_data_dir(dir.file("d"), clock);
  ASSERT_TRUE(repo) << repo.error().detail;
  identity::MpiService mpi(**repo, identity::MpiSettings{});
  auto ids = identity::parse_identities_json(read("examples/demo/patients.json"), "p");
  ASSERT_TRUE(ids);
  ASSERT_TRUE(identity::load_identities(mpi, *ids));
  auto records = store::sqlite::SqliteRecordStore::open_in_data_dir(dir.file("d"), clock);
  ASSERT_TRUE(records) << records.error().detail;
  const std::string json = read("examples/demo/records.json");
  auto first = load_demo_records(mpi, **records, json);
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_GE(first->records, 30U);
  EXPECT_EQ(first->stored, first->records);
  EXPECT_EQ(first->merges, 1U);
  auto again = load_demo_records(mpi, **records, json);
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_EQ(again->stored, 0U);
  EXPECT_EQ(again->merges, 0U);
  // 9991631011 (the duplicate hospital registration) now reads as 9991475141's record.
  auto old = mpi.find_by_nhs_number(NhsNumber::parse("9991631011").value());
  ASSERT_TRUE(old && old->has_value());
  EXPECT_EQ((*old)->person.nhs_number->str(), "9991475141");
  auto page = (*records)->read_by_nhs_number(NhsNumber::parse("9991631011").value(), {});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->records.size(), 4U);  // two from the GP, two from the hospital
}

TEST(DemoRecords, AnUnknownNumberOrABadEntryIsRefusedByPosition) {
  test::TempDir dir;
  SystemClock clock;
  auto repo = store::sqlite::SqliteMpiRepository::open_in_data_dir(dir.file("d"), clock);
  ASSERT_TRUE(repo);
  identity::MpiService mpi(**repo, identity::MpiSettings{});
  auto records = store::sqlite::SqliteRecordStore::open_in_data_dir(dir.file("d"), clock);
  ASSERT_TRUE(records);
  auto r =
      load_demo_records(mpi, **records,
                        R"({"records":[{"nhs_number":"9991158383","source":"Z90001","resource":)"
                        R"({"resourceType":"Condition","id":"c1"}}]})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("records[0]"), std::string::npos);
  EXPECT_EQ(r.error().detail.find("9991158383"), std::string::npos);  // no NHS number in errors
  EXPECT_FALSE(load_demo_records(mpi, **records, R"({"records":[{"source":"Z90001"}]})"));
  EXPECT_FALSE(load_demo_records(mpi, **records, "not json"));
}

}  // namespace
}  // namespace gw::record
