// The `record:` section of the config (the shared record's answer cache): default, values, and
// file:line errors.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gateway/config/loader.hpp"
#include "tests/unit/gateway/config/config_test_support.hpp"

namespace gw::config {
namespace {

using test::has_error;
using test::load;

TEST(RecordConfigTest, TheCacheIsOnWith64MbByDefault) {
  auto r = load("");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->record.cache_mb, 64U);
}

TEST(RecordConfigTest, CacheMbIsReadAndZeroTurnsItOff) {
  auto r = load("record:\n  cache_mb: 256\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().str();
  EXPECT_EQ(r.config->record.cache_mb, 256U);
  r = load("record:\n  cache_mb: 0\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front().str();
  EXPECT_EQ(r.config->record.cache_mb, 0U);
}

TEST(RecordConfigTest, BadValuesAndUnknownKeysAreNamedWithTheirLine) {
  EXPECT_TRUE(has_error(load("record:\n  cache_mb: lots\n"), 10, "cache_mb"));
  EXPECT_TRUE(has_error(load("record:\n  cache_mb: -1\n"), 10, "cache_mb"));
  EXPECT_TRUE(has_error(load("record:\n  cache_size: 64\n"), 10, "cache_size"));
}

}  // namespace
}  // namespace gw::config
