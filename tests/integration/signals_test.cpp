// The caregw process and its signals: SIGTERM drains in-flight requests and exits 0; SIGHUP
// reloads the config (with the token issuers' keys), a broken config leaves the running one in
// place, and every reload is audited.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/core/clock.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "tests/support/fake_clock.hpp"
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
  const auto path = dir.write("caregw.yaml", config_yaml_in(dir.file("data")));
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
  const auto path = dir.write("caregw.yaml", config_yaml_in(dir.file("data")));
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
            config_yaml_in(dir.file("data"), "",
                           "  - ods: ZZ999\n    name: Added Later\n    kind: ambulance\n"));
  child.signal(SIGHUP);
  EXPECT_TRUE(eventually(
      [&] { return metric_line(port, R"(caregw_config_reloads_total{result="applied"} 1)"); }));
  EXPECT_EQ(https_get(port, "/healthz", client_for("unknown-org")).status, 200U);

  child.signal(SIGTERM);
  EXPECT_EQ(child.wait_exit(10s), 0);
}

TEST(Signals, TheRetentionRemovesOldMessageBodiesWhileServing) {
  TempDir dir;
  const auto data = dir.file("data");
  store::JournalId old_id{0};
  store::JournalId new_id{0};
  {
    // A message finished long ago and one finished now, as an earlier run left them.
    FakeClock then;  // 2024-03-01
    SystemClock now;
    auto past = store::sqlite::SqliteMessageStore::open_in_data_dir(data, then);
    ASSERT_TRUE(past) << past.error().detail;
    auto old = (*past)->accept(store::InboundMessage{*OdsCode::parse("Z90001"), "fhir-r4", "OLD-1",
                                                     "application/fhir+json", "{\"old\":true}"},
                               std::nullopt, {});
    ASSERT_TRUE(old);
    old_id = old->journal.entry.id;
    past->reset();
    auto current = store::sqlite::SqliteMessageStore::open_in_data_dir(data, now);
    ASSERT_TRUE(current);
    auto recent = (*current)->accept(store::InboundMessage{*OdsCode::parse("Z90001"), "fhir-r4",
                                                           "NEW-1", "application/fhir+json", "{}"},
                                     std::nullopt, {});
    ASSERT_TRUE(recent);
    new_id = recent->journal.entry.id;
  }
  const auto path = dir.write(
      "caregw.yaml", config_yaml_in(data) + "retention:\n  journal_days: 30\n  interval_s: 1\n");
  Child child({caregw_binary(), "serve", "--config", path});
  ASSERT_TRUE(child.wait_listening(2, 10s));
  const auto port = child.port("provider");
  EXPECT_TRUE(eventually([&] {
    return metric_line(port, R"(caregw_retention_removed_total{kind="journal_body"} 1)");
  }));
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait_exit(10s), 0);
  SystemClock clock;
  auto after = store::sqlite::SqliteMessageStore::open_in_data_dir(data, clock);
  ASSERT_TRUE(after);
  auto old = (*after)->journal_entry(old_id);
  ASSERT_TRUE(old && *old);
  EXPECT_TRUE((*old)->body_removed_at);
  EXPECT_EQ((*old)->body, "");
  EXPECT_EQ((*old)->body_bytes, 12U);
  auto recent = (*after)->journal_entry(new_id);
  ASSERT_TRUE(recent && *recent);
  EXPECT_FALSE((*recent)->body_removed_at);
  EXPECT_EQ((*recent)->body, "{}");
}

