// Unit tests for gateway/config/loader.hpp: a valid file becomes typed structs, and every problem
// is reported as `file:line: message` with the 1-based line of the offending key or value.
#include "gateway/config/loader.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "tests/unit/gateway/config/config_test_support.hpp"

namespace gw::config {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

LoadOptions no_file_checks() {
  LoadOptions o;
  o.check_files = false;
  return o;
}

LoadResult load(std::string_view text) {
  return load_text(text, "test.yaml", "/tmp", no_file_checks());
}

/** all_errors: every diagnostic, one a line, for failure messages. */
std::string all_errors(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.errors) {
    out += "  " + d.str() + "\n";
  }
  return out.empty() ? "  (no errors)\n" : out;
}

/** has_error: whether some diagnostic is on `line` and its message contains every part. */
::testing::AssertionResult has_error(const LoadResult& r, int line,
                                     std::initializer_list<std::string_view> parts) {
  for (const auto& d : r.errors) {
    bool all = d.line == line && d.file == "test.yaml";
    for (auto p : parts) {
      all = all && d.message.find(p) != std::string::npos;
    }
    if (all) {
      return ::testing::AssertionSuccess();
    }
  }
  std::string want;
  for (auto p : parts) {
    want += " '" + std::string(p) + "'";
  }
  return ::testing::AssertionFailure()
         << "no error on line " << line << " containing" << want << "; got:\n"
         << all_errors(r);
}

// A minimal valid config; tests append sections after it, starting on line 9.
using test::kMinimal;

std::string minimal_plus(std::string_view rest) {
  return std::string(kMinimal) + std::string(rest);
}

// ---------------------------------------------------------------------------------------------
// Valid configs

constexpr std::string_view kFull =
    "node_id: test-1\n"                                 // 1
    "data_dir: var\n"                                   // 2
    "log_level: debug\n"                                // 3
    "threads: 4\n"                                      // 4
    "tls:\n"                                            // 5
    "  certificate: ${data_dir}/certs/server.crt\n"     // 6
    "  private_key: keys/server.key\n"                  // 7
    "  client_ca: /etc/caregw/../caregw/ca.crt\n"       // 8
    "listeners:\n"                                      // 9
    "  - name: provider\n"                              // 10
    "    address: 127.0.0.1\n"                          // 11
    "    port: 8443\n"                                  // 12
    "    client_certificate: required\n"                // 13
    "  - name: browser\n"                               // 14
    "    address: \"::1\"\n"                            // 15
    "    port: 8444\n"                                  // 16
    "    client_certificate: optional\n"                // 17
    "limits:\n"                                         // 18
    "  max_header_bytes: 8192\n"                        // 19
    "  max_body_bytes: 2048\n"                          // 20
    "  max_requests_per_connection: 10\n"               // 21
    "  max_connections: 5\n"                            // 22
    "  handshake_timeout_ms: 1500\n"                    // 23
    "  header_timeout_ms: 2000\n"                       // 24
    "  body_timeout_ms: 3000\n"                         // 25
    "  idle_timeout_ms: 4000\n"                         // 26
    "  write_timeout_ms: 5000\n"                        // 27
    "  shutdown_grace_ms: 6000\n"                       // 28
    "organisations:\n"                                  // 29
    "  - ods: z90001\n"                                 // 30
    "    name: Riverside Medical Practice\n"            // 31
    "    kind: gp\n"                                    // 32
    "  - ods: Z9A01\n"                                  // 33
    "    name: Borough General\n"                       // 34
    "    kind: acute\n"                                 // 35
    "    certificate_subject: CN=Z9A01,O=caregw dev\n"  // 36
    "  - ods: Z9M01\n"                                  // 37
    "    name: Borough Mental Health\n"                 // 38
    "    kind: mental-health\n"                         // 39
    "  - ods: Z9S01\n"                                  // 40
    "    name: Borough Council\n"                       // 41
    "    kind: social-care\n"                           // 42
    "  - ods: Z9L01\n"                                  // 43
    "    name: Capital Ambulance\n"                     // 44
    "    kind: ambulance\n";                            // 45

