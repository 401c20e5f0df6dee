// Test environment paths, fixed at build time by tests/CMakeLists.txt.
#include "tests/support/test_env.hpp"

namespace gw::test {

std::string cert_path(const std::string& name) {
  return std::string(CAREGW_TEST_CERTS_DIR) + "/" + name;
}
std::string source_path(const std::string& relative) {
  return std::string(CAREGW_SOURCE_DIR) + "/" + relative;
}
std::string caregw_binary() { return CAREGW_BINARY; }

std::string config_yaml_in(const std::string& data_dir, const std::string& limits,
                           const std::string& extra_orgs) {
  std::string y = config_yaml(limits, extra_orgs);
  const std::string from = "data_dir: /tmp/caregw-test\n";
  y.replace(y.find(from), from.size(), "data_dir: " + data_dir + "\n");
  return y;
}

std::string config_yaml(const std::string& limits, const std::string& extra_orgs) {
  std::string y =
      "node_id: test-1\n"
      "data_dir: /tmp/caregw-test\n"
      "log_level: error\n"
      "threads: 2\n"
      "tls:\n"
      "  certificate: " +
      cert_path("server.crt") +
      "\n"
      "  private_key: " +
      cert_path("server.key") +
      "\n"
      "  client_ca: " +
      cert_path("ca.crt") +
      "\n"
      "listeners:\n"
      "  - name: provider\n"
      "    address: 127.0.0.1\n"
      "    port: 0\n"
      "    client_certificate: required\n"
      "  - name: browser\n"
      "    address: 127.0.0.1\n"
      "    port: 0\n"
      "    client_certificate: optional\n";
  if (!limits.empty()) {
    y += "limits:\n" + limits;
  }
  y += "organisations:\n"
       "  - ods: Z90001\n"
       "    name: Test Practice\n"
       "    kind: gp\n"
       "  - ods: Z9A01\n"
       "    name: Test Hospital\n"
       "    kind: acute\n";
  y += extra_orgs;
  return y;
}

}  // namespace gw::test