TEST(Signals, SighupReloadsTheMappingsAndABadSetKeepsTheOldOne) {
  TempDir dir;
  std::filesystem::copy(std::string(CAREGW_SOURCE_DIR) + "/mappings", dir.file("maps"),
                        std::filesystem::copy_options::recursive);
  std::string yaml = config_yaml_in(dir.file("data"));
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

/** user_status: the status of a user route (GET /fhir/Patient/{id}) with `issuer`'s GP token. */
unsigned user_status(std::uint16_t port, const auth::DemoIssuer& issuer) {
  auto token =
      auth::mint_demo_token(issuer, *auth::find_demo_user("gp"), std::chrono::system_clock::now());
  EXPECT_TRUE(token);
  TlsClient c(client_for("Z90001"));
  if (c.connect(port)) {
    return 0;
  }
  HttpResponse r;
  (void)c.request("GET", "/fhir/Patient/9991158383", r, "",
                  {{"Authorization", "Bearer " + (token ? *token : std::string())}});
  return r.status;
}

TEST(Signals, SighupReloadsTheIssuerKeysAndABadJwksKeepsTheOldOnesAndEveryReloadIsAudited) {
  TempDir dir;
  auto old_keys = auth::ensure_demo_issuer(dir.file("old"));
  auto new_keys = auth::ensure_demo_issuer(dir.file("new"));
  ASSERT_TRUE(old_keys && new_keys);
  std::filesystem::copy_file(old_keys->jwks_path, dir.file("jwks.json"));
  std::string yaml = config_yaml_in(dir.file("data"));
  yaml +=
      "token_issuers:\n"
      "  - issuer: " +
      std::string(auth::kDemoIssuer) +
      "\n"
      "    jwks_file: jwks.json\n"
      "    audience: " +
      std::string(auth::kDemoAudience) + "\n";
  const auto path = dir.write("caregw.yaml", yaml);
  Child child({caregw_binary(), "serve", "--config", path});
  ASSERT_TRUE(child.wait_listening(2, 10s));
  const auto port = child.port("provider");
  // The token is good: no agreement in this config covers demographics, so 403 (not 401).
  EXPECT_EQ(user_status(port, *old_keys), 403U);
  EXPECT_EQ(user_status(port, *new_keys), 401U);

  // The issuer rotated its key: after SIGHUP only the new one verifies.
  std::filesystem::copy_file(new_keys->jwks_path, dir.file("jwks.json"),
                             std::filesystem::copy_options::overwrite_existing);
  child.signal(SIGHUP);
  ASSERT_TRUE(eventually(
      [&] { return metric_line(port, R"(caregw_config_reloads_total{result="applied"} 1)"); }));
  EXPECT_EQ(user_status(port, *new_keys), 403U);
  EXPECT_EQ(user_status(port, *old_keys), 401U);

  // A JWKS with no usable key: the whole reload is refused and the keys in force stay.
  dir.write("jwks.json", R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})");
  child.signal(SIGHUP);
  ASSERT_TRUE(eventually(
      [&] { return metric_line(port, R"(caregw_config_reloads_total{result="rejected"} 1)"); }));
  EXPECT_EQ(user_status(port, *new_keys), 403U);
  child.signal(SIGTERM);
  ASSERT_EQ(child.wait_exit(10s), 0);

  // Both reloads are in the audit log: config and agreements, applied then rejected.
  const SystemClock clock;
  audit::AuditLogOptions options;
  options.data_dir = dir.file("data");
  options.node_id = "test-1";
  auto log = audit::AuditLog::open(options, clock);
  ASSERT_TRUE(log) << log.error().detail;
  audit::QueryFilter filter;
  filter.types = {audit::EventType::kConfigReload, audit::EventType::kDsaReload};
  auto page = (*log)->query(filter, audit::PageRequest{});
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->records.size(), 4U);
  const auto& r = page->records;
  EXPECT_EQ(r[0].record.type, audit::EventType::kConfigReload);
  EXPECT_EQ(r[0].record.outcome, audit::Outcome::kSuccess);
  EXPECT_EQ(r[1].record.type, audit::EventType::kDsaReload);
  EXPECT_EQ(r[1].record.detail, "agreements reloaded; in force: none");
  EXPECT_EQ(r[2].record.outcome, audit::Outcome::kMinorFailure);
  EXPECT_NE(r[2].record.detail.find("jwks.json"), std::string::npos) << r[2].record.detail;
  EXPECT_EQ(r[3].record.outcome, audit::Outcome::kMinorFailure);
  (*log)->close();
}

}  // namespace
}  // namespace gw::test