TEST(LoadText, ValidConfigLoads) {
  const auto r = load(kFull);
  ASSERT_TRUE(r.errors.empty()) << all_errors(r);
  ASSERT_NE(r.config, nullptr);
  const Config& c = *r.config;
  EXPECT_EQ(c.source, "test.yaml");
  EXPECT_EQ(c.node_id, "test-1");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.threads, 4U);
}

TEST(LoadText, ListenersAreTyped) {
  const auto r = load(kFull);
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  const auto& ls = r.config->listeners;
  ASSERT_EQ(ls.size(), 2U);
  EXPECT_EQ(ls[0].name, "provider");
  EXPECT_EQ(ls[0].address, "127.0.0.1");
  EXPECT_EQ(ls[0].port, 8443);
  EXPECT_EQ(ls[0].client_certificate, ClientCert::kRequired);
  EXPECT_EQ(ls[0].line, 10);
  EXPECT_EQ(ls[1].name, "browser");
  EXPECT_EQ(ls[1].address, "::1");
  EXPECT_EQ(ls[1].port, 8444);
  EXPECT_EQ(ls[1].client_certificate, ClientCert::kOptional);
  EXPECT_EQ(ls[1].line, 14);
}

TEST(LoadText, ListenerDefaults) {
  const auto r = load(kMinimal);
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  ASSERT_EQ(r.config->listeners.size(), 1U);
  const Listener& l = r.config->listeners[0];
  EXPECT_EQ(l.address, "0.0.0.0");
  EXPECT_EQ(l.client_certificate, ClientCert::kRequired);
  EXPECT_EQ(r.config->node_id, "caregw-1");
  EXPECT_EQ(r.config->log_level, "info");
  EXPECT_EQ(r.config->threads, 0U);
  EXPECT_TRUE(r.config->organisations.empty());
}

TEST(LoadText, LimitsInMilliseconds) {
  const auto r = load(kFull);
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  const Limits& l = r.config->limits;
  EXPECT_EQ(l.max_header_bytes, 8192U);
  EXPECT_EQ(l.max_body_bytes, 2048U);
  EXPECT_EQ(l.max_requests_per_connection, 10U);
  EXPECT_EQ(l.max_connections, 5U);
  EXPECT_EQ(l.handshake_timeout, milliseconds(1500));
  EXPECT_EQ(l.header_timeout, milliseconds(2000));
  EXPECT_EQ(l.body_timeout, milliseconds(3000));
  EXPECT_EQ(l.idle_timeout, milliseconds(4000));
  EXPECT_EQ(l.write_timeout, milliseconds(5000));
  EXPECT_EQ(l.shutdown_grace, milliseconds(6000));
}

TEST(LoadText, LimitsDefaultWhenAbsent) {
  const auto r = load(kMinimal);
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  const Limits& l = r.config->limits;
  const Limits defaults;
  EXPECT_EQ(l.max_header_bytes, defaults.max_header_bytes);
  EXPECT_EQ(l.max_body_bytes, defaults.max_body_bytes);
  EXPECT_EQ(l.handshake_timeout, defaults.handshake_timeout);
  EXPECT_EQ(l.shutdown_grace, defaults.shutdown_grace);
}

TEST(LoadText, OrganisationsWithKinds) {
  const auto r = load(kFull);
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  const auto& os = r.config->organisations;
  ASSERT_EQ(os.size(), 5U);
  EXPECT_EQ(os[0].ods.str(), "Z90001");  // upper-cased
  EXPECT_EQ(os[0].name, "Riverside Medical Practice");
  EXPECT_EQ(os[0].kind, OrgKind::kGp);
  EXPECT_TRUE(os[0].certificate_subject.empty());
  EXPECT_EQ(os[0].line, 30);
  EXPECT_EQ(os[1].kind, OrgKind::kAcute);
  EXPECT_EQ(os[1].certificate_subject, "CN=Z9A01,O=caregw dev");
  EXPECT_EQ(os[2].kind, OrgKind::kMentalHealth);
  EXPECT_EQ(os[3].kind, OrgKind::kSocialCare);
  EXPECT_EQ(os[4].kind, OrgKind::kAmbulance);
  EXPECT_EQ(os[4].line, 43);
}

