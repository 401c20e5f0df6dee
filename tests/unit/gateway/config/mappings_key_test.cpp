// The `mappings:` config key: the mappings directory, relative to the config file like every path,
// defaulting to mappings/ next to it.
#include <string>

#include <gtest/gtest.h>

#include "gateway/config/loader.hpp"

namespace gw::config {
namespace {

constexpr std::string_view kBase =
    "data_dir: /srv/caregw\n"      // 1
    "tls:\n"                       // 2
    "  certificate: server.crt\n"  // 3
    "  private_key: server.key\n"  // 4
    "  client_ca: ca.crt\n"        // 5
    "listeners:\n"                 // 6
    "  - name: provider\n"         // 7
    "    port: 8443\n";            // 8

LoadResult load(const std::string& text) {
  LoadOptions o;
  o.check_files = false;
  return load_text(text, "test.yaml", "/etc/caregw", o);
}

TEST(ConfigMappings, DefaultsToMappingsNextToTheConfigFile) {
  const auto r = load(std::string(kBase));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->mappings.value, "/etc/caregw/mappings");
  EXPECT_EQ(r.config->mappings.line, 0);  // not written in the file
}

TEST(ConfigMappings, RelativeAndAbsolutePathsWithTheirLine) {
  const auto rel = load(std::string(kBase) + "mappings: ../site/mappings\n");
  ASSERT_TRUE(rel.errors.empty());
  EXPECT_EQ(rel.config->mappings.value, "/etc/site/mappings");
  EXPECT_EQ(rel.config->mappings.line, 9);
  const auto abs = load(std::string(kBase) + "mappings: /opt/mappings\n");
  ASSERT_TRUE(abs.errors.empty());
  EXPECT_EQ(abs.config->mappings.value, "/opt/mappings");
}

TEST(ConfigMappings, MustBeText) {
  const auto r = load(std::string(kBase) + "mappings: [a, b]\n");
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].str(), "test.yaml:9: 'mappings' must be a non-empty text value");
}

}  // namespace
}  // namespace gw::config
