// The `record:` section of the config (the shared record's answer cache): default, values, and
// file:line errors.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gateway/config/loader.hpp"

namespace gw::config {
namespace {

constexpr std::string_view kMinimal =
    "data_dir: /srv/caregw\n"      // 1
    "tls:\n"                       // 2
    "  certificate: server.crt\n"  // 3
    "  private_key: server.key\n"  // 4
    "  client_ca: ca.crt\n"        // 5
    "listeners:\n"                 // 6
    "  - name: provider\n"         // 7
    "    port: 8443\n";            // 8

LoadResult load(std::string_view rest) {
  LoadOptions o;
  o.check_files = false;
  return load_text(std::string(kMinimal) + std::string(rest), "test.yaml", "/etc/caregw", o);
}

bool has_error(const LoadResult& r, int line, std::string_view part) {
  for (const auto& d : r.errors) {
    if (d.line == line && d.message.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

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