TEST(LoadText, FindOrganisation) {
  const auto r = load(kFull);
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  auto ods = OdsCode::parse("z9m01");
  ASSERT_TRUE(ods);
  const Organisation* o = r.config->find_organisation(*ods);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->name, "Borough Mental Health");
  auto missing = OdsCode::parse("Z99999");
  ASSERT_TRUE(missing);
  EXPECT_EQ(r.config->find_organisation(*missing), nullptr);
}

TEST(OrgKindName, ConfigSpellings) {
  EXPECT_EQ(org_kind_name(OrgKind::kGp), "gp");
  EXPECT_EQ(org_kind_name(OrgKind::kAcute), "acute");
  EXPECT_EQ(org_kind_name(OrgKind::kMentalHealth), "mental-health");
  EXPECT_EQ(org_kind_name(OrgKind::kSocialCare), "social-care");
  EXPECT_EQ(org_kind_name(OrgKind::kAmbulance), "ambulance");
}

TEST(LoadText, PathsResolvedAgainstBaseDirWithDataDirExpanded) {
  const auto r = load(kFull);
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.data_dir, "/tmp/var");
  EXPECT_EQ(c.tls.certificate.value, "/tmp/var/certs/server.crt");
  EXPECT_EQ(c.tls.private_key.value, "/tmp/keys/server.key");
  EXPECT_EQ(c.tls.client_ca.value, "/etc/caregw/ca.crt");  // absolute: only normalised
  EXPECT_EQ(c.tls.certificate.line, 6);
  EXPECT_EQ(c.tls.private_key.line, 7);
  EXPECT_EQ(c.tls.client_ca.line, 8);
}

TEST(LoadText, DataDirOptionOverridesTheFile) {
  LoadOptions opts = no_file_checks();
  opts.data_dir = "/override/data";
  const auto r = load_text(kFull, "test.yaml", "/tmp", opts);
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  EXPECT_EQ(r.config->data_dir, "/override/data");
  EXPECT_EQ(r.config->tls.certificate.value, "/override/data/certs/server.crt");
}

TEST(LoadText, DataDirOptionMakesTheKeyOptional) {
  LoadOptions opts = no_file_checks();
  opts.data_dir = "/override";
  const std::string text = std::string(kMinimal.substr(kMinimal.find('\n') + 1));
  const auto r = load_text(text, "test.yaml", "/tmp", opts);
  EXPECT_NE(r.config, nullptr) << all_errors(r);
}

TEST(LoadText, PortZeroMayRepeat) {
  // Port 0 asks the OS for a free port, so two listeners may both say 0 (tests rely on it).
  const auto r = load(
      "data_dir: /d\n"
      "tls: {certificate: a, private_key: b, client_ca: c}\n"
      "listeners:\n"
      "  - {name: one, port: 0}\n"
      "  - {name: two, port: 0}\n");
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  EXPECT_EQ(r.config->listeners.size(), 2U);
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the line and the problem

TEST(LoadTextErrors, UnknownTopLevelKeyListsExpectedKeys) {
  const auto r = load(
      "data_dir: /srv/caregw\n"      // 1
      "tls:\n"                       // 2
      "  certificate: server.crt\n"  // 3
      "  private_key: server.key\n"  // 4
      "  client_ca: ca.crt\n"        // 5
      "listners:\n"                  // 6: the typo
      "  - name: provider\n"
      "    port: 8443\n");
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 6,
                        {"unknown key 'listners'", "expected one of:", "node_id", "data_dir",
                         "log_level", "threads", "tls", "listeners", "limits", "organisations"}));
  // ...and, since the real key is then absent, that listeners are missing.
  EXPECT_TRUE(has_error(r, 1, {"'listeners' must be a list"}));
}

TEST(LoadTextErrors, UnknownKeyInListener) {
  const auto r = load(
      "data_dir: /d\n"                                         // 1
      "tls: {certificate: a, private_key: b, client_ca: c}\n"  // 2
      "listeners:\n"                                           // 3
      "  - name: provider\n"                                   // 4
      "    prot: 8443\n");                                     // 5
  EXPECT_TRUE(has_error(
      r, 5, {"unknown key 'prot'", "a listener", "name, address, port, client_certificate"}));
  EXPECT_TRUE(has_error(r, 4, {"missing required key 'port'"}));
}

