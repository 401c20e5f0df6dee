// The `mappings:` config key: the mappings directory, relative to the config file like every path,
// defaulting to mappings/ next to it.
#include <string>

#include <gtest/gtest.h>

#include "gateway/config/loader.hpp"
#include "tests/unit/gateway/config/config_test_support.hpp"

namespace gw::config {
namespace {

TEST(ConfigMappings, DefaultsToMappingsNextToTheConfigFile) {
  const auto r = test::load("");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->mappings.value, "/etc/caregw/mappings");
  EXPECT_EQ(r.config->mappings.line, 0);  // not written in the file
}

TEST(ConfigMappings, RelativeAndAbsolutePathsWithTheirLine) {
  const auto rel = test::load("mappings: ../site/mappings\n");
  ASSERT_TRUE(rel.errors.empty());
  EXPECT_EQ(rel.config->mappings.value, "/etc/site/mappings");
  EXPECT_EQ(rel.config->mappings.line, 9);
  const auto abs = test::load("mappings: /opt/mappings\n");
  ASSERT_TRUE(abs.errors.empty());
  EXPECT_EQ(abs.config->mappings.value, "/opt/mappings");
}

TEST(ConfigMappings, MustBeText) {
  const auto r = test::load("mappings: [a, b]\n");
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].str(), "test.yaml:9: 'mappings' must be a non-empty text value");
}

}  // namespace
}  // namespace gw::config
