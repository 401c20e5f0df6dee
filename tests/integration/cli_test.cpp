// The caregw command line: check-config messages with file:line, and exit codes per CONTRACT.md.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace gw::test {
namespace {

TEST(CheckConfig, ValidConfigIsOk) {
  TempDir dir;
  const auto path = dir.write("caregw.yaml", config_yaml());
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": ok (2 listeners, 2 organisations)"), std::string::npos) << r.out;
}

TEST(CheckConfig, EveryProblemIsReportedWithItsLine) {
  TempDir dir;
  const std::string text =
      "node_id: bad\n"                            // 1
      "data_dir: /tmp/x\n"                        // 2
      "tls:\n"                                    // 3
      "  certificate: /nonexistent/server.crt\n"  // 4
      "  private_key: /nonexistent/server.key\n"  // 5
      "  client_ca: /nonexistent/ca.crt\n"        // 6
      "listners: []\n"                            // 7  typo
      "listeners:\n"                              // 8
      "  - name: provider\n"                      // 9
      "    port: 99999\n"                         // 10 out of range
      "organisations:\n"                          // 11
      "  - ods: Z9-01\n"                          // 12 not an ODS code
      "    name: A\n"                             // 13
      "    kind: hospital\n";                     // 14 unknown kind
  const auto path = dir.write("bad.yaml", text);
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 1);
  for (const std::string& want :
       {path + ":4: 'certificate': cannot read file /nonexistent/server.crt",
        path + ":5: 'private_key': cannot read file", path + ":6: 'client_ca': cannot read file",
        path + ":7: unknown key 'listners'",
        path + ":10: 'port' must be a whole number from 0 to 65535",
        path + ":12: ODS code may hold only letters and digits",
        path + ":14: unknown organisation kind 'hospital'"}) {
    EXPECT_NE(r.err.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << r.err;
  }
}

TEST(CheckConfig, YamlSyntaxErrorNamesTheLine) {
  TempDir dir;
  const auto path = dir.write("broken.yaml", "node_id: a\nlisteners:\n  - name: [unclosed\n");
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(path + ":4: not valid YAML"), std::string::npos) << r.err;
}

TEST(CheckConfig, BadPemIsReportedOnTheKeyLine) {
  TempDir dir;
  dir.write("junk.pem", "not a certificate\n");
  std::string text = config_yaml();
  const auto at = text.find("  certificate: ");
  const auto end = text.find('\n', at);
  text.replace(at, end - at, "  certificate: " + dir.file("junk.pem"));
  const auto path = dir.write("pem.yaml", text);
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(path + ":6: 'certificate': not a PEM certificate chain"), std::string::npos)
      << r.err;
}

TEST(CheckConfig, MissingFileIsBadInput) {
  const auto r = run_command({caregw_binary(), "check-config", "/nonexistent/caregw.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot open the config file"), std::string::npos) << r.err;
}

TEST(Serve, APortInUseIsReportedAndExitsWithOneNotACrash) {
  // Something else holds the port (bound and listening on 127.0.0.1, an ephemeral port).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  TempDir dir;
  // The mappings (so the unmapped-code flusher thread runs) and a subscription, as in the demo.
  std::string text = config_yaml();
  const auto at = text.find("    port: 0\n");
  text.replace(at, 12, "    port: " + port + "\n");
  text += "mappings: " + source_path("mappings") +
          "\nsubscriptions:\n  - {name: s, recipient: Z90001, message_kinds: [adt],"
          " transport: mailbox, format: fhir-r4}\n";
  const auto path = dir.write("caregw.yaml", text);
  const auto r =
      run_command({caregw_binary(), "serve", "--config", path, "--data-dir", dir.file("data")});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("Address already in use"), std::string::npos) << r.err;
}

TEST(CommandLine, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_command({caregw_binary()}).exit_code, 2);
  EXPECT_EQ(run_command({caregw_binary(), "no-such-verb"}).exit_code, 2);
  EXPECT_EQ(run_command({caregw_binary(), "serve"}).exit_code, 2);
  EXPECT_EQ(run_command({caregw_binary(), "check-config"}).exit_code, 2);
  EXPECT_EQ(run_command({caregw_binary(), "serve", "--config", "a.yaml", "--demo"}).exit_code, 2);
}

TEST(CommandLine, HelpIsOnEveryCommand) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{caregw_binary(), "--help"},
                                             {caregw_binary(), "serve", "--help"},
                                             {caregw_binary(), "check-config", "--help"}}) {
    const auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << r.out;
  }
}

TEST(NhsNumberValidate, PrintsEachVerdictAndExitsOneIfAnyIsInvalid) {
  // 9990000018 is from ../shared/reference/nhs-numbers/testdata-9-valid-nhs-numbers.csv.
  auto r = run_command({caregw_binary(), "nhs-number", "validate", "9990000018", "999 000 0018"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("9990000018: valid (999 000 0018)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("999 000 0018: valid"), std::string::npos) << r.out;
  r = run_command({caregw_binary(), "nhs-number", "validate", "9990000018", "9990000019", "12"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("9990000019: invalid: the check digit is wrong (Modulus 11 gives 8)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("12: invalid: an NHS number has 10 digits, this has 2"), std::string::npos);
  EXPECT_EQ(run_command({caregw_binary(), "nhs-number", "validate"}).exit_code, 2);
}

TEST(CommandLine, DemoWithoutCertificatesSaysHowToMakeThem) {
  TempDir dir;
  const auto r = run_command({caregw_binary(), "serve", "--demo", "--data-dir", dir.file("demo")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("certs/make-dev-certs"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gw::test