TEST(LoadTextErrors, UnknownKeyInTlsLimitsAndOrganisation) {
  const auto r = load(
      "data_dir: /d\n"                     // 1
      "tls:\n"                             // 2
      "  certificate: a\n"                 // 3
      "  private_key: b\n"                 // 4
      "  client_ca: c\n"                   // 5
      "  ca_file: d\n"                     // 6
      "listeners: [{name: p, port: 1}]\n"  // 7
      "limits:\n"                          // 8
      "  max_header: 1\n"                  // 9
      "organisations:\n"                   // 10
      "  - ods: Z90001\n"                  // 11
      "    name: A\n"                      // 12
      "    kind: gp\n"                     // 13
      "    subject: CN=Z90001\n");         // 14
  EXPECT_TRUE(
      has_error(r, 6, {"unknown key 'ca_file' in tls", "certificate, private_key, client_ca"}));
  EXPECT_TRUE(has_error(r, 9, {"unknown key 'max_header' in limits", "max_header_bytes"}));
  EXPECT_TRUE(
      has_error(r, 14, {"unknown key 'subject' in an organisation", "certificate_subject"}));
  EXPECT_EQ(r.errors.size(), 3U) << all_errors(r);
}

TEST(LoadTextErrors, PortOutOfRange) {
  const auto r = load(
      "data_dir: /d\n"
      "tls: {certificate: a, private_key: b, client_ca: c}\n"
      "listeners:\n"
      "  - name: provider\n"
      "    port: 70000\n");  // 5
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 5, {"'port'", "0 to 65535", "got '70000'"}));
  EXPECT_EQ(r.errors.size(), 1U) << all_errors(r);
}

TEST(LoadTextErrors, PortNotANumber) {
  const auto r = load(
      "data_dir: /d\n"
      "tls: {certificate: a, private_key: b, client_ca: c}\n"
      "listeners:\n"
      "  - name: provider\n"
      "    port: -1\n"  // 5
      "  - name: other\n"
      "    port: https\n");  // 7
  EXPECT_TRUE(has_error(r, 5, {"'port'", "got '-1'"}));
  EXPECT_TRUE(has_error(r, 7, {"'port'", "got 'https'"}));
}

TEST(LoadTextErrors, DuplicatePort) {
  const auto r =
      load(minimal_plus("  - name: second\n"   // 9
                        "    port: 8443\n"));  // 10
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 10, {"port 8443 is used by two listeners"}));
  EXPECT_EQ(r.errors.size(), 1U) << all_errors(r);
}

TEST(LoadTextErrors, DuplicateListenerName) {
  const auto r =
      load(minimal_plus("  - name: provider\n"  // 9
                        "    port: 8444\n"));
  EXPECT_TRUE(has_error(r, 9, {"listener name 'provider' is used twice"}));
}

TEST(LoadTextErrors, BadAddress) {
  const auto r =
      load(minimal_plus("    address: 300.1.1.1\n"  // 9 (third key of the first listener)
                        "  - name: by-name\n"       // 10
                        "    address: localhost\n"  // 11
                        "    port: 8444\n"));
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 9, {"'address' must be an IP address", "got '300.1.1.1'"}));
  EXPECT_TRUE(has_error(r, 11, {"'address' must be an IP address", "got 'localhost'"}));
  EXPECT_EQ(r.errors.size(), 2U) << all_errors(r);
}

TEST(LoadTextErrors, BadClientCertificateValue) {
  const auto r = load(minimal_plus("    client_certificate: sometimes\n"));  // 9
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(
      has_error(r, 9, {"'client_certificate' must be required or optional", "got 'sometimes'"}));
  EXPECT_EQ(r.errors.size(), 1U) << all_errors(r);
}

TEST(LoadTextErrors, BadOdsCode) {
  const auto r =
      load(minimal_plus("organisations:\n"  // 9
                        "  - ods: Z9-01\n"  // 10
                        "    name: A\n"
                        "    kind: gp\n"
                        "  - ods: Z9\n"  // 13
                        "    name: B\n"
                        "    kind: gp\n"));
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 10, {"ODS code", "letters and digits", "'Z9-01'"}));
  EXPECT_TRUE(has_error(r, 13, {"ODS code", "3 to 10", "'Z9'"}));
  EXPECT_EQ(r.errors.size(), 2U) << all_errors(r);
}

