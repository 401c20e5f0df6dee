// Where the tests find the generated test certificates, the source tree and the caregw binary.
#pragma once

#include <string>

namespace gw::test {

/** cert_path: a file in the test certificate folder made by certs/make-dev-certs --test-extras. */
[[nodiscard]] std::string cert_path(const std::string& name);
[[nodiscard]] std::string source_path(const std::string& relative);
[[nodiscard]] std::string caregw_binary();

/**
 * config_yaml: a valid config text for the tests: listeners "provider" (client certificate
 * required) and "browser" (optional) on 127.0.0.1 port 0, the test certificates, organisations
 * Z90001 (gp) and Z9A01 (acute). `limits` and `extra_orgs` are YAML fragments inserted as given.
 */
[[nodiscard]] std::string config_yaml(const std::string& limits = "",
                                      const std::string& extra_orgs = "");

/** config_yaml_in: config_yaml with its own data directory (a process that writes there, e.g.
 * `caregw serve`, must not share /tmp/caregw-test with other test runs). */
[[nodiscard]] std::string config_yaml_in(const std::string& data_dir,
                                         const std::string& limits = "",
                                         const std::string& extra_orgs = "");

/** kDemoPartiesAndAgreements: `extra_orgs` for config_yaml adding the demo's mental health,
 * social care and ambulance organisations and its agreements (examples/demo/dsa). */
inline constexpr const char* kDemoPartiesAndAgreements =
    "  - ods: Z9M01\n"
    "    name: Test Mental Health Trust\n"
    "    kind: mental-health\n"
    "  - ods: Z9S01\n"
    "    name: Test Adult Social Care\n"
    "    kind: social-care\n"
    "  - ods: Z9L01\n"
    "    name: Test Ambulance Service\n"
    "    kind: ambulance\n"
    "agreements:\n"
    "  - dsa/direct-care.yaml\n"
    "  - dsa/safeguarding.yaml\n";

}  // namespace gw::test
