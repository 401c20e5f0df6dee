// The caregw process and its signals: SIGTERM drains in-flight requests and exits 0; SIGHUP
// reloads the config, and a broken config leaves the running one in place.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;

/** metric_line: whether GET /metrics on the provider port holds `line`. */
bool metric_line(std::uint16_t port, const std::string& line) {
  const auto m = https_get(port, "/metrics", client_for("Z90001"));
  return m.status == 200 && m.body.find(line) != std::string::npos;
}

bool eventually(const std::function<bool()>& cond) {
  for (int i = 0; i < 150; ++i) {
    if (cond()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(Signals, SigtermFinishesTheInFlightRequestThenExitsZero) {
  TempDir dir;
  const auto path = dir.write("caregw.yaml", config_yaml());
  Child child({caregw_binary(), "serve", "--config", path});
  ASSERT_TRUE(child.wait_listening(2, 10s));
  const auto port = child.port("provider");

  TlsClient c(client_for("Z90001"));
  ASSERT_FALSE(c.connect(port));
  // Half a request: the header and 5 of its 10 body bytes.
  ASSERT_FALSE(
      c.write_raw("POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n12345"));
  std::this_thread::sleep_for(200ms);
  child.signal(SIGTERM);
  std::this_thread::sleep_for(300ms);

  // No new connections once draining...
  EXPECT_EQ(https_get(port, "/healthz", client_for("Z90001")).status, 0U);
  // ...but the request in flight completes, with Connection: close.
  ASSERT_FALSE(c.write_raw("67890"));
  HttpResponse r;
  ASSERT_FALSE(c.read_response(r));
  EXPECT_EQ(r.status, 405U);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(child.wait_exit(10s), 0);
}

TEST(Signals, SighupWithBrokenConfigKeepsServingThenAGoodOneApplies) {
  TempDir dir;
  const auto path = dir.write("caregw.yaml", config_yaml());
  Child child({caregw_binary(), "serve", "--config", path});
  ASSERT_TRUE(child.wait_listening(2, 10s));
  const auto port = child.port("provider");
  EXPECT_EQ(https_get(port, "/healthz", client_for("unknown-org")).status, 403U);

  dir.write("caregw.yaml", "listeners: [\n");
  child.signal(SIGHUP);
  EXPECT_TRUE(eventually(
      [&] { return metric_line(port, R"(caregw_config_reloads_total{result="rejected"} 1)"); }));
  EXPECT_EQ(https_get(port, "/healthz", client_for("Z90001")).status, 200U);

  dir.write("caregw.yaml",
            config_yaml("", "  - ods: ZZ999\n    name: Added Later\n    kind: ambulance\n"));
  child.signal(SIGHUP);
  EXPECT_TRUE(eventually(
      [&] { return metric_line(port, R"(caregw_config_reloads_total{result="applied"} 1)"); }));
  EXPECT_EQ(https_get(port, "/healthz", client_for("unknown-org")).status, 200U);

  child.signal(SIGTERM);
  EXPECT_EQ(child.wait_exit(10s), 0);
}

TEST(Signals, SighupReloadsTheMappingsAndABadSetKeepsTheOldOne) {
  TempDir dir;
  std::filesystem::copy(std::string(CAREGW_SOURCE_DIR) + "/mappings", dir.file("maps"),
                        std::filesystem::copy_options::recursive);
  std::string yaml = config_yaml();
  yaml.replace(yaml.find("data_dir: /tmp/caregw-test"), 26, "data_dir: " + dir.file("data"));
  const auto path = dir.write("caregw.yaml", yaml + "mappings: maps\n");
  Child child({caregw_binary(), "serve", "--config", path});
  ASSERT_TRUE(child.wait_listening(2, 10s));
  const auto port = child.port("provider");
  EXPECT_TRUE(eventually(
      [&] { return metric_line(port, R"(caregw_mapping_reloads_total{result="ok"} 1)"); }));

  // A value map that no longer parses: refused, with the config reload, and the old set stays.
  const auto sex_map = dir.file("maps/acute/broken.yaml");
  dir.write("maps/acute/broken.yaml", "value_maps: [\n");
  child.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return metric_line(port, R"(caregw_mapping_reloads_total{result="rejected"} 1)") &&
           metric_line(port, R"(caregw_config_reloads_total{result="rejected"} 1)");
  }));
  EXPECT_TRUE(metric_line(port, "caregw_mapping_generation 1"));

  std::filesystem::remove(sex_map);
  child.signal(SIGHUP);
  EXPECT_TRUE(eventually(
      [&] { return metric_line(port, R"(caregw_mapping_reloads_total{result="ok"} 2)"); }));
  EXPECT_TRUE(metric_line(port, "caregw_mapping_generation 2"));
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait_exit(10s), 0);
}

}  // namespace
}  // namespace gw::test