TEST(LoadTextErrors, DuplicateOdsCodeIgnoringCase) {
  const auto r =
      load(minimal_plus("organisations:\n"   // 9
                        "  - ods: Z90001\n"  // 10
                        "    name: A\n"
                        "    kind: gp\n"
                        "  - ods: z90001\n"  // 13
                        "    name: B\n"
                        "    kind: acute\n"));
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 13, {"organisation Z90001 is configured twice"}));
  EXPECT_EQ(r.errors.size(), 1U) << all_errors(r);
}

TEST(LoadTextErrors, UnknownOrganisationKind) {
  const auto r =
      load(minimal_plus("organisations:\n"         // 9
                        "  - ods: Z90001\n"        // 10
                        "    name: A\n"            // 11
                        "    kind: pharmacy\n"));  // 12
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 12,
                        {"unknown organisation kind 'pharmacy'",
                         "gp, acute, mental-health, social-care or ambulance"}));
  EXPECT_EQ(r.errors.size(), 1U) << all_errors(r);
}

TEST(LoadTextErrors, MissingTlsSection) {
  const auto r = load(
      "data_dir: /d\n"  // 1
      "listeners:\n"
      "  - name: provider\n"
      "    port: 8443\n");
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 1, {"missing required key 'tls'"}));
  EXPECT_EQ(r.errors.size(), 1U) << all_errors(r);
}

TEST(LoadTextErrors, MissingRequiredTopLevelKeys) {
  const auto r = load(
      "node_id: n\n"  // 1
      "tls: {certificate: a, private_key: b, client_ca: c}\n");
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 1, {"missing required key 'data_dir'"}));
  EXPECT_TRUE(has_error(r, 1, {"'listeners' must be a list with at least one listener"}));
  EXPECT_EQ(r.errors.size(), 2U) << all_errors(r);
}

TEST(LoadTextErrors, MissingRequiredTlsKeys) {
  const auto r = load(
      "data_dir: /d\n"               // 1
      "tls:\n"                       // 2
      "  certificate: server.crt\n"  // 3: the tls mapping starts here
      "listeners: [{name: p, port: 1}]\n");
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 3, {"missing required key 'private_key'"}));
  EXPECT_TRUE(has_error(r, 3, {"missing required key 'client_ca'"}));
  EXPECT_EQ(r.errors.size(), 2U) << all_errors(r);
}

TEST(LoadTextErrors, MissingRequiredListenerAndOrganisationKeys) {
  const auto r = load(
      "data_dir: /d\n"                                         // 1
      "tls: {certificate: a, private_key: b, client_ca: c}\n"  // 2
      "listeners:\n"                                           // 3
      "  - address: 127.0.0.1\n"                               // 4
      "organisations:\n"                                       // 5
      "  - ods: Z90001\n"                                      // 6
      "  - name: No Code\n"                                    // 7
      "    kind: gp\n");
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 4, {"missing required key 'name'"}));
  EXPECT_TRUE(has_error(r, 4, {"missing required key 'port'"}));
  EXPECT_TRUE(has_error(r, 6, {"missing required key 'name'"}));
  EXPECT_TRUE(has_error(r, 6, {"missing required key 'kind'"}));
  EXPECT_TRUE(has_error(r, 7, {"missing required key 'ods'"}));
  EXPECT_EQ(r.errors.size(), 5U) << all_errors(r);
}

TEST(LoadTextErrors, EmptyValue) {
  const auto r =
      load(minimal_plus("organisations:\n"   // 9
                        "  - ods: Z90001\n"  // 10
                        "    name: ''\n"     // 11
                        "    kind: gp\n"));
  EXPECT_TRUE(has_error(r, 11, {"'name' must be a non-empty text value"}));
}

TEST(LoadTextErrors, InvalidYamlReportsTheLineOfTheSyntaxError) {
  const auto r = load(
      "data_dir: /d\n"      // 1
      "tls:\n"              // 2
      "  certificate: a\n"  // 3
      " private_key: b\n"   // 4: indented by one space, not two
      "  client_ca: c\n");
  EXPECT_EQ(r.config, nullptr);
  ASSERT_EQ(r.errors.size(), 1U) << all_errors(r);
  EXPECT_TRUE(has_error(r, 4, {"not valid YAML"}));
}

