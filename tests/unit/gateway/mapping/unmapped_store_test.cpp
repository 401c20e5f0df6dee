// mappings.db: the unmapped-code counts the CLI reads from a gateway's data directory.
#include "gateway/mapping/unmapped_store.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace gw::mapping {
namespace {

TEST(UnmappedStore, FlushesAccumulateAndTopListsMostFrequentFirst) {
  gw::test::TempDir dir;
  UnmappedTracker tracker;
  auto store = UnmappedStore::open(dir.file("data"));
  ASSERT_TRUE(store) << store.error().detail;

  tracker.record(Adapter::kEmis, Coding{"http://read.info/readv2", "H33..00", "Asthma"});
  tracker.record(Adapter::kLas, Coding{"urn:caregw:codes:local:las-service-type", "MEALS", ""});
  ASSERT_TRUE(flush_unmapped(tracker, *store));
  tracker.record(Adapter::kEmis, Coding{"http://read.info/readv2", "H33..00", "Asthma"});
  tracker.record(Adapter::kEmis, Coding{"http://read.info/readv2", "H33..00", "Asthma"});
  ASSERT_TRUE(flush_unmapped(tracker, *store));
  ASSERT_TRUE(flush_unmapped(tracker, *store));  // nothing pending: no change

  // Another process (the CLI) reads the same file, read-only.
  auto reader = UnmappedStore::open(dir.file("data"), /*read_only=*/true);
  ASSERT_TRUE(reader) << reader.error().detail;
  auto top = reader->top(10);
  ASSERT_TRUE(top) << top.error().detail;
  ASSERT_EQ(top->size(), 2U);
  EXPECT_EQ((*top)[0].adapter, "emis");
  EXPECT_EQ((*top)[0].code, "H33..00");
  EXPECT_EQ((*top)[0].display, "Asthma");
  EXPECT_EQ((*top)[0].count, 3U);
  EXPECT_EQ((*top)[1].code, "MEALS");
  EXPECT_EQ((*top)[1].count, 1U);
  EXPECT_EQ(reader->top(1)->size(), 1U);
}

TEST(UnmappedStore, ReadOnlyOpenOfAMissingFileIsNotFoundAndCreatesNothing) {
  gw::test::TempDir dir;
  auto r = UnmappedStore::open(dir.file("data"), /*read_only=*/true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.file("data")));
}

}  // namespace
}  // namespace gw::mapping