TEST(LoadTextErrors, InvalidYamlTab) {
  const auto r = load(
      "data_dir: /d\n"  // 1
      "\ttls: x\n");    // 2
  ASSERT_EQ(r.errors.size(), 1U) << all_errors(r);
  EXPECT_TRUE(has_error(r, 2, {"not valid YAML", "tab"}));
}

TEST(LoadTextErrors, NotAMapping) {
  const auto r = load("- one\n- two\n");
  EXPECT_EQ(r.config, nullptr);
  ASSERT_EQ(r.errors.size(), 1U) << all_errors(r);
  EXPECT_TRUE(has_error(r, 1, {"the config must be a mapping"}));
}

TEST(LoadTextErrors, EmptyFile) {
  const auto r = load("");
  EXPECT_EQ(r.config, nullptr);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].message.find("must be a mapping"), std::string::npos) << all_errors(r);
}

TEST(LoadTextErrors, SectionsThatAreNotMappings) {
  const auto r = load(
      "data_dir: /d\n"            // 1
      "tls: yes\n"                // 2
      "listeners:\n"              // 3
      "  - 8443\n"                // 4
      "  - {name: p, port: 1}\n"  // 5
      "organisations:\n"          // 6
      "  - Z90001\n");            // 7
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 2, {"tls must be a mapping of keys to values"}));
  EXPECT_TRUE(has_error(r, 4, {"a listener must be a mapping of keys to values"}));
  EXPECT_TRUE(has_error(r, 7, {"an organisation must be a mapping of keys to values"}));
  EXPECT_EQ(r.errors.size(), 3U) << all_errors(r);
}

TEST(LoadTextErrors, DuplicateKeyIsReported) {
  // YAML requires the keys of a mapping to be unique (YAML 1.2, section 3.2.1.1). A repeated key
  // would otherwise be silently ignored: here the second port and the second limits section.
  const auto r = load(
      "data_dir: /d\n"                                         // 1
      "tls: {certificate: a, private_key: b, client_ca: c}\n"  // 2
      "listeners:\n"                                           // 3
      "  - name: p\n"                                          // 4
      "    port: 8443\n"                                       // 5
      "    port: 8444\n"                                       // 6
      "limits:\n"                                              // 7
      "  idle_timeout_ms: 5000\n"                              // 8
      "limits:\n"                                              // 9
      "  idle_timeout_ms: 7000\n");                            // 10
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 6, {"port"}));
  EXPECT_TRUE(has_error(r, 9, {"limits"}));
}

TEST(LoadTextErrors, EmptyListenerList) {
  const auto r = load(
      "data_dir: /d\n"
      "tls: {certificate: a, private_key: b, client_ca: c}\n"
      "listeners: []\n");  // 3
  EXPECT_TRUE(has_error(r, 3, {"'listeners' must be a list with at least one listener"}));
}

TEST(LoadTextErrors, OrganisationsNotAList) {
  const auto r =
      load(minimal_plus("organisations:\n"    // 9
                        "  ods: Z90001\n"));  // 10: the mapping starts here
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 10, {"'organisations' must be a list"}));
}

TEST(LoadTextErrors, LogLevelAndThreads) {
  const auto r =
      load(minimal_plus("log_level: verbose\n"  // 9
                        "threads: 1000\n"));    // 10
  EXPECT_TRUE(has_error(r, 9, {"'log_level' must be debug, info, warn or error"}));
  EXPECT_TRUE(has_error(r, 10, {"'threads'", "0 to 256", "got '1000'"}));
  EXPECT_EQ(r.errors.size(), 2U) << all_errors(r);
}

TEST(LoadTextErrors, LimitsOutOfRange) {
  const auto r =
      load(minimal_plus("limits:\n"                        // 9
                        "  max_header_bytes: 100\n"        // 10
                        "  max_body_bytes: 99999999999\n"  // 11
                        "  max_connections: 0\n"           // 12
                        "  idle_timeout_ms: 0\n"           // 13
                        "  write_timeout_ms: 3600001\n"    // 14
                        "  body_timeout_ms: 1.5\n"         // 15
                        "  header_timeout_ms: 3600000\n"));
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 10, {"'max_header_bytes'", "1024 to 1048576", "got '100'"}));
  EXPECT_TRUE(has_error(r, 11, {"'max_body_bytes'", "1024 to 4294967296", "got '99999999999'"}));
  EXPECT_TRUE(has_error(r, 12, {"'max_connections'", "1 to 1000000", "got '0'"}));
  EXPECT_TRUE(has_error(r, 13, {"'idle_timeout_ms'", "1 to 3600000", "got '0'"}));
  EXPECT_TRUE(has_error(r, 14, {"'write_timeout_ms'", "1 to 3600000", "got '3600001'"}));
  EXPECT_TRUE(has_error(r, 15, {"'body_timeout_ms'", "got '1.5'"}));
  EXPECT_EQ(r.errors.size(), 6U) << all_errors(r);  // 3600000 ms is allowed
}

TEST(LoadTextErrors, NumberTooLongForUint64) {
  const auto r =
      load(minimal_plus("limits:\n"                                           // 9
                        "  max_body_bytes: 123456789012345678901234567\n"));  // 10
  EXPECT_TRUE(has_error(r, 10, {"'max_body_bytes'", "whole number"}));
}

TEST(LoadTextErrors, SeveralErrorsAreAllReported) {
  const auto r = load(
      "data_dir: /d\n"                                         // 1
      "log_level: loud\n"                                      // 2
      "tls: {certificate: a, private_key: b, client_ca: c}\n"  // 3
      "listeners:\n"                                           // 4
      "  - name: provider\n"                                   // 5
      "    port: 99999\n"                                      // 6
      "  - name: browser\n"                                    // 7
      "    port: 8444\n"                                       // 8
      "    client_certificate: maybe\n"                        // 9
      "limits:\n"                                              // 10
      "  idle_timeout_ms: 0\n"                                 // 11
      "organisations:\n"                                       // 12
      "  - ods: NOT-ODS\n"                                     // 13
      "    name: A\n"                                          // 14
      "    kind: hospice\n");                                  // 15
  EXPECT_EQ(r.config, nullptr);
  ASSERT_EQ(r.errors.size(), 6U) << all_errors(r);
  EXPECT_TRUE(has_error(r, 2, {"'log_level'"}));
  EXPECT_TRUE(has_error(r, 6, {"'port'"}));
  EXPECT_TRUE(has_error(r, 9, {"'client_certificate'"}));
  EXPECT_TRUE(has_error(r, 11, {"'idle_timeout_ms'"}));
  EXPECT_TRUE(has_error(r, 13, {"ODS code"}));
  EXPECT_TRUE(has_error(r, 15, {"unknown organisation kind 'hospice'"}));
}

TEST(Diagnostic, StrIsFileColonLineColonMessage) {
  const Diagnostic d{"caregw.yaml", 12, "port 8443 is used by two listeners"};
  EXPECT_EQ(d.str(), "caregw.yaml:12: port 8443 is used by two listeners");
  const Diagnostic no_line{"caregw.yaml", 0, "cannot open the config file"};
  EXPECT_EQ(no_line.str(), "caregw.yaml: cannot open the config file");
}

TEST(Diagnostic, StrOfALoadError) {
  const auto r = load(minimal_plus("    client_certificate: sometimes\n"));
  ASSERT_EQ(r.errors.size(), 1U) << all_errors(r);
  EXPECT_EQ(r.errors[0].str(),
            "test.yaml:9: 'client_certificate' must be required or optional, got 'sometimes'");
}

// ---------------------------------------------------------------------------------------------
// Files

/** TempDir: a fresh directory under the test temp dir, removed afterwards. */
class TempDir {
public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::path(::testing::TempDir()) /
            ("caregw_loader_" + std::string(info->test_suite_name()) + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const fs::path& path() const { return path_; }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

private:
  fs::path path_;
};

TEST(LoadFile, MissingFileNamesIt) {
  const std::string path = "/nonexistent/caregw-test/caregw.yaml";
  const auto r = load_file(path, no_file_checks());
  EXPECT_EQ(r.config, nullptr);
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].file, path);
  EXPECT_EQ(r.errors[0].line, 0);
  EXPECT_NE(r.errors[0].str().find(path), std::string::npos) << r.errors[0].str();
  EXPECT_NE(r.errors[0].message.find("cannot open"), std::string::npos) << r.errors[0].message;
}

TEST(LoadFile, ReadsFileAndResolvesPathsAgainstItsFolder) {
  TempDir dir;
  dir.write("caregw.yaml", kMinimal);
  const std::string file = (dir.path() / "caregw.yaml").string();
  const auto r = load_file(file, no_file_checks());
  ASSERT_NE(r.config, nullptr) << all_errors(r);
  EXPECT_EQ(r.config->source, file);
  EXPECT_EQ(r.config->tls.certificate.value,
            (dir.path() / "server.crt").lexically_normal().string());
}

TEST(LoadFile, ErrorsNameTheFile) {
  TempDir dir;
  dir.write("bad.yaml", minimal_plus("    client_certificate: sometimes\n"));  // line 9
  const std::string file = (dir.path() / "bad.yaml").string();
  const auto r = load_file(file, no_file_checks());
  ASSERT_EQ(r.errors.size(), 1U) << all_errors(r);
  EXPECT_EQ(r.errors[0].file, file);
  EXPECT_EQ(r.errors[0].line, 9);
  EXPECT_EQ(r.errors[0].str().rfind(file + ":9: ", 0), 0U) << r.errors[0].str();
}

TEST(LoadFile, CheckFilesReportsAMissingCertificateOnItsLine) {
  TempDir dir;
  dir.write("server.key", "key");
  dir.write("ca.crt", "ca");
  LoadOptions opts;
  opts.check_files = true;
  const auto r = load_text(kMinimal, "test.yaml", dir.path().string(), opts);
  EXPECT_EQ(r.config, nullptr);
  ASSERT_EQ(r.errors.size(), 1U) << all_errors(r);
  const std::string missing = (dir.path() / "server.crt").lexically_normal().string();
  EXPECT_TRUE(has_error(r, 3, {"'certificate'", "cannot read file", missing}));
}

TEST(LoadFile, CheckFilesPassesWhenEveryFileExists) {
  TempDir dir;
  dir.write("server.crt", "crt");
  dir.write("server.key", "key");
  dir.write("ca.crt", "ca");
  LoadOptions opts;
  opts.check_files = true;
  const auto r = load_text(kMinimal, "test.yaml", dir.path().string(), opts);
  EXPECT_NE(r.config, nullptr) << all_errors(r);
}

TEST(LoadFile, CheckFilesRejectsADirectory) {
  // A folder opens for reading on Linux but holds no PEM, so check-config must not pass it.
  TempDir dir;
  fs::create_directories(dir.path() / "server.crt");
  dir.write("server.key", "key");
  dir.write("ca.crt", "ca");
  LoadOptions opts;
  opts.check_files = true;
  const auto r = load_text(kMinimal, "test.yaml", dir.path().string(), opts);
  EXPECT_EQ(r.config, nullptr);
  EXPECT_TRUE(has_error(r, 3, {"'certificate'"}));
}

TEST(LoadFile, CheckFilesHintsAtDevCertificatesForDataDirPaths) {
  TempDir dir;
  LoadOptions opts;
  opts.check_files = true;
  opts.data_dir = dir.path().string();
  const auto r = load_text(
      "data_dir: /unused\n"                            // 1
      "tls:\n"                                         // 2
      "  certificate: ${data_dir}/certs/server.crt\n"  // 3
      "  private_key: ${data_dir}/certs/server.key\n"  // 4
      "  client_ca: ${data_dir}/certs/ca.crt\n"        // 5
      "listeners: [{name: p, port: 1}]\n",
      "test.yaml", "/tmp", opts);
  ASSERT_EQ(r.errors.size(), 3U) << all_errors(r);
  EXPECT_TRUE(has_error(r, 3, {"cannot read file", "certs/server.crt", "make-dev-certs"}));
  EXPECT_TRUE(has_error(r, 4, {"cannot read file", "certs/server.key", "make-dev-certs"}));
  EXPECT_TRUE(has_error(r, 5, {"cannot read file", "certs/ca.crt", "make-dev-certs"}));
}

}  // namespace
}  // namespace gw::config
